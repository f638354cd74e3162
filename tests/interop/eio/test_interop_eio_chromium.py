"""Headless Chromium running the official browser build of ``engine.io-client`` (tests/js/node_modules)
against the reference Engine.IO server. The page comes from another origin, so every polling request is a
CORS request, checked against the server's allow-list by the browser itself.

Driven over the DevTools protocol with the ``websockets`` client; skipped when chromium or the npm package
is missing.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_server_harness import serving
from websockets.asyncio.client import connect

from reference.core.eio.handshake import EioConfig
from reference.servers.eio import EioServer, EioSettings

pytestmark = pytest.mark.interop

BUNDLE = Path(__file__).resolve().parents[2] / "js" / "node_modules" / "engine.io-client" / "dist" / \
    "engine.io.min.js"
PAGE = """<!doctype html><meta charset="utf-8"><title>eio</title><script src="/engine.io.min.js"></script>
<script>
window.got = []; window.errors = []; window.opened = null; window.upgraded = null;
const server = new URLSearchParams(location.search).get("server");
const socket = eio(server, {transports: ["polling", "websocket"]});
socket.binaryType = "arraybuffer";
socket.on("open", () => { window.opened = socket.transport.name; });
socket.on("upgrade", (transport) => {
  window.upgraded = transport.name;
  socket.send("héllo ✓");
  socket.send(new Uint8Array([0, 1, 255]));
});
socket.on("message", (d) => window.got.push(typeof d === "string" ? d : Array.from(new Uint8Array(d))));
socket.on("error", (e) => window.errors.push(String(e && e.message || e)));
</script>"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0"]


def chromium() -> str:
    if not BUNDLE.is_file():
        pytest.skip(f"engine.io-client is not installed: run `npm ci --prefix {BUNDLE.parents[3]}`")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed")


@contextlib.contextmanager
def page_server() -> Iterator[str]:
    """The test page and the client bundle, from their own origin."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script = self.path.startswith("/engine.io.min.js")
            body = BUNDLE.read_bytes() if script else PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript" if script else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
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
            deadline = time.monotonic() + 20
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
    """One browser tab over DevTools: navigate, evaluate, wait for an expression."""

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


def test_chromium_engine_io_client_upgrades_and_echoes_across_origins() -> None:
    with page_server() as origin, browser() as devtools:

        async def main() -> None:
            allowed = EioSettings(config=EioConfig(ping_interval=300, ping_timeout=2000), origins=(origin,))
            refused = EioSettings(origins=("http://elsewhere.example",))
            async with connect(devtools, max_size=2**24) as ws:
                page = Page(ws)
                async with serving(EioServer(allowed)) as server:
                    await page.call("Page.navigate", url=f"{origin}/?server=http://127.0.0.1:{server.port}")
                    await page.until("window.got.length === 2")
                    assert await page.value("[window.opened, window.upgraded]") == ["polling", "websocket"]
                    assert await page.value("window.got") == ["héllo ✓", [0, 1, 255]]
                    assert await page.value("window.errors") == []
                    await asyncio.sleep(0.7)  # pings over the WebSocket, answered by the browser
                    assert len(server.sessions) == 1
                async with serving(EioServer(refused)) as server:
                    await page.call("Page.navigate", url=f"{origin}/?server=http://127.0.0.1:{server.port}")
                    await page.until("window.errors.length > 0")  # 403: the browser never opens
                    assert await page.value("window.opened") is None
                    assert not server.sessions

        asyncio.run(asyncio.wait_for(main(), 60))
