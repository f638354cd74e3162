"""The reference Server-Sent Events server (WHATWG HTML §9.2): ``python -m reference.servers sse``.

Routes (the testee contract, docs/testee-contract.md):

* ``GET /events``: a ``text/event-stream``. It starts with ``retry:`` and an ``id:`` naming the resume
  point, replays the retained events after ``Last-Event-ID`` (header, or ``lastEventId`` query parameter
  for polyfills), then sends every published event live and a comment heartbeat after each idle
  ``heartbeat_interval``. ``?stop=1`` answers 204, telling an EventSource to stop reconnecting.
* ``POST /publish[?event=NAME]``: the UTF-8 body becomes one event with a fresh id for every subscriber;
  answers 200 with the id.
* ``OPTIONS``: a CORS preflight allowing ``Last-Event-ID``.

A subscriber that falls ``queue_size`` events or ``queue_bytes`` bytes behind, or whose socket takes more
than ``send_timeout`` to accept a write, is dropped (its stream ends); the others never wait for it. Each
event is encoded once for all its subscribers (``SseServer.encoded``, a cache of at most
``wire_cache_size`` bytes).

Fan-out path. A live GET stream is written by the publisher itself (``_LiveSubscriber.offer``): the
encoded event (one bytes object for every subscriber) is appended to the subscriber's list, and one
callback per subscriber and loop turn writes the list as one chunk. No task wakes, no future is made, no
event is copied per subscriber except into its socket's buffer. A write that leaves more than
``write_high_water`` bytes in that buffer starts a lag, watched by one task: the socket has ``send_timeout``
to drain, and meanwhile the subscriber may fall at most ``queue_size`` events or ``queue_bytes`` bytes
behind, the bounds its queue had; past them its stream ends, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from dataclasses import dataclass

from reference.core.sse.encoder import encode_comment, encode_event, encode_retry
from reference.core.sse.history import StoredEvent, parse_id
from reference.servers.http_server import HttpConnection, HttpServer, OverBudget, Request, cors_headers
from reference.servers.memory_budget import DEFAULT_MEMORY_BUDGET
from reference.servers.pubsub import Hub, Subscriber, answer_preflight, answer_publish

__all__ = ["SseServer", "SseSettings"]


@dataclass(frozen=True, slots=True)
class SseSettings:
    """Options of the reference SSE server.

    Attributes:
        heartbeat_interval: seconds of silence on a stream before a comment heartbeat (§9.2.7: "every 15
            seconds or so").
        retry_ms: the ``retry:`` reconnection time sent at the start of every stream.
        history_size: events kept for ``Last-Event-ID`` replay.
        history_bytes: memory the kept events may occupy; the oldest are forgotten past it (the newest is
            always kept). 1024 events of 1 MiB would otherwise be 1 GiB and more.
        queue_size: events a subscriber may fall behind before it is dropped.
        queue_bytes: bytes of event data a subscriber may fall behind before it is dropped.
        send_timeout: seconds a write may wait for a slow reader before the subscriber is dropped.
        max_publish_size: largest publish body in bytes (413 past it).
        write_high_water: bytes buffered per connection before a write waits for the socket.
        wire_cache_size: bytes of encoded events kept so that an event is encoded once for all its
            subscribers, not once each (the most recently used events; the newest is always kept).
        shutdown_timeout: seconds streams get to end cleanly on shutdown.
        connection_cap: connections held at once; at the cap the server stops accepting until one closes.
            None: ``min(soft RLIMIT_NOFILE - 64, 10000)``.
        memory_budget: bytes the write buffers of all streams together may hold; past it, a stream that
            holds more than 64 KiB is dropped instead of written to (``http_server``).
        stream_path, publish_path: the routes.
    """

    heartbeat_interval: float = 15.0
    retry_ms: int = 1000
    history_size: int = 1024
    history_bytes: int = 64 << 20
    queue_size: int = 256
    queue_bytes: int = 16 << 20
    send_timeout: float = 5.0
    max_publish_size: int = 1 << 20
    write_high_water: int = 64 * 1024
    wire_cache_size: int = 16 << 20
    shutdown_timeout: float = 2.0
    connection_cap: int | None = None
    memory_budget: int = DEFAULT_MEMORY_BUDGET
    stream_path: str = "/events"
    publish_path: str = "/publish"


class SseServer(HttpServer):
    """The SSE testee. ``await server.start(host, port)``, ``server.url`` is the stream URL."""

    def __init__(self, settings: SseSettings | None = None) -> None:
        self.settings = settings or SseSettings()
        s = self.settings
        self.hub = Hub(s.history_size, s.queue_size, s.history_bytes, s.queue_bytes)
        # seq -> encoded event, least recently used first; its total size in bytes (see ``encoded``).
        self._wire: OrderedDict[int, bytes] = OrderedDict()
        self._wire_bytes = 0
        super().__init__(self._handle, self._end_all, shutdown_timeout=self.settings.shutdown_timeout,
                         path=self.settings.stream_path, max_body_size=self.settings.max_publish_size,
                         send_timeout=self.settings.send_timeout,
                         connection_cap=self.settings.connection_cap, memory_budget=s.memory_budget)

    def _end_all(self) -> None:
        self.hub.end_all()

    async def _handle(self, conn: HttpConnection) -> None:
        conn.writer.transport.set_write_buffer_limits(high=self.settings.write_high_water)
        s = self.settings
        while (request := await conn.next_request()) is not None:
            if request.method == "OPTIONS":
                await self.preflight(conn, request)
            elif request.path == s.publish_path:
                await answer_publish(conn, request, self.hub, s.max_publish_size)
            elif request.path != s.stream_path:
                await conn.respond(404, [], f"no such path: {request.path!r}\n".encode())
            elif request.method not in ("GET", "HEAD"):
                await conn.respond(405, [("Allow", "GET, OPTIONS")], b"subscribe with GET\n")
            elif "stop" in request.query:
                # §9.2.1: "a client can be told to stop reconnecting using the HTTP 204 No Content
                # response code"
                await conn.respond(204, cors_headers(request))
            else:
                await self._stream(conn, request)
                return
            if not conn.keep_alive or self.stopping:
                return

    async def preflight(self, conn: HttpConnection, request: Request) -> None:
        """Answer a CORS preflight."""
        await answer_preflight(conn, request)

    def stream_headers(self, request: Request) -> list[tuple[str, str]]:
        """The headers of a stream response."""
        return [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-store"),
                ("X-Accel-Buffering", "no"), *cors_headers(request)]

    def first_block(self, resume: int) -> bytes:
        """``retry:`` and the resume point, sent before anything else.

        §9.2.6 dispatch sets the last event ID string from the buffer even for a block without data, so
        without this id a drop before the first event would make the client reconnect without
        Last-Event-ID, and miss what was published meanwhile.
        """
        return encode_retry(self.settings.retry_ms) + f"id: {resume}\n\n".encode()

    def heartbeat(self) -> bytes:
        """The comment sent after ``heartbeat_interval`` of silence (§9.2.6: a line starting with ':' is
        ignored)."""
        return encode_comment()

    def encode(self, event: StoredEvent) -> bytes:
        """One stored event on the wire."""
        return encode_event(event.data, event=event.event, id=event.id)

    def encoded(self, event: StoredEvent) -> bytes:
        """``encode(event)``, computed once and shared by every subscriber (a bounded LRU cache).

        A payload of 1 MiB of line breaks is 7 MiB on the wire; encoding it once per subscriber cost the
        event loop that much CPU for each of them.
        """
        cache = self._wire
        data = cache.get(event.seq)
        if data is not None:
            cache.move_to_end(event.seq)
            return data
        data = cache[event.seq] = self.encode(event)
        self._wire_bytes += len(data)
        while self._wire_bytes > self.settings.wire_cache_size and len(cache) > 1:
            self._wire_bytes -= len(cache.popitem(last=False)[1])
        return data

    async def _stream(self, conn: HttpConnection, request: Request) -> None:
        s = self.settings
        # Subscribed before reading the history: nothing falls between replay and live.
        sub = _LiveSubscriber(self, conn, s.queue_size, s.queue_bytes)
        self.hub.subscribe(sub)
        try:
            # §9.2.4: the UA sends "Last-Event-ID" with the last event ID string, encoded as UTF-8.
            last = request.header("last-event-id") or request.query.get("lastEventId")
            seq = parse_id(last) if last is not None else None
            resume = seq if seq is not None else self.hub.history.last_seq
            # Taken before the first await: what is published from here on is in the subscriber's queue, and
            # would be sent twice if it were also read from the history after a wait.
            replay = self.hub.history.after(resume)
            conn.start_stream(self.stream_headers(request))
            if not await self._send(conn, self.first_block(resume)):
                return
            for event in replay:
                if not await self._send(conn, self.encoded(event)):
                    return
            await self._live(conn, sub, direct=request.method == "GET")
        finally:
            sub.direct = False
            sub.cancel_lag()
            self.hub.unsubscribe(sub)

    async def _live(self, conn: HttpConnection, sub: _LiveSubscriber, *, direct: bool) -> None:
        """Serve the live part of a stream: heartbeats, the end, and the events the publisher queued."""
        loop = asyncio.get_running_loop()
        interval = self.settings.heartbeat_interval
        peer_gone = asyncio.ensure_future(conn.reader.read(1))
        sub.last_write = loop.time()
        sub.direct = direct and sub.queue.empty()
        try:
            while True:
                getter = asyncio.ensure_future(sub.next())
                idle = loop.time() - sub.last_write
                done, _ = await asyncio.wait({getter, peer_gone}, timeout=max(0.0, interval - idle),
                                             return_when=asyncio.FIRST_COMPLETED)
                if peer_gone in done:
                    getter.cancel()
                    return
                if getter not in done:
                    getter.cancel()
                    if loop.time() - sub.last_write < interval:
                        continue  # the publisher wrote meanwhile: not idle yet
                    if not await self._send(conn, self.heartbeat()):
                        return
                    sub.last_write = loop.time()
                    continue
                events = [getter.result(), *sub.take_queued()]  # all that is queued, in one write
                end = None in events
                if end:
                    events = events[:events.index(None)]
                if events and not await self._send_events(conn, events, chunked=direct):  # type: ignore[arg-type]
                    return
                if end:  # shutdown or dropped: end the body cleanly, the client reconnects
                    conn.end_stream()
                    with contextlib.suppress(OSError):
                        await asyncio.wait_for(conn.writer.drain(), self.settings.send_timeout)
                    return
                sub.last_write = loop.time()
                # Caught up with the queue (events offered during the replay): the publisher writes again.
                sub.direct = direct and sub.queue.empty()
        finally:
            peer_gone.cancel()

    async def _send_events(self, conn: HttpConnection, events: list[StoredEvent], *, chunked: bool) -> bool:
        """Send queued events: one write on a GET stream (``write_pieces``), one each otherwise."""
        if not chunked:
            for event in events:
                if not await self._send(conn, self.encoded(event)):
                    return False
            return True
        try:
            conn.write_pieces([self.encoded(event) for event in events])
        except OverBudget:
            self.hub.dropped += 1
            return False
        return await self._send(conn, b"")

    async def _send(self, conn: HttpConnection, data: bytes) -> bool:
        """Write and wait for the socket; False (and the connection dropped) after ``send_timeout``, or at
        once when the server's memory budget does not allow the write."""
        try:
            if data:
                conn.write(data)
        except OverBudget:
            self.hub.dropped += 1
            return False
        try:
            await asyncio.wait_for(conn.writer.drain(), self.settings.send_timeout)
        except asyncio.TimeoutError:
            self.hub.dropped += 1
            conn.abort()
            return False
        finally:
            conn.account()
        return True


class _LiveSubscriber(Subscriber):
    """A live stream that the publisher writes to itself (see the module docstring).

    ``direct`` is set by the stream task once the replay is done and the queue is empty (before that, and on
    a HEAD stream, ``offer`` queues as a plain ``Subscriber`` does). A write that leaves more than
    ``write_high_water`` bytes in the socket's buffer starts a lag: one task waits up to ``send_timeout``
    for the buffer to drain, and drops the subscriber if it does not. During a lag the subscriber may fall
    ``queue_size`` events or ``queue_bytes`` bytes behind (an event larger than that alone still goes), as
    in its queue; one more and its stream is ended after what was written, as ``Subscriber.offer`` does.
    """

    def __init__(self, server: SseServer, conn: HttpConnection, queue_size: int,
                 queue_bytes: int | None) -> None:
        super().__init__(queue_size, queue_bytes)
        self._server = server
        self._conn = conn
        self._loop = asyncio.get_running_loop()
        self._pending: list[bytes] = []  # encoded events offered in this loop turn, written by ``flush``
        self._flush_scheduled = False
        self._high_water = server.settings.write_high_water
        self._lag: asyncio.Future[None] | None = None  # the drain wait of the current lag
        self._lag_events = 0  # events written since the lag began
        self._lag_bytes = 0
        #: The publisher writes to the socket itself (no queue, no task switch).
        self.direct = False
        #: ``loop.time()`` of the last write on this stream (for the heartbeat).
        self.last_write = 0.0

    def offer(self, event: StoredEvent) -> bool:
        if not self.direct or self.dropped:
            return super().offer(event)
        if self._lag is not None:
            size = len(event.data)
            over_bytes = self._byte_limit is not None and self._lag_bytes + size > self._byte_limit
            if self._lag_events >= self._limit or (over_bytes and self._lag_events > 0):
                self.end()  # too far behind: end the stream after what was written
                self.dropped = True
                return False
            self._lag_events += 1
            self._lag_bytes += size
        self._pending.append(self._server.encoded(event))  # the same bytes object for every subscriber
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self.flush)
        return True

    def take_queued(self) -> list[StoredEvent | None]:
        """Everything queued now, without waiting (``None``: end the stream)."""
        taken: list[StoredEvent | None] = []
        while not self.queue.empty():
            event = self.queue.get_nowait()
            if event is not None:
                self.queued_bytes -= len(event.data)
            taken.append(event)
        return taken

    def lagging(self) -> bool:
        """A lag is under way: the socket's buffer passed ``write_high_water`` and has not drained yet."""
        return self._lag is not None

    def flush(self) -> None:
        """Write the events offered since the last flush as one chunk; start a lag if the socket is behind."""
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        transport = self._conn.writer.transport
        if not pending or transport.is_closing():
            return  # a closed socket: the stream task sees the peer gone and unsubscribes
        try:
            self._conn.write_pieces(pending)
        except OverBudget:  # the connection is aborted; the stream task ends
            self.direct = False
            self.dropped = True
            self._server.hub.dropped += 1
            self._server.hub.unsubscribe(self)
            return
        self.last_write = self._loop.time()
        if self._lag is None and transport.get_write_buffer_size() > self._high_water:
            self._lag = asyncio.ensure_future(self._wait_for_drain())

    async def _wait_for_drain(self) -> None:
        """The lag: the socket must take the buffer down within ``send_timeout``, or the peer is dropped."""
        try:
            await asyncio.wait_for(self._conn.writer.drain(), self._server.settings.send_timeout)
        except asyncio.TimeoutError:
            self.dropped = True
            self._server.hub.dropped += 1
            self._server.hub.unsubscribe(self)
            self._conn.abort()
        except OSError:
            pass  # the peer is gone: the stream task notices
        finally:
            self._lag = None
            self._lag_events = self._lag_bytes = 0

    def end(self) -> None:
        self.direct = False
        self.flush()  # what was offered before the end goes out before it
        super().end()

    def cancel_lag(self) -> None:
        """The stream is over: stop waiting for its socket."""
        if self._lag is not None:
            self._lag.cancel()
