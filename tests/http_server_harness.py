"""Helpers for the SSE and long-polling server tests: start a server in the test's loop, talk raw HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from conformance.wire.endpoint import ALL_SCHEMES, Endpoint, parse_url
from conformance.wire.http import build_http_request
from conformance.wire.httpclient import HttpExchange
from conformance.wire.sse import Subscription
from reference.servers.http_server import HttpServer

T = TypeVar("T")
S = TypeVar("S", bound=HttpServer)


def run(coro: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
    async def main() -> T:
        return await asyncio.wait_for(coro(), timeout)

    return asyncio.run(main())


@contextlib.asynccontextmanager
async def serving(server: S) -> AsyncIterator[S]:
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.shutdown()


def endpoint(server: HttpServer, resource: str = "/") -> Endpoint:
    return parse_url(server.url, ALL_SCHEMES).with_options(resource=resource)


async def send(server: HttpServer, method: str, resource: str, headers: tuple[tuple[str, str], ...] = (),
               body: bytes = b"", chop: int | None = None, rcvbuf: int | None = None) -> HttpExchange:
    ep = endpoint(server, resource)
    ex = HttpExchange(ep)
    await ex.send(build_http_request(method, resource, ep.host_header, headers, body), chop, rcvbuf,
                  wait_head=method != "GET" or not resource.startswith("/poll"))
    return ex


async def fetch(server: HttpServer, method: str, resource: str, headers: tuple[tuple[str, str], ...] = (),
                body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    ex = await send(server, method, resource, (*headers, ("Connection", "close")), body)
    assert await ex.wait_done(5.0)
    ex.close()
    assert ex.response is not None
    return ex.response.status, {k.lower(): v for k, v in ex.response.headers}, ex.body


async def subscribe(server: HttpServer, *headers: tuple[str, str], resource: str = "/events",
                    rcvbuf: int | None = None) -> Subscription:
    return Subscription(await send(server, "GET", resource, headers, rcvbuf=rcvbuf))


async def publish(server: HttpServer, data: str, event: str | None = None) -> int:
    status, _, _ = await fetch(server, "POST", "/publish" + (f"?event={event}" if event else ""),
                               body=data.encode())
    return status
