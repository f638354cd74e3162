"""A small Engine.IO client for the server tests: raw HTTP requests (h11) and WebSockets (websockets)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import h11
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from reference.servers.eio import EioServer


async def http(server: EioServer, method: str, query: str, body: bytes = b"",
               headers: tuple[tuple[str, str], ...] = ()) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection: (status, headers with lower-case names, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    client = h11.Connection(h11.CLIENT)
    target = server.settings.path + ("?" + query if query else "")
    fields = [("Host", "127.0.0.1"), ("Connection", "close"), *headers]
    if method not in ("GET", "OPTIONS"):
        fields.append(("Content-Length", str(len(body))))
    writer.write(client.send(h11.Request(method=method, target=target, headers=fields)) or b"")
    if body:
        writer.write(client.send(h11.Data(data=body)) or b"")
    writer.write(client.send(h11.EndOfMessage()) or b"")
    status, got, data = 0, {}, bytearray()
    try:
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                client.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                got = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                data += event.data
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
    finally:
        writer.close()
    return status, got, bytes(data)


async def open_polling(server: EioServer) -> str:
    """A new polling session; its sid."""
    status, _, body = await http(server, "GET", "EIO=4&transport=polling")
    assert (status, body[:1]) == (200, b"0"), body
    sid: str = json.loads(body[1:])["sid"]
    return sid


async def get(server: EioServer, sid: str) -> tuple[int, bytes]:
    status, _, body = await http(server, "GET", f"EIO=4&transport=polling&sid={sid}")
    return status, body


async def post(server: EioServer, sid: str, body: bytes) -> tuple[int, bytes]:
    status, _, answer = await http(server, "POST", f"EIO=4&transport=polling&sid={sid}", body)
    return status, answer


@contextlib.asynccontextmanager
async def websocket(server: EioServer, query: str = "EIO=4&transport=websocket",
                    **options: Any) -> AsyncIterator[ClientConnection]:
    url = f"ws://127.0.0.1:{server.port}{server.settings.path}?{query}"
    async with connect(url, compression=None, ping_interval=None, **options) as ws:
        yield ws


async def closed(ws: ClientConnection, timeout: float = 3.0) -> bool:
    """Wait until the server closes ``ws`` (reading and dropping what comes first); False on timeout."""
    async def drain() -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.recv()

    try:
        await asyncio.wait_for(drain(), timeout)
    except asyncio.TimeoutError:
        return False
    return True
