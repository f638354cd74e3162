"""The impairment relay: a TCP relay on asyncio that shapes each connection as an :class:`Impairment` says.

``async with ImpairRelay(host, port, impairment) as relay:`` listens on 127.0.0.1 (``relay.port``); each
accepted connection gets its own connection to ``host:port``. Bytes go through in order, each direction
through a :class:`_Pipe` that holds every chunk until its delivery time:

    delivery = max(previous delivery, serialised + delay + uniform(0, jitter)), pushed past any stall

where ``serialised`` is when the bandwidth cap lets the chunk's last byte onto the link (the link is busy
``len / bandwidth`` seconds per chunk). A stall window holds everything due inside it until it ends, both
ways. A FIN is delayed like data (it arrives after the bytes before it). Resets abort every open connection
with RST on both sides; the idle timeout closes a connection that carried nothing for that long.

What it counts (for "bytes on the wire per message" and "connections opened"): bytes each way
(``bytes_up``: client to server, ``bytes_down``), connections accepted, resets, idle closes, and a bounded
timeline of open connections (:data:`MAX_TIMELINE` points). The counts are of TCP payload (HTTP heads,
WebSocket frames, bodies), not of TCP/IP headers.

Memory is bounded: a direction stops reading its source while more than :data:`HIGH_WATER` bytes wait in
its pipe or in the destination's write buffer, so at most about twice that per direction per connection.
No root is needed; timing is the event loop's (a loaded machine delivers late, never early).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import socket
import struct
from collections.abc import Callable
from types import TracebackType

from conformance.compare.hopbyhop import RequestRewriter
from conformance.compare.impairment import Impairment

__all__ = ["HIGH_WATER", "MAX_TIMELINE", "ImpairRelay"]

#: Bytes a direction may hold (pipe plus destination buffer) before its source is paused.
HIGH_WATER = 256 * 1024
#: Points kept in the open-connections timeline (later changes are counted, the last point is updated).
MAX_TIMELINE = 5000
_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class _Side(asyncio.Protocol):
    """One socket of a relayed connection."""

    def __init__(self, conn: _Connection, is_client: bool) -> None:
        self.conn = conn
        self.is_client = is_client
        self.transport: asyncio.Transport | None = None
        self.write_paused = False
        self.read_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.conn.side_made(self)

    def data_received(self, data: bytes) -> None:
        self.conn.received(self, data)

    def eof_received(self) -> bool:
        self.conn.eof(self)
        return True  # keep our write side open: the FIN is passed on through the pipe, in order

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.lost(self, exc)

    def pause_writing(self) -> None:
        self.write_paused = True
        self.conn.flow_changed()

    def resume_writing(self) -> None:
        self.write_paused = False
        self.conn.flow_changed()

    def set_reading(self, on: bool) -> None:
        if self.transport is None or self.transport.is_closing() or self.read_paused != on:
            return
        self.read_paused = not on
        if on:
            self.transport.resume_reading()
        else:
            self.transport.pause_reading()


class _Pipe:
    """One direction of one connection: chunks held until their delivery time (see the module docstring)."""

    def __init__(self, conn: _Connection, *, up: bool) -> None:
        self.conn = conn
        self.relay = conn.relay
        self.up = up
        imp = self.relay.impairment
        self.delay = imp.delay_up if up else imp.delay_down
        self.bandwidth = imp.bandwidth_up if up else imp.bandwidth_down
        self.queue: collections.deque[tuple[float, bytes | None]] = collections.deque()
        self.queued = 0
        self.last_at = 0.0
        self.link_free = 0.0
        self.handle: asyncio.TimerHandle | None = None
        self.rewriter = RequestRewriter() if up and imp.strip_upgrade else None

    def push(self, data: bytes | None) -> None:
        """Schedule ``data`` (None: the FIN) for delivery."""
        if data is not None and self.rewriter is not None:
            data = self.rewriter.feed(data)
            if not data:
                return
        now = self.relay.loop.time()
        ready = now
        if data is not None and self.bandwidth:
            ready = max(now, self.link_free) + len(data) / self.bandwidth
            self.link_free = ready
        jitter = self.relay.impairment.jitter
        at = ready + self.delay + (self.relay.random.uniform(0.0, jitter) if jitter else 0.0)
        at = self.relay.after_stalls(max(at, self.last_at))
        self.last_at = at
        self.queue.append((at, data))
        self.queued += len(data or b"")
        self.flush()

    def flush(self) -> None:
        """Deliver what is due; schedule the next delivery."""
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        dest = self.conn.upstream if self.up else self.conn.client
        if dest.transport is None or self.conn.closed:
            return
        now = self.relay.loop.time()
        while self.queue and self.queue[0][0] <= now:
            _, data = self.queue.popleft()
            if data is None:
                if not dest.transport.is_closing() and dest.transport.can_write_eof():
                    dest.transport.write_eof()
                self.conn.fin_delivered(up=self.up)
                continue
            self.queued -= len(data)
            dest.transport.write(data)
            self.relay.count(up=self.up, size=len(data))
            self.conn.touch()
        if self.queue:
            self.handle = self.relay.loop.call_at(self.queue[0][0], self.flush)
        self.conn.flow_changed()

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        self.queue.clear()
        self.queued = 0


class _Connection:
    """A client connection, its upstream connection and the two pipes between them."""

    def __init__(self, relay: ImpairRelay) -> None:
        self.relay = relay
        self.client = _Side(self, is_client=True)
        self.upstream = _Side(self, is_client=False)
        self.up = _Pipe(self, up=True)
        self.down = _Pipe(self, up=False)
        self.closed = False
        self.fins = 0
        self.last_activity = relay.loop.time()
        self._connect: asyncio.Task[None] | None = None

    def side_made(self, side: _Side) -> None:
        if side.is_client:
            self.relay.opened(self)
            self._connect = self.relay.loop.create_task(self._dial())
        else:
            self.up.flush()

    async def _dial(self) -> None:
        try:
            await self.relay.loop.create_connection(lambda: self.upstream, self.relay.upstream_host,
                                                    self.relay.upstream_port)
        except OSError as exc:
            self.relay.dial_failed(exc)
            self.finish(reset=True)

    def received(self, side: _Side, data: bytes) -> None:
        self.touch()
        (self.up if side.is_client else self.down).push(data)

    def eof(self, side: _Side) -> None:
        (self.up if side.is_client else self.down).push(None)

    def fin_delivered(self, *, up: bool) -> None:
        self.fins += 1
        if self.fins == 2:
            self.finish(reset=False)

    def lost(self, side: _Side, exc: Exception | None) -> None:
        self.finish(reset=exc is not None)

    def touch(self) -> None:
        self.last_activity = self.relay.loop.time()

    def flow_changed(self) -> None:
        """Pause a source whose direction holds too much; resume it when that drained."""
        directions = ((self.up, self.client, self.upstream), (self.down, self.upstream, self.client))
        for pipe, source, dest in directions:
            full = pipe.queued > HIGH_WATER or dest.write_paused
            source.set_reading(not full)

    def finish(self, *, reset: bool) -> None:
        """Close both sides (``reset``: with RST)."""
        if self.closed:
            return
        self.closed = True
        self.up.cancel()
        self.down.cancel()
        if self._connect is not None and not self._connect.done():
            self._connect.cancel()
        for side in (self.client, self.upstream):
            transport = side.transport
            if transport is None or transport.is_closing():
                continue
            if reset:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
                transport.abort()
            else:
                transport.close()
        self.relay.closed(self)


class ImpairRelay:
    """A relay on 127.0.0.1 to ``upstream_host:upstream_port`` shaping every connection (module docstring).

    Args:
        upstream_host, upstream_port: the server.
        impairment: what to do to each connection.
        seed: seed of the jitter's random numbers (None: unseeded).

    Attributes:
        bytes_up, bytes_down: bytes delivered client -> server and server -> client.
        connections_opened: connections accepted; ``open``: the connections open now.
        resets: connections reset by ``reset_every``; ``idle_closes``: closed by the idle timeout.
        timeline: (seconds since start, connections open) after each change (the first MAX_TIMELINE).
        dial_errors: the first reasons a connection to the server failed.
    """

    def __init__(self, upstream_host: str, upstream_port: int, impairment: Impairment, *,
                 seed: int | None = None) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.impairment = impairment
        self.random = random.Random(seed)
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        self.bytes_up = 0
        self.bytes_down = 0
        self.connections_opened = 0
        self.resets = 0
        self.idle_closes = 0
        self.open: set[_Connection] = set()
        self.timeline: list[tuple[float, int]] = [(0.0, 0)]
        self.dial_errors: list[str] = []
        self.server: asyncio.Server | None = None
        self._timers: list[asyncio.Task[None]] = []

    @property
    def port(self) -> int:
        """The port the relay listens on."""
        assert self.server is not None
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Listen; start the reset and idle-timeout timers the impairment asks for."""
        self.t0 = self.loop.time()
        self.server = await self.loop.create_server(lambda: _Connection(self).client, "127.0.0.1", 0)
        imp = self.impairment
        if imp.reset_every:
            self._timers.append(self.loop.create_task(self._every(imp.reset_every, self._reset_all)))
        if imp.idle_timeout:
            self._timers.append(self.loop.create_task(self._every(min(0.25, imp.idle_timeout / 4),
                                                                  self._idle_check)))

    async def __aenter__(self) -> ImpairRelay:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop listening and timers; abort every connection."""
        for task in self._timers:
            task.cancel()
        for conn in list(self.open):
            conn.finish(reset=True)
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), 2.0)

    def elapsed(self) -> float:
        """Seconds since the relay started."""
        return self.loop.time() - self.t0

    def after_stalls(self, at: float) -> float:
        """``at``, or the end of the stall window it falls in."""
        imp = self.impairment
        if not imp.stall_every:
            return at
        k = int((at - self.t0) // imp.stall_every)
        start = self.t0 + k * imp.stall_every
        if k >= 1 and at < start + imp.stall_for:
            return start + imp.stall_for
        return at

    def stall_windows(self, until: float) -> list[tuple[float, float]]:
        """The stall windows (seconds since start) before ``until`` seconds."""
        imp = self.impairment
        if not imp.stall_every:
            return []
        count = int(until // imp.stall_every)
        return [(k * imp.stall_every, k * imp.stall_every + imp.stall_for) for k in range(1, count + 1)]

    def dial_failed(self, exc: OSError) -> None:
        """The server could not be reached for a connection (the first few reasons are kept)."""
        text = f"the relay could not connect to {self.upstream_host}:{self.upstream_port}: {exc}"
        if text not in self.dial_errors and len(self.dial_errors) < 3:
            self.dial_errors.append(text)

    def count(self, *, up: bool, size: int) -> None:
        if up:
            self.bytes_up += size
        else:
            self.bytes_down += size

    def opened(self, conn: _Connection) -> None:
        self.connections_opened += 1
        self.open.add(conn)
        self._mark()

    def closed(self, conn: _Connection) -> None:
        if conn in self.open:
            self.open.discard(conn)
            self._mark()

    def _mark(self) -> None:
        point = (round(self.elapsed(), 4), len(self.open))
        if len(self.timeline) < MAX_TIMELINE:
            self.timeline.append(point)
        else:
            self.timeline[-1] = point

    async def _every(self, period: float, action: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(period)
            action()

    def _reset_all(self) -> None:
        for conn in list(self.open):
            self.resets += 1
            conn.finish(reset=True)

    def _idle_check(self) -> None:
        limit = self.impairment.idle_timeout
        assert limit is not None
        now = self.loop.time()
        for conn in list(self.open):
            if now - conn.last_activity >= limit:
                self.idle_closes += 1
                conn.finish(reset=False)
