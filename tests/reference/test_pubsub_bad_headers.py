"""Issue 11.8: a header value the server would echo (Origin, Access-Control-Request-Headers) that cannot be
written back (not ASCII) gets a 400 and changes nothing, on both publish/subscribe servers."""

from __future__ import annotations

import asyncio

import pytest
from http_server_harness import run, serving

from reference.servers.http_server import HttpServer
from reference.servers.poll import PollServer
from reference.servers.sse import SseServer

ORIGIN = "https://b\u00fccher.example".encode()  # UTF-8 bytes on the wire: h11 accepts them as obs-text


async def raw_exchange(server: HttpServer, request: bytes) -> bytes:
    """Send ``request`` and read until the server closes (bounded in time)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 3.0)
    finally:
        writer.close()


def _request(method: str, target: str, *fields: bytes, body: bytes = b"") -> bytes:
    head = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1", *fields,
            f"Content-Length: {len(body)}".encode(), b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


@pytest.mark.parametrize("make", [SseServer, PollServer], ids=["sse", "poll"])
def test_non_ascii_origin_on_publish_is_400_and_stores_nothing(make: type[SseServer | PollServer]) -> None:
    async def main() -> None:
        async with serving(make()) as server:
            answer = await raw_exchange(server, _request("POST", "/publish", b"Origin: " + ORIGIN, body=b"x"))
            assert answer.startswith(b"HTTP/1.1 400 "), answer
            assert server.hub.history.last_seq == 0  # a retrying publisher creates no duplicate
            ok = await raw_exchange(server, _request("POST", "/publish", b"Origin: https://a.example",
                                                     body=b"x"))
            assert ok.startswith(b"HTTP/1.1 200 "), ok
            assert server.hub.history.last_seq == 1

    run(main)


@pytest.mark.parametrize(("make", "path"), [(SseServer, "/events"), (PollServer, "/poll")],
                         ids=["sse", "poll"])
def test_non_ascii_cors_fields_are_400(make: type[SseServer | PollServer], path: str) -> None:
    async def main() -> None:
        async with serving(make()) as server:
            for fields in ([b"Origin: " + ORIGIN, b"Access-Control-Request-Method: GET"],
                           [b"Origin: https://a.example", b"Access-Control-Request-Method: GET",
                            b"Access-Control-Request-Headers: x-b\xc3\xbccher"],
                           [b"Access-Control-Request-Headers: a b"]):
                answer = await raw_exchange(server, _request("OPTIONS", path, *fields))
                assert answer.startswith(b"HTTP/1.1 400 "), (fields, answer)
            answer = await raw_exchange(server, _request("GET", path + "?cursor=0", b"Origin: " + ORIGIN))
            assert answer.startswith(b"HTTP/1.1 400 "), answer
            asked = b"Access-Control-Request-Headers: last-event-id, ,X-A"
            good = await raw_exchange(server, _request("OPTIONS", path, b"Origin: https://a.example", asked))
            assert good.startswith(b"HTTP/1.1 204 "), good

    run(main)
