"""Headless Chromium running the official browser build of ``engine.io-client`` (tests/js/node_modules)
against the reference Engine.IO server. The page comes from another origin, so every polling request is a
CORS request, checked against the server's allow-list by the browser itself.

Driven over the DevTools protocol with the ``websockets`` client; skipped when chromium or the npm package
is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from devtools_page import Page, browser, serve_pages
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


@contextlib.contextmanager
def page_server() -> Iterator[str]:
    """The test page and the client bundle, from their own origin."""
    if not BUNDLE.is_file():
        pytest.skip(f"engine.io-client is not installed: run `npm ci --prefix {BUNDLE.parents[3]}`")
    with serve_pages({"/engine.io.min.js": ("text/javascript", BUNDLE.read_bytes()),
                      "/": ("text/html; charset=utf-8", PAGE.encode())}) as origin:
        yield origin


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
