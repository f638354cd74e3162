"""The well-behaved clients of a soak: they measure latency and account for every message.

* ws: ``n`` clients, each sends a 64-byte text message, waits for its echo (the round trip is a sample),
  pauses 10 ms, and checks that every echo is the message it sent, in order.
* sse and poll: one publisher posts a numbered event every 10 ms; ``n`` subscribers (an event stream each,
  or a keep-alive long-poll loop each) receive them; a sample is the time from the publish being sent to
  the event being read, and every subscriber must see every number exactly once, in order.

``run(...)`` connects everything, calls ``ready()`` (the test starts the bad peers there), waits
``warmup`` seconds, then measures for ``seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

from soak_lib import Latencies

UPGRADE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
PAUSE = 0.01
#: The publisher's last event: not counted, it tells the subscribers to stop.
END = b"end"


class Window:
    """The measuring window: samples count only between ``start`` and ``end``."""

    def __init__(self) -> None:
        self.start = float("inf")
        self.end = float("inf")

    def open(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.end = self.start + seconds

    def __contains__(self, moment: float) -> bool:
        return self.start <= moment < self.end


async def _ws_client(port: int, index: int, window: Window, stats: Latencies,
                     connected: asyncio.Event, go: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(UPGRADE)
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    connected.set()
    await go.wait()
    seq = 0
    while time.monotonic() < window.end:
        seq += 1
        payload = f"{index}:{seq}:".encode().ljust(64, b".")
        writer.write(bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
        sent = time.monotonic()
        try:
            b0, b1 = await asyncio.wait_for(reader.readexactly(2), 5)
            echo = await reader.readexactly(b1 & 0x7F)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, OSError) as exc:
            stats.lost += 1
            stats.errors.append(f"client {index} message {seq}: {exc!r}")
            return
        if (b0, echo) != (0x81, payload):
            stats.out_of_order += 1
        elif sent in window:
            stats.samples.append(time.monotonic() - sent)
        await asyncio.sleep(PAUSE)
    writer.write(bytes([0x88, 0x82]) + b"\0\0\0\0" + b"\x03\xe8")
    with contextlib.suppress(Exception):
        await asyncio.wait_for(reader.read(), 5)
    writer.close()


async def run_ws(port: int, n: int, warmup: float, seconds: float, ready: Callable[[], None]) -> Latencies:
    stats = Latencies()
    window = Window()
    go = asyncio.Event()
    events = [asyncio.Event() for _ in range(n)]
    tasks = [asyncio.ensure_future(_ws_client(port, i, window, stats, events[i], go)) for i in range(n)]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 10)
    ready()
    window.open(seconds)
    window.start += warmup
    window.end += warmup
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks), warmup + seconds + 30)
    return stats


# -- publish/subscribe ------------------------------------------------------------------------------


class Published:
    """When each numbered event was sent by the publisher."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.last = 0
        self.done = False


async def _publish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes) -> None:
    writer.write(b"POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200"), head
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    await reader.readexactly(length)


async def _publisher(port: int, published: Published, window: Window, go: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await go.wait()
    while time.monotonic() < window.end:
        seq = published.last + 1
        published.sent_at[seq] = time.monotonic()
        await _publish(reader, writer, str(seq).encode())
        published.last = seq
        await asyncio.sleep(PAUSE)
    published.done = True
    await _publish(reader, writer, END)  # wakes every subscriber and held poll: the run is over
    writer.close()


def _account(seq: int, expected: int, stats: Latencies) -> int:
    """Check ``seq`` against the next expected number; return the next expected one."""
    if seq < expected:
        stats.duplicated += 1
        return expected
    if seq > expected:
        stats.lost += seq - expected
    return seq + 1


async def _sse_subscriber(port: int, published: Published, window: Window, stats: Latencies,
                          connected: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    connected.set()
    expected = 1
    while True:
        try:
            line = await asyncio.wait_for(reader.readline(), max(0.5, window.end - time.monotonic() + 2))
        except asyncio.TimeoutError:
            break
        if not line:
            stats.errors.append("stream ended")
            break
        text = line.strip()
        if b"data: " in text:  # chunked encoding: chunk-size lines and event lines come interleaved
            data = text.split(b"data: ", 1)[1]
            if data == END:
                break
            seq = int(data)
            sent = published.sent_at[seq]
            if sent in window:
                stats.samples.append(time.monotonic() - sent)
            expected = _account(seq, expected, stats)
    if expected <= published.last:
        stats.lost += published.last - expected + 1
    writer.close()


async def _poller(port: int, published: Published, window: Window, stats: Latencies,
                  connected: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    connected.set()
    query = ""  # the first poll has no cursor: it starts at the newest message (an earlier run's)
    expected = 1
    ended = False
    while not ended:
        writer.write(f"GET /poll{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        assert head.startswith(b"HTTP/1.1 200"), head
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        answer = json.loads(await reader.readexactly(length))
        now = time.monotonic()
        for message in answer["messages"]:
            if message["data"] == END.decode():
                ended = True
                break
            seq = int(message["data"])
            if published.sent_at[seq] in window:
                stats.samples.append(now - published.sent_at[seq])
            expected = _account(seq, expected, stats)
        query = f"?cursor={answer['cursor']}"
        if time.monotonic() > window.end + 10:
            stats.errors.append("poller did not catch up")
            break
    if expected <= published.last:
        stats.lost += published.last - expected + 1
    writer.close()


async def run_pubsub(protocol: str, port: int, n: int, warmup: float, seconds: float,
                     ready: Callable[[], None]) -> Latencies:
    stats = Latencies()
    window = Window()
    published = Published()
    go = asyncio.Event()
    events = [asyncio.Event() for _ in range(n)]
    subscribe = _sse_subscriber if protocol == "sse" else _poller
    tasks = [asyncio.ensure_future(subscribe(port, published, window, stats, events[i])) for i in range(n)]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 10)
    await asyncio.sleep(0.2)  # the subscribers' requests are in before the first publish
    ready()
    window.open(seconds)
    window.start += warmup
    window.end += warmup
    publisher = asyncio.ensure_future(_publisher(port, published, window, go))
    go.set()
    await asyncio.wait_for(publisher, warmup + seconds + 30)
    await asyncio.wait_for(asyncio.gather(*tasks), 40)
    return stats
