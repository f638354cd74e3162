"""The non-reading peer: counts what the target accepts before its window closes, and tells a target that
stopped reading from one that reads on or closes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from conformance.wire.nonreader import NonReader, kernel_slack

MiB = 1024 * 1024
#: Loopback kernel slack: the target's receive buffer plus ours, with small buffers on our side.
KERNEL_SLACK = 8 * MiB


def _run(coro: Awaitable[Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, 20)
    return asyncio.run(bounded())


async def _serve(handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
                 ) -> tuple[asyncio.AbstractServer, int]:
    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Closes its side when the handler returns: from Python 3.12 on, ``wait_closed`` waits for every
        # connection, and a server that stopped reading never sees the peer's FIN.
        try:
            with contextlib.suppress(ConnectionError):
                await handle(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _chunks() -> bytes:
    return b"z" * 16384


def test_reads_up_to_a_budget_then_stops_reading() -> None:
    budget = 3 * MiB

    async def main() -> None:
        hold = asyncio.Event()

        async def read_budget(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readexactly(budget)
            await hold.wait()  # reads nothing more: the window closes

        server, port = await _serve(read_budget)
        peer = NonReader("127.0.0.1", port)
        await peer.connect(5)
        flood = await peer.flood(_chunks, stall=0.5, limit=64 * MiB, timeout=15)
        assert flood.outcome == "stalled"
        assert flood.accepted is not None
        assert budget <= flood.accepted <= budget + KERNEL_SLACK
        assert flood.written - flood.accepted <= 256 * 1024  # our own send queue is small
        peer.close()
        hold.set()
        server.close()
        await server.wait_closed()
    _run(main())


def test_a_target_that_reads_everything_reaches_the_limit() -> None:
    async def main() -> None:
        async def discard(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while await reader.read(65536):
                pass

        server, port = await _serve(discard)
        peer = NonReader("127.0.0.1", port)
        await peer.connect(5)
        flood = await peer.flood(_chunks, stall=2.0, limit=16 * MiB, timeout=15)
        assert flood.outcome == "limit"
        assert flood.written >= 16 * MiB
        peer.close()
        server.close()
        await server.wait_closed()
    _run(main())


def test_a_target_that_closes_is_seen_as_closed() -> None:
    async def main() -> None:
        async def read_then_reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readexactly(MiB)
            writer.transport.abort()

        server, port = await _serve(read_then_reset)
        peer = NonReader("127.0.0.1", port)
        await peer.connect(5)
        flood = await peer.flood(_chunks, stall=5.0, limit=64 * MiB, timeout=15)
        assert flood.outcome == "closed"
        assert flood.error in {"ConnectionResetError", "BrokenPipeError"}
        assert MiB <= flood.written <= MiB + KERNEL_SLACK
        peer.close()
        server.close()
        await server.wait_closed()
    _run(main())


def test_read_head_reads_exactly_the_head() -> None:
    head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    after = b"\x81\x05hello"

    async def main() -> None:
        async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            for i in range(0, len(head), 7):  # dribbled, so the terminator can straddle two reads
                writer.write(head[i:i + 7])
                await writer.drain()
                await asyncio.sleep(0.01)
            writer.write(after)
            await reader.read()  # until the peer closes

        server, port = await _serve(respond)
        peer = NonReader("127.0.0.1", port)
        await peer.connect(5)
        await peer.send_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5)
        assert await peer.read_head(5) == head
        await asyncio.sleep(0.1)
        assert peer.unread() == len(after)
        peer.close()
        server.close()
        await server.wait_closed()
    _run(main())


def test_kernel_slack_reads_the_largest_tcp_buffers(tmp_path: Path) -> None:
    ipv4 = tmp_path / "sys" / "net" / "ipv4"
    ipv4.mkdir(parents=True)
    (ipv4 / "tcp_rmem").write_text("4096\t131072\t33554432\n")
    (ipv4 / "tcp_wmem").write_text("4096\t16384\t4194304\n")
    assert kernel_slack(str(tmp_path)) == 33554432 + 4194304
    (ipv4 / "tcp_wmem").unlink()
    assert kernel_slack(str(tmp_path)) == 8 * MiB
