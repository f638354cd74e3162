"""The servers that tests/bench/bench_servers.py measures, one per process: ``python peers.py NAME``.

Prints ``READY <port>`` once it listens on 127.0.0.1 (a free port). Echo servers (every message back with its
opcode, no compression, no keepalive pings): ``websockets``, ``aiohttp``, ``picows``. SSE fan-out servers
(``GET /events``): ``sse-reference`` (the reference ``SseServer``), ``sse-starlette`` (+ uvicorn, httptools),
``aiohttp-sse``, all with the same batch policy: one producer publishes a batch of 16 events (``id:`` and an
~80-byte JSON ``data:`` line each) to every subscriber, and the next batch once every subscriber has handed
the whole batch to its socket (its write buffer below the high-water mark). The reference server gets its
events through ``Hub.publish``, the call ``POST /publish`` ends in, so no HTTP request is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

BATCH = 16
PAD = "x" * 48


def _data(seq: int, now: float) -> str:
    return json.dumps({"seq": seq, "ts": round(now, 6), "p": PAD}, separators=(",", ":"))


def _ready(port: int) -> None:
    print(f"READY {port}", flush=True)


# -- echo peers --------------------------------------------------------------------------------------------


async def echo_websockets() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, ping_interval=None, max_size=2**26, compression=None) as server:
        _ready(next(iter(server.sockets)).getsockname()[1])
        await server.serve_forever()


async def echo_aiohttp() -> None:
    from aiohttp import WSMsgType, web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=2**26, compress=False, autoping=True)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type is WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    _ready(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    await asyncio.Event().wait()


async def echo_picows() -> None:
    from picows import WSListener, WSMsgType, WSUpgradeRequest, ws_create_server

    class Echo(WSListener):
        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type is WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code(), frame.get_close_message())
                transport.disconnect()
            elif frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY):
                # picows delivers frames, not messages: the load client sends unfragmented ones
                transport.send(frame.msg_type, frame.get_payload_as_memoryview(), frame.fin)

    def listener(_request: WSUpgradeRequest) -> Echo:
        return Echo()

    server = await ws_create_server(listener, "127.0.0.1", 0, max_frame_size=2**26, enable_auto_ping=False)
    _ready(server.sockets[0].getsockname()[1])
    await server.serve_forever()


# -- SSE fan-out -------------------------------------------------------------------------------------------


class Batches:
    """The peers' producer: a batch at a time, the next once every member took the previous one."""

    def __init__(self) -> None:
        self.seq = 0
        self.generation = 0
        self.batch: list[tuple[str, str]] = []
        self.members = 0
        self.pending = 0
        self.published = asyncio.Event()
        self.taken = asyncio.Event()
        self.joined = asyncio.Event()

    async def run(self) -> None:
        while True:
            if self.members == 0:
                self.joined.clear()
                await self.joined.wait()
            now = time.time()
            self.batch = [(str(self.seq + i), _data(self.seq + i, now)) for i in range(BATCH)]
            self.seq += BATCH
            self.generation += 1
            self.pending = self.members
            self.taken = asyncio.Event()
            published, self.published = self.published, asyncio.Event()
            published.set()
            await self.taken.wait()

    def _took_one(self) -> None:
        self.pending -= 1
        if self.pending <= 0:
            self.taken.set()

    async def subscribe(self) -> AsyncIterator[list[tuple[str, str]]]:
        wanted = self.generation + 1
        self.members += 1
        self.joined.set()
        try:
            while True:
                while self.generation < wanted:
                    await self.published.wait()
                yield self.batch
                wanted += 1
                self._took_one()
        finally:
            self.members -= 1
            if wanted <= self.generation:
                self._took_one()


async def sse_starlette() -> None:
    import uvicorn
    from sse_starlette.sse import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    batches = Batches()

    async def events(_request: Request) -> EventSourceResponse:
        async def stream() -> AsyncIterator[dict[str, str]]:
            async for batch in batches.subscribe():
                for seq, data in batch:
                    yield {"id": seq, "data": data}

        return EventSourceResponse(stream(), ping=3600)

    app = Starlette(routes=[Route("/events", events)])
    _spawn(batches.run())
    sock = _bound_socket()
    config = uvicorn.Config(app, loop="asyncio", http="auto", log_level="warning", lifespan="off",
                            backlog=2048)
    server = uvicorn.Server(config)
    _ready(sock.getsockname()[1])
    await server.serve(sockets=[sock])


async def aiohttp_sse() -> None:
    from aiohttp import web
    from aiohttp_sse import sse_response

    batches = Batches()

    async def events(request: web.Request) -> web.StreamResponse:
        async with sse_response(request) as response:  # its first ping comes after 15 s: past the window
            async for batch in batches.subscribe():
                for seq, data in batch:
                    await response.send(data, id=seq)
        return response

    app = web.Application()
    app.router.add_get("/events", events)
    _spawn(batches.run())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.SockSite(runner, _bound_socket(), backlog=2048)
    await site.start()
    _ready(site._sock.getsockname()[1])
    await asyncio.Event().wait()


async def sse_reference() -> None:
    from reference.servers.pubsub import Publish
    from reference.servers.sse import SseServer, SseSettings

    server = SseServer(SseSettings(heartbeat_interval=3600))
    await server.start("127.0.0.1", 0)
    hub = server.hub
    _ready(server.port)
    while True:
        if not hub.subscribers:
            await asyncio.sleep(0.01)
            continue
        now = time.time()
        for _ in range(BATCH):
            await hub.publish(Publish(_data(hub.history.last_seq + 1, now), None))
        await asyncio.sleep(0)  # the subscribers' writes run
        # Handed over: nothing queued, no socket buffer past its high-water mark. Only the subscribers still
        # busy are looked at again, so waiting costs little when most keep up.
        busy = [sub for sub in hub.subscribers if _busy(sub)]
        while busy:
            await asyncio.sleep(0.001)
            busy = [sub for sub in busy if _busy(sub) and sub in hub.subscribers]


def _busy(sub: Any) -> bool:
    lagging: Callable[[], bool] | None = getattr(sub, "lagging", None)  # absent before the fan-out path
    return not sub.queue.empty() or (lagging is not None and lagging())


_tasks: set[asyncio.Task[None]] = set()


def _spawn(coro: Awaitable[None]) -> None:
    task = asyncio.ensure_future(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def _bound_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


SERVERS: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
    "websockets": echo_websockets, "aiohttp": echo_aiohttp, "picows": echo_picows,
    "sse-reference": sse_reference, "sse-starlette": sse_starlette, "aiohttp-sse": aiohttp_sse,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=sorted(SERVERS))
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        if args.loop == "uvloop":
            import uvloop

            uvloop.run(SERVERS[args.name]())
        else:
            asyncio.run(SERVERS[args.name]())
    sys.exit(0)


if __name__ == "__main__":
    main()
