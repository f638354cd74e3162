"""Issue 11.7: an event is encoded once, not once per subscriber, and the fan-out of a worst-case payload
(1 MiB of line breaks, 7 MiB on the wire) keeps the event loop responsive."""

from __future__ import annotations

import asyncio
import time

from http_server_harness import publish, run, serving

from reference.core.sse.history import StoredEvent
from reference.servers.sse import SseServer

PAYLOAD = "\n" * (1 << 20)
SUBSCRIBERS = 3


class CountingSse(SseServer):
    def __init__(self) -> None:
        super().__init__()
        self.encoded_events: list[int] = []
        self.encode_cpu = 0.0

    def encode(self, event: StoredEvent) -> bytes:
        self.encoded_events.append(event.seq)
        start = time.thread_time()  # CPU time: a busy machine does not make it look slower
        try:
            return super().encode(event)
        finally:
            self.encode_cpu += time.thread_time() - start


async def _subscribe(server: SseServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"id: 0\n\n"), 2)
    assert head.startswith(b"HTTP/1.1 200 ")
    return reader, writer


async def _read_at_least(reader: asyncio.StreamReader, size: int) -> None:
    got = 0
    while got < size:
        chunk = await reader.read(1 << 20)
        assert chunk, "stream ended early"
        got += len(chunk)


def test_one_encoding_per_event_and_a_responsive_loop() -> None:
    async def main() -> None:
        async with serving(CountingSse()) as server:
            streams = [await _subscribe(server) for _ in range(SUBSCRIBERS)]
            loop = asyncio.get_running_loop()
            gaps: list[float] = []
            done = False

            async def ticker() -> None:
                last = loop.time()
                while not done:
                    await asyncio.sleep(0.002)
                    now = loop.time()
                    gaps.append(now - last)
                    last = now

            tick = asyncio.ensure_future(ticker())
            assert await publish(server, PAYLOAD) == 200
            wire = 7 * len(PAYLOAD)  # "data: " and a line break for each line
            await asyncio.wait_for(asyncio.gather(*(_read_at_least(r, wire) for r, _ in streams)), 10)
            done = True
            await tick
            for _, writer in streams:
                writer.close()
            assert server.encoded_events == [1]
            # Measured on 1 MiB of line breaks: ~0.02 s of CPU once; it was ~0.2 s per subscriber.
            assert server.encode_cpu < 0.08, f"encoding took {server.encode_cpu:.3f} s of CPU"
            # The whole fan-out stalled the loop for 0.6-0.9 s before; ~0.04 s now (wall time, so loose).
            assert max(gaps) < 0.5, f"the event loop was blocked for {max(gaps):.3f} s"

    run(main, timeout=30)
