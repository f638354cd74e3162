"""Echo throughput of the reference WebSocket server against the ``websockets`` server, per server CPU-second.

Run: ``python tests/bench/bench_echo.py [--seconds 5] [--rounds 3] [--conns 1,64] [--deflate]``. Not collected
by pytest.

Its load client is pure asyncio Python and saturates before a fast server does (issue 19: it read 0.99x
websockets where a compiled client read 2.05x). ``tox -e bench`` therefore runs only ``--deflate`` from here,
where compression, not framing, sets the cost; the plain echo table comes from ``bench_servers.py`` and its
independent compiled client.

Method (see shared/research/perf-anchors.md):

* each server runs in its own subprocess on the stock asyncio loop: ``python -m reference.servers ws``
  and the ``websockets`` asyncio server (``ping_interval=None``, ``max_size`` raised, no compression),
  started by this script with ``--serve websockets``;
* one load client, written here: an asyncio ``Protocol`` per connection that keeps one masked 32-byte text
  message in flight, checks each echo byte for byte, and sends the next;
* the result is **messages per server CPU-second**: echoes counted over the window divided by the server
  process's user+system CPU time over the same window, read from ``/proc/<pid>/stat``. Raw msg/s moves with
  the machine's load; this ratio moves much less. Servers alternate within each round; the median is kept.

``--deflate`` measures the compressed echo instead (RFC 7692 permessage-deflate, context takeover both
ways): the client offers ``permessage-deflate``, sends each message compressed (RSV1, a ~1 KiB JSON-like
text whose counter changes every time, so each message is compressed anew), and inflates and checks each
echo, which must come back compressed. The peer is the ``websockets`` server with its default compression
(``compression="deflate"``: 12 window bits, memLevel 5); the reference server runs with its defaults
(deflate on, 15 window bits, memLevel 8).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import os
import re
import statistics
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAYLOAD = b"x" * 32
MASK = b"\x12\x34\x56\x78"
LISTENING = re.compile(r"listening on ws://([^\s:]+):(\d+)")


def client_frame(payload: bytes) -> bytes:
    """A masked text frame (FIN=1 op=TEXT, MASK=1 len<126)."""
    masked = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + MASK + masked


FRAME = client_frame(PAYLOAD)
ECHO = bytes([0x81, len(PAYLOAD)]) + PAYLOAD  # the server's answer: unmasked, same opcode and bytes


# -- servers ---------------------------------------------------------------------------------------------

SERVERS = {
    "reference": [sys.executable, "-m", "reference.servers", "ws", "--port", "0"],
    "websockets": [sys.executable, __file__, "--serve", "websockets"],
}
DEFLATE_SERVERS = {
    "reference": SERVERS["reference"],
    "websockets": [sys.executable, __file__, "--serve", "websockets-deflate"],
}
TRAILER = b"\x00\x00\xff\xff"
#: The compressed echo's message: JSON-like text, about 1 KiB, with a counter that changes every time.
DEFLATE_TEMPLATE = ('{"seq": %d, "type": "update", "items": ['
                    + ", ".join(f'{{"id": {i}, "name": "item-{i}", "price": {i * 3}.50, "tags": ["a", "b"]}}'
                                for i in range(14)) + "]}")


async def serve_websockets_deflate() -> None:
    """The compressed peer: the same server with websockets' default permessage-deflate."""
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, ping_interval=None, max_size=2**26,
                     compression="deflate") as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"listening on ws://127.0.0.1:{port}", flush=True)
        await server.serve_forever()


async def serve_websockets() -> None:
    """The peer: ``websockets``' asyncio echo server, configured like its own Autobahn testee."""
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, ping_interval=None, max_size=2**26, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"listening on ws://127.0.0.1:{port}", flush=True)
        await server.serve_forever()


def start_server(name: str, deflate: bool = False) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen((DEFLATE_SERVERS if deflate else SERVERS)[name], cwd=REPO, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = LISTENING.search(line)
    if match is None:
        proc.kill()
        raise SystemExit(f"{name} server did not start: {line!r}")
    return proc, int(match[2])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (fields 14 and 15 of /proc/<pid>/stat, in clock ticks)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# -- load client -----------------------------------------------------------------------------------------


class EchoClient(asyncio.Protocol):
    """One connection: upgrade, then send a message, wait for its echo, repeat."""

    #: Extra request header lines, each ending in CRLF.
    offer = ""

    def __init__(self, port: int, ready: asyncio.Future[None]) -> None:
        self.port = port
        self.ready = ready
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.count = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{self.offer}\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        if not self.upgraded:
            head, sep, rest = buffer.partition(b"\r\n\r\n")
            if not sep:
                self.buffer = buffer
                return
            if not head.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(f"handshake refused: {head[:80]!r}")
            self.check_head(head)
            self.upgraded = True
            self.ready.set_result(None)
            buffer = rest
        self.buffer = self.take_echoes(buffer)

    def check_head(self, head: bytes) -> None:
        """Check the 101 response head (nothing to check without an extension)."""

    def take_echoes(self, buffer: bytes) -> bytes:
        """Check and count the complete echoes at the start of ``buffer``, answer each; return the rest."""
        n = len(ECHO)
        while len(buffer) >= n:
            if buffer[:n] != ECHO:
                raise RuntimeError(f"bad echo: {buffer[:n]!r}")
            buffer = buffer[n:]
            self.count += 1
            assert self.transport is not None
            self.transport.write(FRAME)
        return buffer

    def start(self) -> None:
        assert self.transport is not None
        self.transport.write(FRAME)


class DeflateEchoClient(EchoClient):
    """The compressed echo: offers permessage-deflate, sends compressed messages, inflates each echo."""

    offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n"

    def __init__(self, port: int, ready: asyncio.Future[None]) -> None:
        super().__init__(port, ready)
        self.compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.decompressor = zlib.decompressobj(-15)
        self.sent = b""

    def check_head(self, head: bytes) -> None:
        if b"sec-websocket-extensions: permessage-deflate" not in head.lower():
            raise RuntimeError(f"permessage-deflate not accepted: {head!r}")

    def next_frame(self) -> bytes:
        """The next message, compressed (RFC 7692 §7.2.1), in a masked text frame with RSV1 set."""
        self.sent = (DEFLATE_TEMPLATE % self.count).encode()
        payload = (self.compressor.compress(self.sent) + self.compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
        n = len(payload)
        length = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        return b"\xc1" + length + b"\x00\x00\x00\x00" + payload  # the all-zero key leaves bytes as they are

    def take_echoes(self, buffer: bytes) -> bytes:
        while len(buffer) >= 2:
            b0, b1 = buffer[0], buffer[1]
            n, start = b1 & 0x7F, 2
            if n == 126:
                if len(buffer) < 4:
                    break
                n, start = int.from_bytes(buffer[2:4], "big"), 4
            if len(buffer) < start + n:
                break
            if b0 != 0xC1:  # FIN, RSV1, text
                raise RuntimeError(f"echo not a compressed text frame: {buffer[:2].hex()}")
            echo = self.decompressor.decompress(buffer[start : start + n] + TRAILER)
            if echo != self.sent:
                raise RuntimeError(f"bad echo: {echo[:40]!r}")
            buffer = buffer[start + n :]
            self.count += 1
            assert self.transport is not None
            self.transport.write(self.next_frame())
        return buffer

    def start(self) -> None:
        assert self.transport is not None
        self.transport.write(self.next_frame())


@dataclass(frozen=True)
class Sample:
    server: str
    conns: int
    messages: int
    seconds: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def per_cpu(self) -> float:
        return self.messages / self.cpu if self.cpu else float("nan")


async def load(name: str, pid: int, port: int, conns: int, warmup: float, seconds: float,
               deflate: bool = False) -> Sample:
    loop = asyncio.get_running_loop()
    clients: list[EchoClient] = []
    for _ in range(conns):
        ready: asyncio.Future[None] = loop.create_future()
        factory = functools.partial(DeflateEchoClient if deflate else EchoClient, port, ready)
        _, client = await loop.create_connection(factory, "127.0.0.1", port)
        await ready
        clients.append(client)
    for client in clients:
        client.start()
    await asyncio.sleep(warmup)
    count0, cpu0, t0 = sum(c.count for c in clients), cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    count1, cpu1, t1 = sum(c.count for c in clients), cpu_seconds(pid), time.perf_counter()
    for client in clients:
        assert client.transport is not None
        client.transport.abort()
    return Sample(name, conns, count1 - count0, t1 - t0, cpu1 - cpu0)


def measure(name: str, conns: int, warmup: float, seconds: float, deflate: bool = False) -> Sample:
    proc, port = start_server(name, deflate)
    try:
        return asyncio.run(load(name, proc.pid, port, conns, warmup, seconds, deflate))
    finally:
        proc.terminate()
        proc.wait(10)


# -- report ----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring window per run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs per (server, connections); median kept")
    parser.add_argument("--conns", default="1,64", help="comma-separated connection counts")
    parser.add_argument("--deflate", action="store_true",
                        help="the compressed echo (permessage-deflate both ways) instead of the plain one")
    parser.add_argument("--serve", choices=["websockets", "websockets-deflate"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve_websockets_deflate() if args.serve == "websockets-deflate" else serve_websockets())
        return
    what = (f"{len(DEFLATE_TEMPLATE % 0)} B text echo, permessage-deflate" if args.deflate
            else f"{len(PAYLOAD)} B text echo")
    print(f"python {sys.version.split()[0]}, asyncio loop, {what}, "
          f"{args.rounds} x {args.seconds:g} s per cell, median")
    columns = ("conns", "server", "msg/s", "server CPU", "msg/CPU-s", "vs websockets")
    print("{:>5}  {:<10}  {:>9}  {:>10}  {:>10}  {:>13}".format(*columns))
    for conns in (int(c) for c in args.conns.split(",")):
        samples: dict[str, list[Sample]] = {name: [] for name in SERVERS}
        for _ in range(args.rounds):
            for name in SERVERS:
                samples[name].append(measure(name, conns, args.warmup, args.seconds, args.deflate))
        peer = statistics.median(s.per_cpu for s in samples["websockets"])
        for name, runs in samples.items():
            rate = statistics.median(s.rate for s in runs)
            share = statistics.median(s.cpu / s.seconds for s in runs)
            per_cpu = statistics.median(s.per_cpu for s in runs)
            print(f"{conns:>5}  {name:<10}  {rate:>9,.0f}  {share:>9.0%}  {per_cpu:>10,.0f}  "
                  f"{per_cpu / peer:>12.2f}x")


if __name__ == "__main__":
    main()
