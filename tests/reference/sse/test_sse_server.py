"""The reference SSE server over real sockets: stream head, publish, replay, heartbeats, CORS, errors,
slow subscribers and shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

from http_server_harness import fetch, publish, run, send, serving, subscribe

from reference.servers.pubsub import Publish
from reference.servers.sse import SseServer, SseSettings


def test_stream_head_first_block_and_live_events() -> None:
    async def main() -> None:
        async with serving(SseServer(SseSettings(retry_ms=1500))) as server:
            sub = await subscribe(server)
            head = sub.exchange.response
            assert head is not None
            assert (head.status, head.header("content-type")) == (200, "text/event-stream; charset=utf-8")
            assert head.header("cache-control") == "no-store"
            assert head.header("transfer-encoding") == "chunked"
            assert await publish(server, "a\r\nb", "t") == 200
            assert await publish(server, " x") == 200
            assert await sub.exchange.wait(lambda: len(sub.events) == 2, 2)
            assert sub.exchange.body.startswith(b"retry: 1500\nid: 0\n\n")
            assert [(e.type, e.data, e.id) for e in sub.events] == \
                [("t", "a\nb", "1"), ("message", " x", "2")]
            assert sub.parser.deviations == []

    run(main)


def test_replay_after_last_event_id_then_live_once_each() -> None:
    async def main() -> None:
        async with serving(SseServer()) as server:
            for i in range(4):
                await publish(server, f"e{i}")
            sub = await subscribe(server, ("Last-Event-ID", "2"))
            await publish(server, "live")
            assert await sub.exchange.wait(lambda: len(sub.events) == 3, 2)
            assert [e.data for e in sub.events] == ["e2", "e3", "live"]
            polyfill = await subscribe(server, resource="/events?lastEventId=4")
            assert await polyfill.exchange.wait(lambda: len(polyfill.events) == 1, 2)
            assert polyfill.events[0].data == "live"
            fresh = await subscribe(server, ("Last-Event-ID", "\u2026"))  # unknown: resume from now
            assert await fresh.exchange.wait(lambda: fresh.parser.last_event_id == "5", 2)
            assert fresh.events == []

    run(main)


def test_history_is_bounded() -> None:
    async def main() -> None:
        async with serving(SseServer(SseSettings(history_size=2))) as server:
            for i in range(5):
                await publish(server, f"e{i}")
            sub = await subscribe(server, ("Last-Event-ID", "0"))
            assert await sub.exchange.wait(lambda: len(sub.events) == 2, 2)
            assert [e.data for e in sub.events] == ["e3", "e4"]

    run(main)


def test_heartbeat_comment_while_idle() -> None:
    async def main() -> None:
        async with serving(SseServer(SseSettings(heartbeat_interval=0.1))) as server:
            sub = await subscribe(server)
            assert await sub.exchange.wait(lambda: len(sub.parser.comments) >= 2, 2)

    run(main)


def test_routes_errors_and_cors() -> None:
    async def main() -> None:
        async with serving(SseServer(SseSettings(max_publish_size=10))) as server:
            assert (await fetch(server, "GET", "/nope"))[0] == 404
            assert (await fetch(server, "GET", "/publish"))[0] == 405
            assert (await fetch(server, "POST", "/events"))[0] == 405
            assert (await fetch(server, "POST", "/publish", body=b"x" * 11))[0] == 413
            assert (await fetch(server, "POST", "/publish", body=b"\xff"))[0] == 400
            assert (await fetch(server, "POST", "/publish?event=a%0Ab", body=b"x"))[0] == 400
            assert (await fetch(server, "GET", "/events?stop=1"))[0] == 204
            status, headers, _ = await fetch(server, "OPTIONS", "/events", (
                ("Origin", "http://o.test"), ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "last-event-id")))
            assert status == 204
            assert "Last-Event-ID" in headers["access-control-allow-headers"]
            assert headers["access-control-allow-origin"] == "http://o.test"
            assert headers["access-control-allow-credentials"] == "true"
            ex = await send(server, "GET", "/events", (("Origin", "http://o.test"),))
            assert ex.response is not None
            assert ex.response.header("access-control-allow-origin") == "http://o.test"
            ex.close()
            bad = await send(server, "GET", "/events\x01", ())
            assert bad.response is not None
            assert bad.response.status == 400

    run(main)


def test_oversized_head_is_refused_with_431() -> None:
    async def main() -> None:
        async with serving(SseServer()) as server:
            ex = await send(server, "GET", "/events", (("X-Big", "a" * 20000),), chop=8192)
            assert ex.response is not None
            assert ex.response.status == 431
            assert await ex.wait_done(2)

    run(main)


def test_request_in_one_byte_segments() -> None:
    async def main() -> None:
        async with serving(SseServer()) as server:
            ex = await send(server, "GET", "/events", (), chop=1)
            assert ex.response is not None
            assert ex.response.status == 200
            ex.close()

    run(main)


def test_slow_subscriber_is_dropped_and_never_delays_the_others() -> None:
    async def main() -> None:
        settings = SseSettings(queue_size=8, send_timeout=0.3, write_high_water=4096)
        async with serving(SseServer(settings)) as server:
            slow = await subscribe(server, rcvbuf=4096)
            slow.exchange.pause_reading()
            fast = await subscribe(server)
            loop = asyncio.get_running_loop()
            start = loop.time()
            for i in range(160):  # 5 MiB: more than the kernel buffers hold
                assert await publish(server, f"{i:03d}" + "x" * 32768) == 200
            assert loop.time() - start < 3.0
            assert await fast.exchange.wait(lambda: len(fast.events) == 160, 5)
            assert [int(e.data[:3]) for e in fast.events] == list(range(160))
            assert server.hub.dropped >= 1
            assert len(server.hub.subscribers) == 1
            slow.exchange.resume_reading()
            assert await slow.exchange.wait(lambda: slow.exchange.done, 5)
            got = [int(e.data[:3]) for e in slow.events]
            assert got == list(range(len(got)))  # a prefix, in order, then the stream ended

    run(main)


def test_shutdown_ends_streams_cleanly_and_refuses_newcomers() -> None:
    async def main() -> None:
        server = SseServer(SseSettings(shutdown_timeout=1.0))
        await server.start("127.0.0.1", 0)
        sub = await subscribe(server)
        await publish(server, "bye")
        assert await sub.exchange.wait(lambda: len(sub.events) == 1, 2)
        await server.shutdown()
        assert await sub.exchange.wait_done(2)
        assert sub.exchange.ended  # the last chunk, not a reset
        assert server.connections == 0

    run(main)


def test_a_subscriber_is_dropped_past_its_queue_bytes_but_a_larger_event_alone_still_goes() -> None:
    async def main() -> None:
        settings = SseSettings(queue_size=1000, queue_bytes=100_000, send_timeout=30, write_high_water=4096)
        async with serving(SseServer(settings)) as server:
            big = await subscribe(server)
            assert await publish(server, "b" * 150_000) == 200  # larger than the bound, alone in the queue
            assert await big.exchange.wait(lambda: len(big.events) == 1, 5)
            slow = await subscribe(server, rcvbuf=4096)
            slow.exchange.pause_reading()
            for i in range(200):  # 6.4 MB: the sockets hold about 3 MB, the queue at most 100 kB
                assert await publish(server, f"{i:03d}" + "x" * 32000) == 200
            assert server.hub.dropped >= 1
            assert len(server.hub.subscribers) == 1  # the reading one
            slow.exchange.resume_reading()
            assert await slow.exchange.wait(lambda: slow.exchange.done, 5)
            got = [int(e.data[:3]) for e in slow.events]
            assert got == list(range(len(got)))
            assert len(got) < 200

    run(main, timeout=20)


class _PublishesDuringTheFirstBlock(SseServer):
    """Publishes one event while a stream's first block is being sent: the moment between subscribing and
    replaying in which a publish used to reach the stream twice (replayed, then live)."""

    async def _send(self, conn: Any, data: bytes) -> bool:
        if data.startswith(b"retry:") and not getattr(self, "published", False):
            self.published = True
            await self.hub.publish(Publish("during", None))
        return await super()._send(conn, data)


def test_an_event_published_while_a_stream_opens_arrives_once() -> None:
    async def main() -> None:
        async with serving(_PublishesDuringTheFirstBlock()) as server:
            await publish(server, "before")
            sub = await subscribe(server, ("Last-Event-ID", "0"))
            await publish(server, "after")
            assert await sub.exchange.wait(lambda: len(sub.events) >= 3, 2)
            await asyncio.sleep(0.2)  # a duplicate would follow at once
            assert [e.data for e in sub.events] == ["before", "during", "after"]

    run(main)
