"""The bad peers of a soak, run as their own process: ``bad_peers.py ws|sse|poll PORT SECONDS [options]``.

* non-readers: send (ws: 256 KiB messages; sse: subscribe; poll: pipelined polls without a cursor) and
  never read; when the server drops them they come back.
* oversized: every ``--oversize-every`` seconds a client announces a 1 GiB message (ws) or publish body
  (sse, poll) and keeps sending while it reads the answer: a Close 1009 or a 413 must arrive, not a reset.
* pinner (ws): one message of ``--pin-size`` bytes, never reading the echo.
* slowloris: handshakes trickled one byte a second until the server answers 408 or closes.
* flood: ``--flood`` idle connections, reopened when closed, so the server sits at its connection cap.

Prints one summary line (counts per outcome) and exits 0; every loop ends at the deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import struct
import time

Counts = collections.Counter[str]
UPGRADE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
ZEROS = bytes(64 * 1024)


def frame(payload_length: int, opcode: int = 0x2) -> bytes:
    """A masked client frame header (mask key 0, so the payload goes as is)."""
    if payload_length < 126:
        head = bytes([0x80 | opcode, 0x80 | payload_length])
    elif payload_length < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", payload_length)
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", payload_length)
    return head + b"\0\0\0\0"


async def open_ws(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(UPGRADE)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
    return reader, writer


def close_now(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.transport.abort()


async def non_reader(protocol: str, port: int, deadline: float, counts: Counts) -> None:
    while time.monotonic() < deadline:
        writer = None
        try:
            if protocol == "ws":
                _, writer = await asyncio.wait_for(open_ws(port), 5)
                message = frame(256 * 1024) + bytes(256 * 1024)
                while time.monotonic() < deadline:
                    writer.write(message)
                    await asyncio.wait_for(writer.drain(), max(0.1, deadline - time.monotonic()))
            else:
                _, stream = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
                writer = stream
                # A poll without a cursor waits for the next publish: the poller is slow, not a replayer.
                path = "/events" if protocol == "sse" else "/poll"
                request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                while time.monotonic() < deadline:
                    stream.write(request * (1 if protocol == "sse" else 64))
                    await asyncio.wait_for(stream.drain(), max(0.1, deadline - time.monotonic()))
                    await asyncio.sleep(0.2)
            counts["non-reader kept to the end"] += 1
        except (OSError, asyncio.IncompleteReadError):
            counts["non-reader dropped"] += 1
            await asyncio.sleep(0.2)
        except asyncio.TimeoutError:
            counts["non-reader blocked to the end"] += 1
        finally:
            if writer is not None:
                close_now(writer)


async def _read_answer(protocol: str, reader: asyncio.StreamReader) -> str:
    if protocol == "ws":
        head = await reader.readexactly(2)
        if head[0] & 0x0F != 0x8:
            return f"opcode {head[0] & 0x0F}"
        payload = await reader.readexactly(head[1] & 0x7F)
        return f"close {struct.unpack('!H', payload[:2])[0]}"
    line = await reader.readline()
    return line.split(b" ")[1].decode() if line.startswith(b"HTTP/1.1 ") else f"bad {line[:20]!r}"


async def oversized(protocol: str, port: int, deadline: float, every: float, counts: Counts) -> None:
    while time.monotonic() < deadline:
        writer = None
        sender: asyncio.Task[None] | None = None
        try:
            if protocol == "ws":
                reader, stream = await asyncio.wait_for(open_ws(port), 5)
                stream.write(frame(1 << 30))
            else:
                reader, stream = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
                stream.write(b"POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (1 << 30))
            writer = stream

            async def keep_sending(w: asyncio.StreamWriter = stream) -> None:
                # 2 MiB at once (past the server's limits), then a steady 3 MiB/s: still sending when the
                # answer comes, without turning the soak into a CPU benchmark. Bounded: 2000 chunks.
                with contextlib.suppress(OSError):
                    for i in range(2000):
                        w.write(ZEROS)
                        await w.drain()
                        if i >= 32:
                            await asyncio.sleep(0.02)

            sender = asyncio.ensure_future(keep_sending())
            answer = await asyncio.wait_for(_read_answer(protocol, reader), 10)
            counts[f"oversized answered {answer}"] += 1
        except (ConnectionResetError, BrokenPipeError):
            counts["oversized reset before the answer"] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            counts[f"oversized failed: {type(exc).__name__}"] += 1
        finally:
            if sender is not None:
                sender.cancel()
            if writer is not None:
                close_now(writer)
        await asyncio.sleep(every)


async def pinner(port: int, deadline: float, size: int, counts: Counts) -> None:
    writer = None
    try:
        reader, writer = await asyncio.wait_for(open_ws(port), 5)
        writer.write(frame(size) + bytes(size))
        await asyncio.wait_for(writer.drain(), 20)
        await asyncio.sleep(max(0.0, deadline - time.monotonic() - 1))
        # Now read: the part of the echo the kernels held, then EOF or a reset if the server dropped us.
        for _ in range(1000):
            if not await asyncio.wait_for(reader.read(1 << 20), 2):
                counts["pinner closed by the server"] += 1
                return
        counts["pinner still open"] += 1
    except (ConnectionResetError, BrokenPipeError):
        counts["pinner dropped by the server"] += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
        counts[f"pinner failed: {type(exc).__name__}"] += 1
    finally:
        if writer is not None:
            close_now(writer)


async def slowloris(port: int, deadline: float, counts: Counts) -> None:
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
    while time.monotonic() < deadline:
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
            for byte in request:
                if time.monotonic() >= deadline:
                    break
                writer.write(bytes([byte]))
                with contextlib.suppress(asyncio.TimeoutError):
                    answer = await asyncio.wait_for(reader.read(64), 1.0)
                    counts[f"slowloris answered {answer[9:12].decode() or 'eof'}"] += 1
                    break
        except (OSError, asyncio.TimeoutError):
            counts["slowloris failed"] += 1
            await asyncio.sleep(0.5)
        finally:
            if writer is not None:
                close_now(writer)


async def flood_one(port: int, deadline: float, counts: Counts) -> None:
    while time.monotonic() < deadline:
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
            counts["flood connected"] += 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(reader.read(64), max(0.1, deadline - time.monotonic()))
                counts["flood closed by the server"] += 1
        except (OSError, asyncio.TimeoutError):
            counts["flood connect failed"] += 1
            await asyncio.sleep(0.5)
        finally:
            if writer is not None:
                close_now(writer)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("protocol", choices=["ws", "sse", "poll"])
    parser.add_argument("port", type=int)
    parser.add_argument("seconds", type=float)
    parser.add_argument("--non-readers", type=int, default=4)
    parser.add_argument("--oversize-every", type=float, default=0.5)
    parser.add_argument("--pin-size", type=int, default=0)
    parser.add_argument("--slowloris", type=int, default=20)
    parser.add_argument("--flood", type=int, default=0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.seconds
    counts: Counts = collections.Counter()
    jobs = [non_reader(args.protocol, args.port, deadline, counts) for _ in range(args.non_readers)]
    jobs.append(oversized(args.protocol, args.port, deadline, args.oversize_every, counts))
    if args.pin_size:
        jobs.append(pinner(args.port, deadline, args.pin_size, counts))
    jobs += [slowloris(args.port, deadline, counts) for _ in range(args.slowloris)]
    jobs += [flood_one(args.port, deadline, counts) for _ in range(args.flood)]
    await asyncio.wait_for(asyncio.gather(*jobs), args.seconds + 30)
    print("; ".join(f"{key}={value}" for key, value in sorted(counts.items())))


if __name__ == "__main__":
    asyncio.run(main())
