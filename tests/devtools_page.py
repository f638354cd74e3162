"""Headless Chromium for the interop tests that run a real browser client (EventSource, engine.io-client,
socket.io-client): start it with a fresh profile, serve the test pages from their own origin on
127.0.0.1, and drive one tab over the DevTools protocol with the ``websockets`` client.

The pages must come from 127.0.0.1 (not ``about:blank``): Chromium's local network access checks block a
page without an address from reaching the loopback servers under test. Every helper skips the test with a
reason when chromium is missing or does not start.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

__all__ = ["FLAGS", "Page", "browser", "chromium", "serve_pages"]

#: The flags the workplace's probe found necessary: headless as root, and no background requests (this
#: machine's closed network refuses them, many at a time).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0"]
#: Seconds chromium may take to open its DevTools endpoint (it can be slow on a loaded machine).
START_TIMEOUT = 30.0


def chromium() -> str:
    """The chromium executable, or skip the test."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed")


@contextlib.contextmanager
def serve_pages(pages: Mapping[str, tuple[str, bytes]]) -> Iterator[str]:
    """Serve ``pages`` (path prefix -> (content type, body); the longest matching prefix wins, "/" for
    the rest) on 127.0.0.1; yield the origin, ``http://127.0.0.1:PORT``."""
    ordered = sorted(pages.items(), key=lambda item: len(item[0]), reverse=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            kind, body = next((page for prefix, page in ordered if self.path.startswith(prefix)),
                              ("text/plain", b""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def browser() -> Iterator[str]:
    """Start chromium with a fresh profile; yield the DevTools websocket URL of its first page."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # chromium may still write
        proc = subprocess.Popen([chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + START_TIMEOUT
            while not port_file.is_file() or not port_file.read_text().strip():
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.skip("chromium did not start its DevTools endpoint")
                time.sleep(0.05)
            port = port_file.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            yield pages[0]["webSocketDebuggerUrl"]
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Page:
    """One browser tab over DevTools (``ws``: a connected ``websockets`` client): call a method,
    evaluate an expression, wait until one is true."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == self.next_id:
                return reply.get("result", {})  # type: ignore[no-any-return]

    async def value(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def until(self, expression: str, timeout: float = 15.0) -> None:
        end = asyncio.get_running_loop().time() + timeout
        while not await self.value(expression):
            assert asyncio.get_running_loop().time() < end, f"timed out waiting for {expression}"
            await asyncio.sleep(0.02)
