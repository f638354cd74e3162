"""Shared fixtures for the engine tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from websockets.asyncio.server import ServerConnection, serve


async def _echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


@pytest.fixture(scope="session")
def websockets_url() -> Iterator[str]:
    """A third-party `websockets` echo server in a thread (ping_interval=None, max_size=2**25)."""
    loop = asyncio.new_event_loop()
    ready: list[str] = []
    stop = loop.create_future()

    async def serve_forever() -> None:
        async with serve(_echo, "127.0.0.1", 0, ping_interval=None, max_size=2**25) as server:
            ready.append(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}")
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(serve_forever(),), daemon=True)
    thread.start()
    while not ready and thread.is_alive():
        threading.Event().wait(0.01)
    yield ready[0]
    loop.call_soon_threadsafe(stop.set_result, None)
    thread.join(5)
