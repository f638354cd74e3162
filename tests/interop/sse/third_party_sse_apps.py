"""Small publish/subscribe apps on third-party SSE libraries, written to the testee contract as a typical
user would: GET /events streams, POST /publish[?event=NAME] broadcasts with a fresh id. The libraries do
not replay on Last-Event-ID, and neither do these apps (that is the verdict to record)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class Broadcast:
    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[dict[str, str]]] = set()
        self.ids = itertools.count(1)

    def publish(self, data: str, event: str | None) -> str:
        message = {"data": data, "id": str(next(self.ids)), **({"event": event} if event else {})}
        for q in self.queues:
            q.put_nowait(message)
        return message["id"]


def _socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@asynccontextmanager
async def sse_starlette_app(ping: int = 1) -> AsyncIterator[str]:
    """sse-starlette's EventSourceResponse under uvicorn; yields the stream URL."""
    import uvicorn
    from sse_starlette.sse import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    hub = Broadcast()

    async def events(request: Request) -> EventSourceResponse:
        q: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        hub.queues.add(q)

        async def gen() -> AsyncIterator[dict[str, str]]:
            try:
                while True:
                    yield await q.get()
            finally:
                hub.queues.discard(q)

        return EventSourceResponse(gen(), ping=ping)

    async def publish(request: Request) -> JSONResponse:
        data = (await request.body()).decode()
        return JSONResponse({"id": hub.publish(data, request.query_params.get("event"))})

    app = Starlette(routes=[Route("/events", events), Route("/publish", publish, methods=["POST"])],
                    middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_headers=["*"])])
    sock = _socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"
    finally:
        server.should_exit = True
        server.force_exit = True
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def aiohttp_sse_app(ping: int = 1) -> AsyncIterator[str]:
    """aiohttp-sse's sse_response under aiohttp; yields the stream URL."""
    from aiohttp import web
    from aiohttp_sse import EventSourceResponse, sse_response

    hub = Broadcast()
    # The ping interval must be set before prepare(): the ping task starts there and sleeps its first
    # interval (15 s by default) before it reads a value set afterwards. aiohttp-sse 3 takes it as an
    # argument; 2.x (what Python 3.10 gets) only as a property, so a response class sets it at creation.
    if "ping_interval" in inspect.signature(sse_response).parameters:
        pinging: dict[str, Any] = {"ping_interval": ping}
    else:
        class Pinging(EventSourceResponse):
            def __init__(self, **kw: Any) -> None:
                super().__init__(**kw)
                self.ping_interval = ping

        pinging = {"response_cls": Pinging}

    async def events(request: web.Request) -> Any:
        q: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        hub.queues.add(q)
        try:
            async with sse_response(request, headers={"Access-Control-Allow-Origin": "*"}, **pinging) as resp:
                with contextlib.suppress(ConnectionError):  # the subscriber went away
                    while resp.is_connected():
                        m = await q.get()
                        await resp.send(m["data"], id=m["id"], event=m.get("event"))
            return resp
        finally:
            hub.queues.discard(q)

    async def publish(request: web.Request) -> web.Response:
        data = await request.text()
        return web.json_response({"id": hub.publish(data, request.query.get("event"))})

    app = web.Application()
    app.router.add_get("/events", events)
    app.router.add_post("/publish", publish)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    sock = _socket()
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"
    finally:
        await runner.cleanup()
