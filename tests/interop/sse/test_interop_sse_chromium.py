"""Headless Chromium's EventSource against the reference SSE server, across server-side disconnects (a
clean end of the body, then a TCP drop): it reconnects with Last-Event-ID and gets every event exactly
once. The page is served from another origin, so the stream is a CORS request.

Driven over the DevTools protocol with the ``websockets`` client; skipped when chromium is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from devtools_page import Page, browser, serve_pages
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



@contextlib.contextmanager
def page_server() -> Iterator[str]:
    """The test page, from its own origin (its URL, ending in "/")."""
    with serve_pages({"/": ("text/html; charset=utf-8", PAGE.encode())}) as origin:
        yield origin + "/"


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
