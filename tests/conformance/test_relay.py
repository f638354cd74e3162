"""The runner's TCP relay: forwards bytes unchanged, blackholes without FIN/RST, closes idle connections,
bounds its memory, and ends everything when closed."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from conformance.wire.relay import CHUNK, Relay


class _Target:
    """A TCP server recording what each accepted connection receives and whether it saw an end of stream."""

    def __init__(self, on_connect: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
                 | None = None) -> None:
        self.on_connect = on_connect
        self.writers: list[asyncio.StreamWriter] = []
        self.received: list[bytearray] = []
        self.eof: list[bool] = []
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(self.writers)
        self.writers.append(writer)
        self.received.append(bytearray())
        self.eof.append(False)
        if self.on_connect is not None:
            await self.on_connect(reader, writer)
            return
        try:
            while chunk := await reader.read(65536):
                self.received[index] += chunk
                writer.write(chunk)  # echo
                await writer.drain()
        except ConnectionError:
            pass
        self.eof[index] = True
        writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        await self.server.wait_closed()


def _run(coro: Awaitable[Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, 15)
    return asyncio.run(bounded())


def test_forwards_bytes_unchanged_both_ways_on_several_connections() -> None:
    async def main() -> None:
        target = _Target()
        await target.start()
        payloads = [os.urandom(300_000), os.urandom(5), os.urandom(CHUNK * 3 + 17)]
        async with Relay("127.0.0.1", target.port) as relay:
            async def one(payload: bytes) -> bytes:
                reader, writer = await asyncio.open_connection(relay.host, relay.port)
                writer.write(payload)
                got = await reader.readexactly(len(payload))
                writer.close()
                return got
            echoed = await asyncio.gather(*(one(p) for p in payloads))
            assert echoed == payloads
            assert relay.connections_opened == 3
            total = sum(map(len, payloads))
            assert relay.bytes_to_target == total == relay.bytes_to_client
            assert sorted(map(bytes, target.received), key=len) == sorted(payloads, key=len)
        await target.stop()
    _run(main())


def test_end_of_stream_is_passed_on_as_a_half_close() -> None:
    async def main() -> None:
        target = _Target()
        await target.start()
        async with Relay("127.0.0.1", target.port) as relay:
            reader, writer = await asyncio.open_connection(relay.host, relay.port)
            writer.write(b"last words")
            writer.write_eof()
            assert await reader.read() == b"last words"  # the echo, then the target's own end of stream
            assert target.eof == [True]
            writer.close()
        await target.stop()
    _run(main())


def test_blackhole_leaves_the_target_half_open_until_it_gives_up() -> None:
    async def main() -> None:
        gave_up = asyncio.Event()
        saw: list[bytes] = []

        async def quiet_then_give_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            saw.append(await reader.readexactly(5))
            writer.write(b"hello")
            # The client's next bytes and its close must never arrive: only our own timer ends this.
            read = asyncio.ensure_future(reader.read(1))
            done, _ = await asyncio.wait({read}, timeout=1.0)
            saw.append(read.result() if done else b"<nothing>")
            read.cancel()
            writer.transport.abort()  # the target drops the dead peer (a reset)
            gave_up.set()

        target = _Target(quiet_then_give_up)
        await target.start()
        async with Relay("127.0.0.1", target.port) as relay:
            reader, writer = await asyncio.open_connection(relay.host, relay.port)
            writer.write(b"hello")
            assert await reader.readexactly(5) == b"hello"
            conn = relay.connections[0]
            assert conn.target_gone() is False
            relay.blackhole()
            writer.write(b"more bytes the network ate")
            writer.close()  # our FIN goes into the void too
            await gave_up.wait()
            assert saw == [b"hello", b"<nothing>"]
            assert await conn.wait_target_gone(5.0)  # seen through TCP_INFO, without reading
            assert not conn.closed  # the relay itself still holds both sockets
            assert relay.bytes_to_target == 5
        await target.stop()
    _run(main())


def test_blackholed_target_writes_fill_kernel_buffers_and_block() -> None:
    async def main() -> None:
        blocked = asyncio.Event()
        written = [0]

        async def write_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            chunk = b"x" * 65536
            while True:
                writer.write(chunk)
                written[0] += len(chunk)
                try:
                    await asyncio.wait_for(writer.drain(), 0.5)
                except asyncio.TimeoutError:
                    blocked.set()
                    return

        target = _Target(write_forever)
        await target.start()
        async with Relay("127.0.0.1", target.port) as relay:
            relay.blackhole()
            # Connected after the blackhole: held, never connected upstream.
            _, writer = await asyncio.open_connection(relay.host, relay.port)
            await asyncio.sleep(0.2)
            assert relay.connections_opened == 1
            assert not relay.connections[0].upstream_connected
            assert target.writers == []
            writer.close()
        async with Relay("127.0.0.1", target.port) as relay:
            _, writer = await asyncio.open_connection(relay.host, relay.port)
            assert await relay.wait_connections(1, 5)
            relay.connections[0].blackhole()
            await asyncio.wait_for(blocked.wait(), 20)
            assert relay.bytes_to_client < written[0]
            writer.close()
        await target.stop()
    _run(main())


def test_idle_timeout_closes_a_silent_connection_and_spares_an_active_one() -> None:
    async def main() -> None:
        target = _Target()
        await target.start()
        async with Relay("127.0.0.1", target.port, idle_timeout=0.4) as relay:
            silent_r, silent_w = await asyncio.open_connection(relay.host, relay.port)
            busy_r, busy_w = await asyncio.open_connection(relay.host, relay.port)
            loop = asyncio.get_running_loop()
            start = loop.time()
            for _ in range(8):  # 0.8 s of traffic every 0.1 s: never idle for 0.4 s
                busy_w.write(b"ping")
                assert await busy_r.readexactly(4) == b"ping"
                await asyncio.sleep(0.1)
            assert await asyncio.wait_for(silent_r.read(), 5) == b""  # FIN from the relay
            assert loop.time() - start >= 0.4
            assert relay.idle_closes == 1
            busy_w.write(b"still")
            assert await busy_r.readexactly(5) == b"still"
            relay.idle_timeout(None)
            await asyncio.sleep(0.6)
            busy_w.write(b"alive")
            assert await busy_r.readexactly(5) == b"alive"
            await asyncio.sleep(0.1)
            assert target.eof[0] is True  # the target saw the idle connection's FIN too
            silent_w.close()
            busy_w.close()
        await target.stop()
    _run(main())


def test_memory_is_bounded_when_the_client_does_not_read() -> None:
    async def main() -> None:
        sent = [0]

        async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            chunk = b"y" * 65536
            with contextlib.suppress(ConnectionError):
                while sent[0] < 64 * 1024 * 1024:
                    writer.write(chunk)
                    sent[0] += len(chunk)
                    await writer.drain()

        target = _Target(flood)
        await target.start()
        async with Relay("127.0.0.1", target.port) as relay:
            _, writer = await asyncio.open_connection(relay.host, relay.port, limit=CHUNK)
            cast(asyncio.Transport, writer.transport).pause_reading()  # the client reads nothing
            assert await relay.wait_connections(1, 5)
            conn = relay.connections[0]
            await asyncio.sleep(1.0)
            transport = conn.client.transport
            assert transport is not None
            assert transport.get_write_buffer_size() <= 2 * CHUNK
            assert sent[0] < 64 * 1024 * 1024  # the target was throttled: the relay did not soak it up
            writer.close()
        await target.stop()
    _run(main())


def test_closing_the_relay_ends_every_connection() -> None:
    async def main() -> None:
        target = _Target()
        await target.start()
        relay = Relay("127.0.0.1", target.port)
        await relay.start()
        pairs = [await asyncio.open_connection(relay.host, relay.port) for _ in range(3)]
        assert await relay.wait_connections(3, 5)
        relay.blackhole()
        await relay.close()
        for reader, writer in pairs:
            with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
                await asyncio.wait_for(reader.readexactly(1), 5)
            writer.close()
        await asyncio.sleep(0.1)
        assert target.eof == [True, True, True]
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(relay.host, relay.port)
        await target.stop()
    _run(main())


def test_unreachable_target_closes_the_client() -> None:
    async def main() -> None:
        target = _Target()
        await target.start()
        port = target.port
        await target.stop()
        async with Relay("127.0.0.1", port) as relay:
            reader, writer = await asyncio.open_connection(relay.host, relay.port)
            with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
                await asyncio.wait_for(reader.readexactly(1), 5)
            assert relay.connections[0].closed
            writer.close()
    _run(main())
