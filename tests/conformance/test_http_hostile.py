"""Hostile SSE and long-poll targets on 127.0.0.1 cannot make the runner hold more than its bounds.

Issue 11: an endless ``data:`` line took the runner past 8 GiB, a 1 GiB poll body to 3.6 GiB. Here a tiny
asyncio server sends an endless line (48 MiB) and a 200 MiB poll answer; the runner reads all of it (the
framing and the end are still judged) but keeps at most its caps, and says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from conformance.catalog.poll.context import PollContext
from conformance.model import CaseFailed
from conformance.suites import CaseEnv
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from conformance.wire.http import build_http_request
from conformance.wire.httpclient import HttpExchange
from conformance.wire.httpread import MAX_BODY_KEPT
from conformance.wire.sse import MAX_LINE, Subscription
from conformance.wire.transcript import Transcript

MIB = 2**20
Handler = Callable[[asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler) -> AsyncIterator[int]:
    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await handler(writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connected, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


def _run(handler: Handler, client: Callable[[int], Awaitable[None]]) -> None:
    async def main() -> None:
        serving = _serve(handler)
        port = await serving.__anext__()
        try:
            await asyncio.wait_for(client(port), 60.0)
        finally:
            await serving.aclose()

    asyncio.run(main())


async def _endless_line(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: ")
    for _ in range(48):
        writer.write(b"x" * MIB)
        await writer.drain()
    writer.write(b"\n\ndata: ok\n\n")
    await writer.drain()


def test_an_endless_data_line_is_read_but_not_held() -> None:
    async def client(port: int) -> None:
        ep = parse_url(f"http://127.0.0.1:{port}/events", ALL_SCHEMES)
        loop = asyncio.get_running_loop()
        ex = HttpExchange(ep, Transcript(), deadline=loop.time() + 50.0)
        await ex.send(build_http_request("GET", "/events", ep.host_header))
        sub = Subscription(ex)
        assert await ex.wait_done()
        assert ex.ended
        assert ex.body_size == 48 * MIB + len(b"data: \n\ndata: ok\n\n")
        assert len(ex.body) < MIB, "the parser holds the stream, the exchange keeps no second copy"
        assert ex.truncated
        assert sub.parser._pending == []
        assert [e.data for e in sub.events] == ["ok"]
        assert any(f"longer than the runner reads ({MAX_LINE})" in d for d in sub.parser.deviations)
        ex.close()

    _run(_endless_line, client)


async def _huge_poll_answer(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % (200 * MIB))
    writer.write(b'{"cursor": 1, "messages": [')
    chunk = b" " * MIB
    for _ in range(199):
        writer.write(chunk)
        await writer.drain()
    writer.write(b" " * (MIB - len(b'{"cursor": 1, "messages": [') - 2) + b"]}")
    await writer.drain()


def test_a_200_mib_poll_answer_is_counted_not_held_and_named() -> None:
    async def client(port: int) -> None:
        ep = parse_url(f"http://127.0.0.1:{port}/poll", ALL_SCHEMES)
        loop = asyncio.get_running_loop()
        ctx = PollContext(ep, CaseEnv(ep.address, ep.options, "poll", loop.time() + 50.0, Transcript(), 1.0))
        ex = await ctx.start_poll(None)
        with pytest.raises(CaseFailed) as info:
            await ctx.finish(ex, timeout=45.0)
        assert ex.ended
        assert ex.body_size == 200 * MIB
        assert len(ex.body) == MAX_BODY_KEPT
        assert f"at most {MAX_BODY_KEPT} bytes" in str(info.value)
        ctx.release()

    _run(_huge_poll_answer, client)
