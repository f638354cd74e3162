"""Harnesses for the reference server tests: an in-process server on its own loop thread, and the CLI.

``ServerThread`` runs ``WsServer`` on 127.0.0.1, port 0, in a thread with its own event loop, so a test can
drive it with blocking sockets or any client and still look inside it (``handle.call(fn)``).
``CliServer`` runs ``python -m reference.servers ws ...`` and reads its ``listening on`` line.
(Fixtures that build them are in conftest.py; test modules import the types from here.)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from reference.servers.ws import WsServer, WsSettings

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[3]
LISTENING = re.compile(r"^listening on (wss?)://([^\s]+):(\d+)$")

StartServer = Callable[..., "ServerThread"]
SpawnCli = Callable[..., "CliServer"]


class ServerThread:
    """A ``WsServer`` running on an event loop in a background thread."""

    def __init__(self, settings: WsSettings, tls: ssl.SSLContext | None) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = WsServer(settings, tls)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.run(self.server.start("127.0.0.1", 0))
        self.port = self.server.port
        self.url = self.server.url

    def run(self, coro: object, timeout: float = 10.0) -> object:
        """Run a coroutine on the server's loop and return its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        return future.result(timeout)

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Call ``fn()`` on the server's loop thread (to read server state safely)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def target() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(target)
        return future.result(timeout)

    def stop(self) -> None:
        if self.loop.is_running():
            self.run(self.server.shutdown(timeout=1.0))
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class CliServer:
    """``python -m reference.servers ws ...`` as a subprocess; ``url`` comes from its first stdout line."""

    def __init__(self, *args: str) -> None:
        argv = [sys.executable, "-m", "reference.servers", "ws", "--port", "0", *args]
        self.proc = subprocess.Popen(
            argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        match = LISTENING.match(line)
        if match is None:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"no 'listening on' line: {line!r}, stderr {err!r}")
        self.url = f"{match[1]}://{match[2]}:{match[3]}"
        self.port = int(match[3])

    def terminate(self, timeout: float = 10.0) -> tuple[int, str, str]:
        """Send SIGTERM; return (exit code, rest of stdout, stderr)."""
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
