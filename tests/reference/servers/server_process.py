"""A reference server as a subprocess of its own: its RSS can be read and its file descriptor limit set.

``ServerProcess("ws", "--memory-budget", "1000000", nofile=256)`` runs ``python -m reference.servers ws
--port 0 ...`` with ``RLIMIT_NOFILE`` lowered to ``nofile`` in the child (``preexec_fn``), reads the port
from its ``listening on`` line, and collects stderr in a file so a flood of log lines cannot block it.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
_LISTENING = re.compile(r"^listening on \w+://[^\s]+:(\d+)")


class ServerProcess:
    """``python -m reference.servers PROTOCOL --port 0 *args`` in a child process."""

    def __init__(self, protocol: str, *args: str, nofile: int | None = None) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop() and kill())
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                                         os.environ.get("PYTHONPATH")]))}

        def limit_fds() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reference.servers", protocol, "--port", "0", *args], cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            preexec_fn=limit_fds)  # noqa: PLW1509 (only setrlimit runs between fork and exec)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = _LISTENING.match(line)
        if match is None:
            self.kill()
            raise AssertionError(f"no 'listening on' line: {line!r}, stderr {self.stderr()!r}")
        self.port = int(match[1])

    def rss(self) -> int:
        """The server's resident set size in bytes (``VmRSS`` of /proc/PID/status)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    def stderr(self) -> str:
        """Everything the server wrote on stderr so far (until ``stop``)."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._stderr.close()
