"""python-socketio's asyncio client (nobody here wrote it) against the reference Socket.IO server.

Polling then the upgrade to WebSocket, namespaces multiplexed on one session, binary arguments, acks both
ways, a refused namespace, rooms with two clients (one on polling), disconnect-me, and a reconnect after
the transport dropped (the client does not implement connection state recovery).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

socketio = pytest.importorskip("socketio")

from http_server_harness import run, serving  # noqa: E402

from reference.core.eio.handshake import EioConfig  # noqa: E402
from reference.core.sio.recovery import Recovery  # noqa: E402
from reference.servers.eio import EioSettings  # noqa: E402
from reference.servers.sio import SioServer, SioSettings  # noqa: E402

pytestmark = pytest.mark.interop

EIO = EioSettings(config=EioConfig(ping_interval=300, ping_timeout=2000), path="/socket.io/")


def _recorder(client: Any, namespace: str = "/") -> asyncio.Queue[tuple[Any, ...]]:
    got: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    async def any_event(event: str, *args: Any) -> None:
        await got.put((event, *args))

    client.on("*", any_event, namespace=namespace)
    return got


async def _next(got: asyncio.Queue[tuple[Any, ...]]) -> tuple[Any, ...]:
    return await asyncio.wait_for(got.get(), 5)


def test_python_socketio_client_namespaces_acks_binary() -> None:
    async def main() -> None:
        async with serving(SioServer(SioSettings(eio=EIO))) as server:
            client = socketio.AsyncClient(reconnection=False)
            main_events, custom_events = _recorder(client), _recorder(client, "/custom")

            @client.on("ack-request")  # type: ignore[untyped-decorator]
            async def ack_request(*args: Any) -> tuple[Any, ...]:
                return ("answered", *args)

            await client.connect(f"http://127.0.0.1:{server.port}", auth={"token": "t"},
                                 namespaces=["/", "/custom"], transports=["polling", "websocket"])
            try:
                assert await _next(main_events) == ("auth", {"token": "t"})
                assert await _next(custom_events) == ("auth", {"token": "t"})
                for _ in range(100):  # the upgrade runs in the background
                    if client.transport() == "websocket":
                        break
                    await asyncio.sleep(0.02)
                assert client.transport() == "websocket"
                assert len(server.sessions) == 1  # both namespaces on one Engine.IO session

                await client.emit("message", [1, b"\x00\xff", {"k": b"\x01"}])
                assert await _next(main_events) == ("message-back", [1, b"\x00\xff", {"k": b"\x01"}])
                assert await client.call("message-with-ack", b"\x07", namespace="/custom") == b"\x07"
                await client.emit("emit-with-ack", "ping")
                assert await _next(main_events) == ("ack-response", "answered", "ping")

                await client.emit("disconnect-me", namespace="/custom")
                for _ in range(100):
                    if "/custom" not in client.namespaces:
                        break
                    await asyncio.sleep(0.02)
                assert "/custom" not in client.namespaces
                assert not server.sio.sockets("/custom")
            finally:
                await client.disconnect()

            refused = socketio.AsyncClient(reconnection=False)
            errors: list[Any] = []
            refused.on("connect_error", errors.append, namespace="/refused")
            with pytest.raises(socketio.exceptions.ConnectionError, match="/refused"):
                await refused.connect(f"http://127.0.0.1:{server.port}", namespaces=["/refused"])
            assert errors == [{"message": "Not authorized", "data": {"reason": "testee"}}]

    run(main, timeout=30)


def test_python_socketio_clients_in_a_room() -> None:
    async def main() -> None:
        async with serving(SioServer(SioSettings(eio=EIO))) as server:
            url = f"http://127.0.0.1:{server.port}"
            a, b = socketio.AsyncClient(reconnection=False), socketio.AsyncClient(reconnection=False)
            a_events, b_events = _recorder(a), _recorder(b)
            await a.connect(url, transports=["websocket"])
            await b.connect(url, transports=["polling"])
            try:
                await _next(a_events), await _next(b_events)  # auth
                assert await a.call("join", "r") == "r"
                assert await b.call("join", "r") == "r"
                await a.call("broadcast", ("r", "from a", b"\x01"))
                assert await _next(b_events) == ("broadcast-back", "from a", b"\x01")
                await b.call("broadcast", ("r", "from b"))
                assert await _next(a_events) == ("broadcast-back", "from b")
                assert a_events.empty()
                assert b_events.empty()  # never the sender
            finally:
                await a.disconnect()
                await b.disconnect()

    run(main, timeout=30)


def test_python_socketio_client_reconnects_after_a_drop() -> None:
    """python-socketio's client does not implement connection state recovery (it sends no pid/offset):
    after its transport drops it reconnects by itself and gets a fresh socket, with recovery on or off."""
    async def main() -> None:
        settings = SioSettings(eio=EIO, recovery=Recovery(window=30.0))
        async with serving(SioServer(settings)) as server:
            a = socketio.AsyncClient(reconnection_delay=0.05, reconnection_delay_max=0.1)
            events = _recorder(a)
            connected = asyncio.Event()
            a.on("connect", connected.set)
            await a.connect(f"http://127.0.0.1:{server.port}", transports=["websocket"])
            try:
                assert (await _next(events))[:2] == ("auth", {})
                first_sid = a.get_sid()
                connected.clear()
                await a.eio.ws.close()  # the transport drops under the client, which reconnects by itself
                await asyncio.wait_for(connected.wait(), 10)
                assert (await _next(events))[:2] == ("auth", {})
                assert a.get_sid() != first_sid
                assert set(server.sio.sockets("/")) == {a.get_sid()}
                assert await a.call("message-with-ack", "after") == "after"
            finally:
                await a.disconnect()

    run(main, timeout=30)
