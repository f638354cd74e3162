"""Echo servers on tornado and uvicorn, set up the way Autobahn's own echo servers are, for
``bench_catalog.py``: no keepalive pings, no compression, messages up to 32 MiB.

``python tests/bench/catalog_peers.py KIND [--port N]`` prints ``listening on ws://127.0.0.1:PORT``.
KIND: tornado, uvicorn (with its default WebSocket implementation). The websockets, aiohttp, npm ws and
reference servers are in tests/fixtures.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from typing import Any

MAX_SIZE = 2**25


async def _tornado(host: str, port: int) -> None:
    import tornado.httpserver
    import tornado.web
    import tornado.websocket

    class Echo(tornado.websocket.WebSocketHandler):
        def on_message(self, message: str | bytes) -> None:
            self.write_message(message, binary=isinstance(message, bytes))

    app = tornado.web.Application([(r"/", Echo)], websocket_max_message_size=MAX_SIZE)
    sock = _listening(host, port)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets([sock])
    print(f"listening on ws://{host}:{sock.getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


async def _uvicorn(host: str, port: int) -> None:
    import uvicorn

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": event.get("text"), "bytes": event.get("bytes")})

    sock = _listening(host, port)
    config = uvicorn.Config(app, ws="auto", ws_ping_interval=None, ws_max_size=MAX_SIZE,
                            ws_per_message_deflate=False, log_level="warning", lifespan="off")
    print(f"listening on ws://{host}:{sock.getsockname()[1]}", flush=True)
    await uvicorn.Server(config).serve(sockets=[sock])


def _listening(host: str, port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


SERVERS = {"tornado": _tornado, "uvicorn": _uvicorn}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(SERVERS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(SERVERS[args.kind](args.host, args.port))
