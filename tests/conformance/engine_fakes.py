"""Scripted fake WebSocket servers for engine tests: each sends exact bytes, legal or hostile."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from conformance.wire.endpoint import Endpoint, parse_url

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def server_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = False,
                 rsv1: bool = False, length_bytes: int | None = None) -> bytes:
    """A frame as a server writes it (unmasked unless ``masked``)."""
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    size = length_bytes if length_bytes is not None else (0 if n <= 125 else 2 if n < 65536 else 8)
    m = 0x80 if masked else 0
    if size == 0:
        head = bytes((b0, m | n))
    elif size == 2:
        head = bytes((b0, m | 126)) + struct.pack("!H", n)
    else:
        head = bytes((b0, m | 127)) + struct.pack("!Q", n)
    if masked:
        key = b"\x01\x02\x03\x04"
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the request head and answer with a valid 101."""
    head = await reader.readuntil(b"\r\n\r\n")
    key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:"))
    accept_value = base64.b64encode(hashlib.sha1(key + GUID).digest())
    writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept_value + b"\r\n\r\n")
    await writer.drain()


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one masked client frame: (opcode, unmasked payload)."""
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    key = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
    data = await reader.readexactly(n)
    return b0 & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(data))


async def echo_loop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                    close_code: int | None = None, masked: bool = False) -> None:
    """A tiny echo server: echoes text/binary, pongs pings, answers close (with ``close_code`` if given)."""
    while True:
        op, data = await read_frame(reader)
        if op in (1, 2):
            writer.write(server_frame(op, data, masked=masked))
        elif op == 9:
            writer.write(server_frame(10, data, masked=masked))
        elif op == 8:
            reply = data if close_code is None else struct.pack("!H", close_code)
            writer.write(server_frame(8, reply, masked=masked))
            await writer.drain()
            writer.close()
            return
        await writer.drain()


@asynccontextmanager
async def fake_server(script: Script, *, handshake: bool = True) -> AsyncIterator[Endpoint]:
    """Serve ``script`` on 127.0.0.1 (after a valid handshake unless ``handshake`` is false)."""
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            if handshake:
                await accept(reader, writer)
            await script(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield parse_url(f"ws://127.0.0.1:{port}")
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


@contextmanager
def threaded_server(script: Script, *, handshake: bool = True) -> Iterator[int]:
    """:func:`fake_server` on its own event loop in a thread (for runs that call ``asyncio.run``);
    yields the port."""
    started = threading.Event()
    port = 0
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def serve() -> None:
        nonlocal port
        async with fake_server(script, handshake=handshake) as endpoint:
            port = endpoint.port
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the fake server did not start")
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept the connection and never send a byte."""
    await asyncio.Event().wait()


async def keep_tcp_open(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echo, and answer a close frame without closing TCP (fails the SHOULD case
    ws/7.1.1/server-closes-tcp-first and nothing else in the tests that use it)."""
    while True:
        op, data = await read_frame(reader)
        if op in (1, 2, 8):
            writer.write(server_frame(op, data))
        elif op == 9:
            writer.write(server_frame(10, data))
        await writer.drain()
