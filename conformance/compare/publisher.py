"""The backend's publisher for SSE and long polling: ``POST <publish URL>`` at the workload's rate.

Each publish is one ``POST`` (docs/testee-contract.md: "emit one event with that data to every current
subscriber"; the reference answers ``200 {"id": "N"}``) on a keep-alive connection from a small pool, so a
slow answer does not hold back the next publish: a publish takes an idle connection or opens one, up to
:data:`MAX_CONNECTIONS`; when all are busy the publish is skipped and counted (never published, so never
expected). The publish time is when the request is written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from conformance.compare.link import Link, open_link
from conformance.compare.tally import Tally, payload
from conformance.wire.httpread import ResponseReader

__all__ = ["MAX_CONNECTIONS", "PublishStats", "Publisher"]

#: The most publish connections at once.
MAX_CONNECTIONS = 32
#: Seconds a publish may take.
PUBLISH_TIMEOUT = 10.0


@dataclass
class PublishStats:
    """Publishes sent, answered 2xx, failed (other status, cut, late), skipped (every connection busy)."""

    sent: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    connections: int = 0


class _Conn:
    def __init__(self) -> None:
        self.reader = ResponseReader(max_arrivals=1)
        self.changed = asyncio.Event()
        self.link: Link | None = None

    def on_data(self, data: bytes) -> None:
        self.reader.receive_data(data, 0.0)
        self.changed.set()

    def on_end(self, reset: bool) -> None:
        self.reader.receive_eof(reset)
        self.changed.set()


class Publisher:
    """Publishes payloads of ``size`` bytes, keys ``p.N``, to ``path`` on ``host:port``."""

    def __init__(self, host: str, port: int, path: str, tally: Tally, size: int) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.tally = tally
        self.size = size
        self.stats = PublishStats()
        self.loop = asyncio.get_running_loop()
        self.idle: list[_Conn] = []
        self.busy = 0
        self.seq = 0
        self.tasks: set[asyncio.Task[None]] = set()

    def publish(self) -> None:
        """Start one publish (returns at once)."""
        if not self.idle and self.busy >= MAX_CONNECTIONS:
            self.stats.skipped += 1
            return
        self.seq += 1
        task = asyncio.ensure_future(self._publish(f"p.{self.seq}"))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _publish(self, key: str) -> None:
        self.busy += 1
        conn = self.idle.pop() if self.idle else None
        try:
            if conn is None:
                conn = _Conn()
                conn.link = await open_link(self.host, self.port, conn.on_data, conn.on_end, PUBLISH_TIMEOUT)
                self.stats.connections += 1
            assert conn.link is not None
            body = payload(key, self.size)
            conn.reader = ResponseReader(max_arrivals=1)
            conn.changed.clear()
            conn.link.write(f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                            f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
                            .encode() + body)
            self.tally.published(key, self.loop.time())
            self.stats.sent += 1
            deadline = self.loop.time() + PUBLISH_TIMEOUT
            while not conn.reader.done and self.loop.time() < deadline:
                try:
                    await asyncio.wait_for(conn.changed.wait(), deadline - self.loop.time())
                except asyncio.TimeoutError:
                    break
                conn.changed.clear()
            response = conn.reader.response
            if conn.reader.done and response is not None and 200 <= response.status < 300 \
                    and not conn.reader.eof:
                self.stats.ok += 1
                self.idle.append(conn)
                return
            if conn.reader.done and response is not None and 200 <= response.status < 300:
                self.stats.ok += 1
            else:
                self.stats.failed += 1
                if response is not None and conn.reader.done:
                    self.tally.retract(key)  # refused: not published
            conn.link.close()
        except OSError:
            self.stats.failed += 1
        finally:
            self.busy -= 1

    async def drain(self, timeout: float) -> None:
        """Wait for the publishes in flight (at most ``timeout`` seconds), then close every connection."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)
        for task in list(self.tasks):
            task.cancel()
        for conn in self.idle:
            if conn.link is not None:
                conn.link.close()
        self.idle.clear()
