"""Hostile targets for the runner's bounds: small asyncio servers on 127.0.0.1, one behaviour each.

    python servers.py MODE [--port N] [--lifetime S]   # prints "listening on 127.0.0.1:N"

Every mode answers any request (the opening handshake of a WebSocket, an SSE subscription, a poll, a
publish) the same way; see :data:`MODES`. Each server is bounded in time: a connection is served for at
most ``CONNECTION_LIMIT`` seconds, the whole server for ``--lifetime`` seconds (default 180).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import struct
import sys
from collections.abc import Awaitable, Callable

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Seconds one connection is served at most.
CONNECTION_LIMIT = 60.0
#: Control characters a terminal acts on: clear screen, window title (OSC ... BEL), colour (CSI),
#: NUL, DEL, a C1 CSI (U+009B) and a bidi override.
NASTY = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x00\x7f\u009b31m\u202e"
NASTY_BYTES = NASTY.encode("utf-8")

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]


def frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """An unmasked server frame."""
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        return bytes([first, n]) + payload
    if n < 65536:
        return bytes([first, 126]) + struct.pack("!H", n) + payload
    return bytes([first, 127]) + struct.pack("!Q", n) + payload


def ws_key(head: bytes) -> bytes | None:
    return next((line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                 if line.lower().startswith(b"sec-websocket-key:")), None)


def upgrade(key: bytes, reason: bytes = b"Switching Protocols", extra: bytes = b"") -> bytes:
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    return (b"HTTP/1.1 101 " + reason + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n" + extra + b"\r\n")


async def forever(writer: asyncio.StreamWriter, chunk: Callable[[int], bytes]) -> None:
    """Write ``chunk(i)`` for i = 0, 1, ... until the peer goes away or the connection limit passes."""
    loop = asyncio.get_running_loop()
    end = loop.time() + CONNECTION_LIMIT
    i = 0
    while loop.time() < end:
        writer.write(chunk(i))
        await writer.drain()
        i += 1


async def endless_frames(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """WebSocket: after the handshake, 16 KiB text messages without end."""
    key = ws_key(head)
    if key is None:
        await http_endless(writer, b"x" * 65536)
        return
    writer.write(upgrade(key))
    message = frame(0x1, b"m" * 16384)
    await forever(writer, lambda i: message)


async def endless_fragments(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """WebSocket: one text message that never ends (64 KiB continuation frames, never fin)."""
    key = ws_key(head)
    if key is None:
        await http_endless(writer, b"x" * 65536)
        return
    writer.write(upgrade(key))
    cont = frame(0x0, b"f" * 65536, fin=False)
    await forever(writer, lambda i: frame(0x1, b"f" * 65536, fin=False) if i == 0 else cont)


async def endless_pings(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """WebSocket: pings with 125-byte payloads without end."""
    key = ws_key(head)
    if key is None:
        await http_endless(writer, b"x" * 65536)
        return
    writer.write(upgrade(key))
    ping = frame(0x9, b"p" * 125) * 64
    await forever(writer, lambda i: ping)


def sse_head() -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            b"Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n")


async def endless_sse_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """SSE: a 200 event stream whose first line never ends."""
    writer.write(sse_head() + b"data: ")
    chunk = b"a" * 65536
    await forever(writer, lambda i: chunk)


async def endless_events(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """SSE: a 200 event stream without end: small events and 2 KiB ones."""
    writer.write(sse_head())
    filler = b"e" * 2048
    events = b"".join(b"id: %d\ndata: event %d %s\n\n" % (i, i, filler if i % 2 else b"") for i in range(64))
    await forever(writer, lambda i: events)


async def http_endless(writer: asyncio.StreamWriter, chunk: bytes) -> None:
    """HTTP: a 200 with a Content-Length of 1 TiB, streamed without end."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % 2**40)
    await forever(writer, lambda i: chunk)


async def huge_poll_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """HTTP: every request gets a body that never ends (64 KiB writes)."""
    await http_endless(writer, b"[" + b"1," * 32767 + b"1")


async def silence(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """Accept, read the request, never answer."""
    await asyncio.sleep(CONNECTION_LIMIT)


async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """One byte every 100 ms: a 101 (or an SSE 200), then messages, all dripped."""
    key = ws_key(head)
    data = (upgrade(key) + frame(0x1, b"drip" * 64)) if key else sse_head() + b"data: drip\n\n" * 100
    loop = asyncio.get_running_loop()
    end = loop.time() + CONNECTION_LIMIT
    for i in range(len(data)):
        if loop.time() > end:
            return
        writer.write(data[i:i + 1])
        await writer.drain()
        await asyncio.sleep(0.1)


async def hostile_text(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    """Terminal control sequences in the status line, headers, a text message, the close reason, an
    SSE event; any other request gets a 400 with them in the reason phrase, headers and body."""
    extra = b"X-Nasty: " + NASTY_BYTES + b"\r\nServer: " + NASTY_BYTES + b"\r\n"
    key = ws_key(head)
    if key is not None:
        writer.write(upgrade(key, b"Switching " + NASTY_BYTES, extra))
        writer.write(frame(0x1, b"text " + NASTY_BYTES))
        writer.write(frame(0x8, struct.pack("!H", 1000) + NASTY_BYTES[:100]))
    elif b"text/event-stream" in head:
        writer.write(b"HTTP/1.1 200 OK " + NASTY_BYTES + b"\r\nContent-Type: text/event-stream\r\n" + extra
                     + b"\r\nevent: " + NASTY_BYTES + b"\ndata: " + NASTY_BYTES + b"\n\n")
    else:
        body = b"error " + NASTY_BYTES
        writer.write(b"HTTP/1.1 400 Bad " + NASTY_BYTES + b"\r\n" + extra
                     + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    await asyncio.sleep(0.5)


MODES: dict[str, Handler] = {
    "endless-frames": endless_frames, "endless-fragments": endless_fragments, "endless-pings": endless_pings,
    "endless-sse-line": endless_sse_line, "endless-events": endless_events, "huge-poll-body": huge_poll_body,
    "silence": silence, "drip": drip, "hostile-text": hostile_text,
}


def serve(mode: Handler) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            await asyncio.wait_for(mode(reader, writer, head), CONNECTION_LIMIT + 1)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, OSError):
            pass
        finally:
            writer.transport.abort()
    return handle


async def main(mode: str, port: int, lifetime: float) -> None:
    server = await asyncio.start_server(serve(MODES[mode]), "127.0.0.1", port)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.serve_forever(), lifetime)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lifetime", type=float, default=180.0)
    args = parser.parse_args()
    asyncio.run(main(args.mode, args.port, args.lifetime))
    sys.exit(0)
