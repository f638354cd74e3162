"""Headless Chromium running the official browser build of ``socket.io-client`` (tests/js/node_modules)
against the reference Socket.IO server, from another origin (every polling request is a CORS request).

Reuses the DevTools driver of the Engine.IO browser test (``tests/interop/eio``); skipped when chromium
or the npm package is missing.
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
from reference.servers.eio import EioSettings
from reference.servers.sio import SioServer, SioSettings

pytestmark = pytest.mark.interop

BUNDLE = Path(__file__).resolve().parents[2] / "js" / "node_modules" / "socket.io-client" / "dist" / \
    "socket.io.min.js"
PAGE = """<!doctype html><meta charset="utf-8"><title>sio</title><script src="/socket.io.min.js"></script>
<script>
window.got = {}; window.errors = [];
const server = new URLSearchParams(location.search).get("server");
const socket = io(server, {transports: ["polling", "websocket"], auth: {token: "browser"}});
const bytes = (b) => Array.from(new Uint8Array(b));
socket.io.on("open", () => { window.got.opened = socket.io.engine.transport.name; });
socket.on("auth", (auth) => { window.got.auth = auth; });
socket.on("ack-request", (...args) => args.pop()("from the browser", ...args));
socket.on("ack-response", (...args) => { window.got.ackResponse = args; });
socket.on("connect_error", (e) => window.errors.push(String(e && e.message || e)));
async function exchange() {
  window.got.upgraded = socket.io.engine.transport.name;
  socket.once("message-back", (text, bin) => { window.got.messageBack = [text, bytes(bin)]; });
  socket.emit("message", "héllo ✓", new Uint8Array([0, 1, 255]));
  const acked = await socket.emitWithAck("message-with-ack", new Uint8Array([7]));
  window.got.ack = bytes(acked);
  socket.emit("emit-with-ack", 1);
  const custom = io(server + "/custom", {transports: ["polling", "websocket"]});
  custom.on("auth", (auth) => {
    window.got.customAuth = auth;
    window.got.sameManager = custom.io === socket.io;
  });
}
socket.once("connect", () => {  // the upgrade may be done already
  if (socket.io.engine.transport.name === "websocket") exchange();
  else socket.io.engine.once("upgrade", exchange);
});
</script>"""


@contextlib.contextmanager
def page_server() -> Iterator[str]:
    """The test page and the client bundle, from their own origin."""
    with serve_pages({"/socket.io.min.js": ("text/javascript", BUNDLE.read_bytes()),
                      "/": ("text/html; charset=utf-8", PAGE.encode())}) as origin:
        yield origin


def test_chromium_socket_io_client_across_origins() -> None:
    if not BUNDLE.is_file():
        pytest.skip(f"socket.io-client is not installed: run `npm ci --prefix {BUNDLE.parents[3]}`")
    with page_server() as origin, browser() as devtools:

        async def main() -> None:
            eio = EioSettings(config=EioConfig(ping_interval=300, ping_timeout=2000), path="/socket.io/",
                              origins=(origin,))
            async with connect(devtools, max_size=2**24) as ws:
                page = Page(ws)
                async with serving(SioServer(SioSettings(eio=eio))) as server:
                    await page.call("Page.navigate", url=f"{origin}/?server=http://127.0.0.1:{server.port}")
                    await page.until("window.got.ackResponse && window.got.customAuth && true")
                    got = await page.value("window.got")
                    assert await page.value("window.errors") == []
                    assert (got["opened"], got["upgraded"]) == ("polling", "websocket")
                    assert got["auth"] == {"token": "browser"}
                    assert got["messageBack"] == ["héllo ✓", [0, 1, 255]]
                    assert got["ack"] == [7]
                    assert got["ackResponse"] == ["from the browser", 1]
                    assert got["customAuth"] == {}
                    assert got["sameManager"] is True  # io() reuses the manager: one Engine.IO session
                    assert len(server.sessions) == 1

        asyncio.run(asyncio.wait_for(main(), 60))
