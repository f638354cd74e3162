"""python-engineio's asyncio client (nobody here wrote it) against the reference Engine.IO server.

It opens a polling session, upgrades to WebSocket (probe, ``5``), and exchanges text and binary messages
with the echo testee; a second client stays on polling only.
"""

from __future__ import annotations

import asyncio

import pytest

engineio = pytest.importorskip("engineio")

from http_server_harness import run, serving  # noqa: E402

from reference.core.eio.handshake import EioConfig  # noqa: E402
from reference.core.eio.states import POLLING, WEBSOCKET  # noqa: E402
from reference.servers.eio import EioServer, EioSettings  # noqa: E402

pytestmark = pytest.mark.interop


async def _echo_round(server: EioServer, transports: list[str]) -> tuple[list[str | bytes], str]:
    client = engineio.AsyncClient(handle_sigint=False)
    got: asyncio.Queue[str | bytes] = asyncio.Queue()

    @client.on("message")  # type: ignore[untyped-decorator]
    async def on_message(data: str | bytes) -> None:
        await got.put(data)

    await client.connect(f"http://127.0.0.1:{server.port}", transports=transports)
    try:
        if "websocket" in transports:
            for _ in range(50):  # the upgrade runs in the background after connect() returns
                if client.transport() == "websocket":
                    break
                await asyncio.sleep(0.02)
        sent: list[str | bytes] = ["hello", "€ unicode", b"\x00\x01\xff", "x" * 100_000]
        for message in sent:
            await client.send(message)
        echoed = [await asyncio.wait_for(got.get(), 5) for _ in sent]
        assert echoed == sent
        transport = client.transport()
        live = server.sessions[client.sid]
        assert live.session.state is (WEBSOCKET if transport == "websocket" else POLLING)
        return echoed, transport
    finally:
        await client.disconnect()


def test_python_engineio_client_upgrades_and_echoes() -> None:
    async def main() -> None:
        async with serving(EioServer(EioSettings(config=EioConfig(ping_interval=300, ping_timeout=200)))) \
                as server:
            _, transport = await _echo_round(server, ["polling", "websocket"])
            assert transport == "websocket"
            _, transport = await _echo_round(server, ["polling"])
            assert transport == "polling"
            _, transport = await _echo_round(server, ["websocket"])
            assert transport == "websocket"
            for _ in range(50):
                if not server.sessions:
                    break
                await asyncio.sleep(0.02)
            assert not server.sessions  # every client's close ended its session

    run(main, timeout=30)


def test_python_engineio_client_survives_heartbeats() -> None:
    async def main() -> None:
        settings = EioSettings(config=EioConfig(ping_interval=100, ping_timeout=300))
        async with serving(EioServer(settings)) as server:
            client = engineio.AsyncClient(handle_sigint=False)
            await client.connect(f"http://127.0.0.1:{server.port}", transports=["polling", "websocket"])
            await asyncio.sleep(0.8)  # several pings answered by the client
            assert client.sid in server.sessions
            await client.disconnect()

    run(main, timeout=30)
