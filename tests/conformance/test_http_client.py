"""The HTTP exchange on a real loopback connection: its waits end at the deadline, it reports, it sends
what it is given."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from conformance.wire.http import build_http_request
from conformance.wire.httpclient import HttpExchange

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


def _with_server(answer: Answer, client: Callable[[int, list[bytes]], Awaitable[None]]) -> None:
    received: list[bytes] = []

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            received.append(head)
            await answer(head, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(connected, "127.0.0.1", 0)
        try:
            await asyncio.wait_for(client(server.sockets[0].getsockname()[1], received), 10.0)
        finally:
            server.close()

    asyncio.run(main())


async def _silent(head: bytes, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(5.0)


def test_no_head_in_time_is_a_timeout_and_waits_end_at_the_deadline() -> None:
    async def client(port: int, received: list[bytes]) -> None:
        ep = parse_url(f"http://127.0.0.1:{port}/poll", ALL_SCHEMES)
        loop = asyncio.get_running_loop()
        ex = HttpExchange(ep, deadline=loop.time() + 0.6)
        start = loop.time()
        with pytest.raises(TimeoutError):
            await ex.send(build_http_request("GET", "/poll", ep.host_header), head_timeout=0.2)
        assert 0.15 < loop.time() - start < 0.5
        assert not await ex.wait(lambda: ex.response is not None, 3600.0)  # ends at the deadline
        assert 0.5 < loop.time() - start < 1.0
        ex.close()

    _with_server(_silent, client)


async def _garbage(head: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    await writer.drain()


def test_a_garbage_head_is_reported_not_judged() -> None:
    async def client(port: int, received: list[bytes]) -> None:
        ep = parse_url(f"http://127.0.0.1:{port}/", ALL_SCHEMES)
        ex = HttpExchange(ep, deadline=asyncio.get_running_loop().time() + 5.0)
        with pytest.raises(ConnectionError, match="not an http status line"):
            await ex.send(build_http_request("GET", "/", ep.host_header))
        assert ex.done
        assert ex.sent_at > 0
        assert ex.closed

    _with_server(_garbage, client)


async def _chunked(head: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(b"2\r\nde\r\n0\r\n\r\n")
    await writer.drain()


def test_a_chopped_request_arrives_whole_and_the_body_in_pieces() -> None:
    async def client(port: int, received: list[bytes]) -> None:
        ep = parse_url(f"http://127.0.0.1:{port}/events", ALL_SCHEMES)
        ex = HttpExchange(ep, deadline=asyncio.get_running_loop().time() + 5.0)
        seen: list[bytes] = []
        ex.on_body = seen.append
        request = build_http_request("GET", "/events", ep.host_header, (("X-Test", "chopped"),))
        response = await ex.send(request, chop=7)
        assert response is not None
        assert response.status == 200
        assert await ex.wait_done()
        assert ex.ended
        assert ex.body == b"abcde"
        assert seen == [b"abc", b"de"]
        assert ex.reader.arrival_count == 2
        assert ex.longest_silence >= 0.04
        assert received == [request]
        ex.close()

    _with_server(_chunked, client)
