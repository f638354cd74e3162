"""A deliberately broken WebSocket echo server: the wire fuzzer must find something in it.

It answers any upgrade request with a 101, then echoes the payload of every text or binary frame as its
own message, without checking anything: RSV bits, reserved opcodes, masking, UTF-8, fragmentation and
close codes all pass, and frames with a reserved opcode are echoed as binary messages. It answers pings
and Close frames like a conforming server.

Run as ``python tests/fuzz/broken_server.py``; prints ``listening on ws://127.0.0.1:PORT``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib

from conformance.wire.wsframes import BINARY, CLOSE, CONT, PING, PONG, TEXT, FrameReader, FrameTooLarge, frame

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _accept(head: bytes) -> bytes:
    key = b""
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
    digest = base64.b64encode(hashlib.sha1(key + GUID).digest())
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + digest + b"\r\n\r\n")


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(_accept(head))
        frames = FrameReader(2**24)
        opcode = TEXT
        while data := await reader.read(65536):
            for fr in frames.feed(data):
                if fr.opcode == PING:
                    writer.write(frame(PONG, fr.payload, mask=False))
                elif fr.opcode == CLOSE:
                    writer.write(frame(CLOSE, fr.payload[:2], mask=False))
                    await writer.drain()
                    return
                elif fr.opcode != PONG:
                    if fr.opcode != CONT:
                        opcode = fr.opcode if fr.opcode in (TEXT, BINARY) else BINARY
                    writer.write(frame(opcode, fr.payload, mask=False))  # every fragment as a message
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, FrameTooLarge):
        pass
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(f"listening on ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
