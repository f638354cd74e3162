"""Headless Chromium's EventSource against the reference SSE server, across server-side disconnects (a
clean end of the body, then a TCP drop): it reconnects with Last-Event-ID and gets every event exactly
once. The page is served from another origin, so the stream is a CORS request.

Driven over the DevTools protocol with the ``websockets`` client; skipped when chromium is missing.
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
from sse_interop_harness import SseThread
from websockets.asyncio.client import connect

pytestmark = pytest.mark.interop

PAGE = """<!doctype html><meta charset="utf-8"><title>sse</title><script>
window.got = []; window.opens = 0; window.errors = 0;
const es = new EventSource(new URLSearchParams(location.search).get("stream"));
es.onopen = () => { window.opens += 1; };
es.onerror = () => { window.errors += 1; };
es.onmessage = (e) => { window.got.push([e.data, e.lastEventId]); };
</script>"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed")


@contextlib.contextmanager
def page_server() -> Iterator[str]:
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def browser() -> Iterator[str]:
    """Start chromium with a fresh profile; yield the DevTools websocket URL of its first page."""
    with tempfile.TemporaryDirectory() as profile:
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
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == self.next_id:
                return reply.get("result", {})

    async def value(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def until(self, expression: str, timeout: float = 10.0) -> None:
        end = asyncio.get_running_loop().time() + timeout
        while not await self.value(expression):
            assert asyncio.get_running_loop().time() < end, f"timed out waiting for {expression}"
            await asyncio.sleep(0.02)


def test_chromium_eventsource_resumes_after_server_disconnects() -> None:
    with SseThread(retry_ms=200, heartbeat_interval=5) as server, page_server() as page_url, \
            browser() as devtools:

        async def main() -> list[list[str]]:
            async with connect(devtools, max_size=2**24) as ws:
                page = Page(ws)
                await page.call("Page.navigate", url=f"{page_url}?stream={server.url}")
                await page.until("window.opens === 1")
                for data in ("e1", "e2", "e3"):
                    await asyncio.to_thread(server.publish, data)
                await page.until("window.got.length === 3")
                await asyncio.to_thread(server.end_streams)       # a clean end of the body
                await asyncio.to_thread(server.publish, "e4")     # published while away
                await page.until("window.opens === 2")
                await asyncio.to_thread(server.publish, "e5")
                await page.until("window.got.length === 5")
                await asyncio.to_thread(server.drop_streams)      # an abrupt TCP drop
                await asyncio.to_thread(server.publish, "e6")
                await page.until("window.opens === 3")
                await asyncio.to_thread(server.publish, "e7")
                await page.until("window.got.length >= 7")
                await asyncio.sleep(0.2)                            # room for a duplicate to show
                return await page.value("window.got")  # type: ignore[no-any-return]

        got = asyncio.run(asyncio.wait_for(main(), 40))
        assert [d for d, _ in got] == ["e1", "e2", "e3", "e4", "e5", "e6", "e7"]
        assert [i for _, i in got] == ["1", "2", "3", "4", "5", "6", "7"]
        assert server.server.last_ids == [None, "3", "5"]
