"""A hostile WebSocket target for the report's escaping tests: everything it can put in front of the
runner carries markup and script (its banner on stdout/stderr, response headers, the HTTP error body,
text payloads, the close reason).

    python hostile_server.py --port N      # prints "listening on ws://127.0.0.1:N"

It completes any handshake that has a Sec-WebSocket-Key (with hostile extra headers), answers others
with a hostile 400, then sends a hostile text message and a close frame with a hostile reason.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Each payload would set window.__pwned if a browser ran it.
SCRIPT = "<script>window.__pwned='script'</script>"
ATTR = "\"><img src=x onerror=\"window.__pwned='img'\">"
#: A close reason must fit in 123 bytes (RFC 6455 §5.5: control frame payloads are at most 125 bytes).
REASON = "</pre></td><script>window.__pwned='reason'</script>"
HEADERS = [("Server", SCRIPT), ("X-Evil", ATTR), ("Set-Cookie", f"a=<svg onload=alert(1)>{ATTR}")]


def frame(opcode: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    return bytes([0x80 | opcode, len(payload)]) + payload


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
        writer.close()
        return
    key = next((line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")), None)
    extra = "".join(f"{name}: {value}\r\n" for name, value in HEADERS).encode()
    if key is None:
        body = f"<html><body>{SCRIPT}{ATTR}</body></html>".encode()
        writer.write(b"HTTP/1.1 400 " + ATTR.encode() + b"\r\n" + extra
                     + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()
        return
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept + b"\r\n" + extra + b"\r\n")
    writer.write(frame(0x1, (SCRIPT + ATTR).encode()))
    writer.write(frame(0x8, struct.pack("!H", 1000) + REASON.encode()))
    await writer.drain()
    try:
        while await asyncio.wait_for(reader.read(65536), 0.05):
            pass
    except (asyncio.TimeoutError, ConnectionError):
        pass
    writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    print(f"hostile banner {SCRIPT}{ATTR}", file=sys.stderr, flush=True)
    print(f"listening on ws://127.0.0.1:{bound}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
