"""Issue 12: at most ``max_held_polls`` polls are held at once; a poll past it is refused at once with 503
and Retry-After (never queued), and a held poll whose client resets its connection frees its place."""

from __future__ import annotations

import asyncio

from http_server_harness import publish, run, send, serving

from reference.servers.poll import PollServer, PollSettings


async def _held(server: PollServer, count: int) -> None:
    for _ in range(100):
        if len(server.holding) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(server.holding)} polls held, not {count}")


def test_a_poll_past_the_limit_is_refused_at_once_with_retry_after() -> None:
    async def main() -> None:
        async with serving(PollServer(PollSettings(hold_timeout=30, max_held_polls=3))) as server:
            held = [await send(server, "GET", "/poll?cursor=0") for _ in range(3)]
            await _held(server, 3)
            extra = await send(server, "GET", "/poll?cursor=0")
            assert await extra.wait_done(2.0)
            assert extra.response is not None
            assert extra.response.status == 503
            assert extra.response.header("retry-after") == "1"
            assert server.refused_polls == 1
            assert not any(p.done for p in held)
            assert await publish(server, "news") == 200
            for p in held:
                assert await p.wait_done(2.0)
                assert p.response is not None
                assert p.response.status == 200
                assert b"news" in p.body
            assert len(server.holding) == 0

    run(main)


def test_a_newer_poll_of_the_same_client_is_not_refused_at_the_limit() -> None:
    async def main() -> None:
        async with serving(PollServer(PollSettings(hold_timeout=30, max_held_polls=1))) as server:
            first = await send(server, "GET", "/poll?cursor=0&client=c")
            await _held(server, 1)
            second = await send(server, "GET", "/poll?cursor=0&client=c")
            assert await first.wait_done(2.0)  # released for the newer one (RFC 6202 §5.1)
            assert first.response is not None
            assert first.response.status == 200
            await _held(server, 1)
            assert not second.done
            second.close()

    run(main)


def test_a_reset_held_poll_frees_its_place_at_once() -> None:
    async def main() -> None:
        async with serving(PollServer(PollSettings(hold_timeout=30, max_held_polls=2))) as server:
            gone = [await send(server, "GET", "/poll?cursor=0") for _ in range(2)]
            await _held(server, 2)
            for ex in gone:
                ex.reset()
            await _held(server, 0)
            again = [await send(server, "GET", "/poll?cursor=0") for _ in range(2)]
            await _held(server, 2)
            assert server.refused_polls == 0
            for ex in again:
                ex.close()

    run(main)
