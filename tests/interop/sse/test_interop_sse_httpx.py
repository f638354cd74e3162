"""``httpx`` streaming against the reference SSE server: the body arrives event by event (one event is
readable before the next is published), and a manual resume with Last-Event-ID after a server-side
disconnect delivers the rest exactly once."""

from __future__ import annotations

import pytest
from sse_interop_harness import SseThread

from conformance.wire.sse import StreamParser

httpx = pytest.importorskip("httpx")
pytestmark = pytest.mark.interop


def read_events(lines: object, parser: StreamParser, count: int) -> None:
    for chunk in lines:  # type: ignore[attr-defined]
        parser.feed(chunk)
        if len(parser.events) >= count:
            return


def test_httpx_streams_events_and_resumes() -> None:
    with SseThread(retry_ms=200, heartbeat_interval=5) as server, httpx.Client(timeout=5) as client:
        parser = StreamParser()
        with client.stream("GET", server.url, headers={"Accept": "text/event-stream"}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            chunks = response.iter_raw()
            server.publish("one")
            read_events(chunks, parser, 1)        # delivered before anything else is published
            server.publish("two")
            read_events(chunks, parser, 2)
            server.end_streams()
            assert list(chunks) == [] or parser.feed(b"") == []
        parser.feed_eof()
        assert [e.data for e in parser.events] == ["one", "two"]
        assert parser.deviations == []
        last = parser.last_event_id
        server.publish("three")
        resumed = StreamParser()
        with client.stream("GET", server.url, headers={"Last-Event-ID": last}) as response:
            chunks = response.iter_raw()
            read_events(chunks, resumed, 1)
            server.publish("four")
            read_events(chunks, resumed, 2)
        assert [e.data for e in resumed.events] == ["three", "four"]
        assert server.server.last_ids == [None, last]
