"""The comparison's clients, one per protocol, built on the conformance wire code.

* :class:`WsSubscriber`: the opening handshake of :mod:`conformance.wire.wshandshake`, the sans-IO
  :class:`~conformance.wire.wsconn.WsClientConnection`; it sends its own messages upstream at the workload's
  rate and receives them back (the reference WebSocket server is an echo testee, so a WebSocket message
  crosses the link both ways, as a message a client publishes does).
* :class:`SseSubscriber`: ``GET`` with ``Accept: text/event-stream``, the body de-framed by
  :class:`~conformance.wire.httpread.ResponseReader` and parsed by the strict
  :class:`~conformance.wire.sse.StreamParser`; it resumes with ``Last-Event-ID`` (docs/testee-contract.md).
* :class:`PollSubscriber`: ``GET ?cursor=N`` one after another on a keep-alive connection, each answer
  ``{"cursor": M, "messages": [...]}`` (docs/testee-contract.md, long polling).

Each runs sessions until told to stop: a session ends when its connection ends; the subscriber then waits
``reconnect_delay`` and opens a new one. Every wait has a deadline. What each keeps is bounded: parsers
and connections forget what they dispatched (events, frames, the arrival timeline), errors keep the first
:data:`MAX_ERRORS`, recovery times the first :data:`MAX_RECOVERIES`; what grows with the workload is the
tally (one key per delivery, bounded by the workload's size).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.compare.link import Link, open_link
from conformance.compare.tally import Tally, key_of, payload
from conformance.wire.httpread import ResponseReader
from conformance.wire.sse import StreamParser
from conformance.wire.wsconn import WsClientConnection
from conformance.wire.wsframes import Op
from conformance.wire.wshandshake import build_request, new_key, upgrade_problems
from conformance.wire.wsrecv import Message

__all__ = ["CONNECT_TIMEOUT", "MAX_ERRORS", "MAX_RECOVERIES", "ClientStats", "Dial", "PollSubscriber",
           "SseSubscriber", "Subscriber", "WsSubscriber"]

MAX_ERRORS = 5
MAX_RECOVERIES = 1000
#: Seconds a connection attempt or a response head may take.
CONNECT_TIMEOUT = 10.0


@dataclass
class ClientStats:
    """What one subscriber went through.

    Attributes:
        sessions: connections that got as far as a working stream (101, 200 event stream, first poll answer).
        reconnections: sessions (or attempts) that followed a lost one.
        recoveries: seconds from losing a session to the next working one (the first MAX_RECOVERIES).
        refused: attempts the server (or a proxy) refused (no 101, not 200).
        requests: HTTP requests sent (opening handshakes, stream GETs, polls).
        errors: the first MAX_ERRORS distinct reasons a session failed or ended.
        upgraded: sessions that moved from long polling to WebSocket (Socket.IO).
        upgrade_failed: sessions whose upgrade was refused and that stayed on long polling (Socket.IO).
    """

    sessions: int = 0
    reconnections: int = 0
    recoveries: list[float] = field(default_factory=list)
    refused: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    upgraded: int = 0
    upgrade_failed: int = 0

    def error(self, text: str) -> None:
        if text not in self.errors and len(self.errors) < MAX_ERRORS:
            self.errors.append(text)


@dataclass(frozen=True, slots=True)
class Dial:
    """Where a subscriber connects: the relay's address and the request target (path and query)."""

    host: str
    port: int
    path: str

    @property
    def authority(self) -> str:
        """``host:port``, for the Host header."""
        return f"{self.host}:{self.port}"


class Subscriber:
    """Sessions one after another until :meth:`stop` (subclasses implement :meth:`session`).

    Args:
        name: the subscriber's id in the tally.
        dial: where to connect (the impairment relay) and what to request.
        tally: where deliveries are recorded.
        reconnect_delay: seconds between a lost session and the next attempt.
    """

    #: It expects every published message (SSE, polling), not only its own (the WebSocket echo).
    fanout = True

    def __init__(self, name: str, dial: Dial, tally: Tally, *, reconnect_delay: float = 0.25) -> None:
        self.name = name
        self.dial = dial
        self.tally = tally
        self.reconnect_delay = reconnect_delay
        self.stats = ClientStats()
        self.ready = asyncio.Event()  # a first session works
        self.stopping = False
        self.loop = asyncio.get_running_loop()
        self._lost_at: float | None = None
        self._wake = asyncio.Event()
        self._link: Link | None = None
        self._ended: asyncio.Event | None = None
        tally.subscribe(name, fanout=self.fanout)

    def stop(self) -> None:
        """End the current session and start no other."""
        self.stopping = True
        self._wake.set()
        if self._link is not None:
            self._link.close()
        if self._ended is not None:
            self._ended.set()

    async def run(self) -> None:
        """Sessions until stopped."""
        while not self.stopping:
            try:
                await self.session()
            except OSError as exc:
                self.stats.error(f"connection failed: {exc}")
            if self.stopping:
                break
            self._lost()
            self.stats.reconnections += 1
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.reconnect_delay)

    async def session(self) -> None:
        """One connection, until it ends."""
        raise NotImplementedError

    # ---- what sessions share --------------------------------------------------------------------------

    def _session_ended(self) -> asyncio.Event:
        """The event that ends the session now starting (set by the connection's end or by :meth:`stop`)."""
        self._ended = asyncio.Event()
        if self.stopping:
            self._ended.set()
        return self._ended

    async def _connect(self, on_data: Callable[[bytes], None], on_end: Callable[[bool], None]) -> Link:
        self._link = await open_link(self.dial.host, self.dial.port, on_data, on_end, CONNECT_TIMEOUT)
        return self._link

    def _working(self) -> None:
        """A session works: count it, and the recovery time if a session was lost before."""
        self.stats.sessions += 1
        if self._lost_at is not None and len(self.stats.recoveries) < MAX_RECOVERIES:
            self.stats.recoveries.append(self.loop.time() - self._lost_at)
        self._lost_at = None
        self.ready.set()

    def _lost(self) -> None:
        """The session is lost (the first loss since the last working session starts the recovery clock)."""
        if self._lost_at is None and not self.stopping:
            self._lost_at = self.loop.time()

    def _received(self, data: bytes | str, now: float) -> None:
        self.tally.received(self.name, key_of(data), now)

    async def _wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait for ``event`` at most ``timeout`` seconds; whether it was set."""
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


class WsSubscriber(Subscriber):
    """A WebSocket client that publishes its own messages at ``rate`` and receives their echo.

    Args:
        rate: messages per second it sends while ``sending`` is on.
        size: bytes per message.
        offset: seconds after the open before its first send (to spread many subscribers' sends).
    """

    fanout = False

    def __init__(self, name: str, dial: Dial, tally: Tally, *, rate: float, size: int, offset: float = 0.0,
                 reconnect_delay: float = 0.25) -> None:
        super().__init__(name, dial, tally, reconnect_delay=reconnect_delay)
        self.rate = rate
        self.size = size
        self.offset = offset
        self.sending = False  # publishing is on (the run sets it for the publishing window)
        self.seq = 0

    async def session(self) -> None:
        session = _WsSession(self)
        link = await self._connect(session.on_data, session.on_end)
        session.link = link
        session.conn.connection_made(self.dial.authority)
        session.conn.send_request()
        link.write(build_request(self.dial.path, self.dial.authority, session.key))
        self.stats.requests += 1
        try:
            if not await self._wait(session.opened, CONNECT_TIMEOUT):
                self.stats.error("no handshake answer in time")
                return
            if session.conn.response is None:
                reason = session.conn.handshake_error or "no response head"
                self.stats.error(f"connection ended before the handshake answer: {reason}")
                return
            sender = asyncio.ensure_future(self._send(session.conn, link))
            try:
                await session.ended.wait()
            finally:
                sender.cancel()
        finally:
            link.close()

    async def _send(self, conn: WsClientConnection, link: Link) -> None:
        """Send one message every 1/rate seconds while publishing is on and the connection is open."""
        period = 1.0 / self.rate
        next_at = self.loop.time() + self.offset
        while conn.is_open and not link.ended:
            await asyncio.sleep(max(0.0, next_at - self.loop.time()))
            next_at += period
            if not self.sending or not conn.is_open or link.ended:
                continue
            self.seq += 1
            key = f"{self.name}/{self.seq}"
            frames = conn.message_frames(Op.TEXT, payload(key, self.size), compress=False)
            self.tally.published(key, self.loop.time(), by=self.name)
            for frame in frames:
                link.write(frame)


class _WsSession:
    """One WebSocket connection of a :class:`WsSubscriber`: the sans-IO connection fed from the link.

    ``opened`` is set by a valid 101 (RFC 6455 §4.1: the client checks Upgrade, Connection and
    Sec-WebSocket-Accept), and ``ended`` as well when the answer is anything else (counted as refused).
    """

    def __init__(self, sub: WsSubscriber) -> None:
        self.sub = sub
        self.conn = WsClientConnection(max_events=1_000_000, max_message=max(1 << 20, 4 * sub.size))
        self.key = new_key()
        self.link: Link | None = None
        self.opened = asyncio.Event()
        self.ended = sub._session_ended()

    def on_data(self, data: bytes) -> None:
        conn = self.conn
        conn.receive_data(data)
        conn.frames.clear()  # kept for judging frame headers, which the comparison does not do
        for reply in conn.data_to_send():
            if self.link is not None:
                self.link.write(reply)
        if not self.opened.is_set() and conn.response is not None:
            problems = upgrade_problems(conn.response, self.key)
            if problems:
                self.sub.stats.refused += 1
                self.sub.stats.error("handshake refused: " + "; ".join(problems))
                self.ended.set()
                self.opened.set()
                return
            self.opened.set()
            self.sub._working()
        now = self.sub.loop.time()
        for event in conn.take_events():
            if isinstance(event, Message):
                self.sub._received(event.data, now)
        if self.opened.is_set() and not conn.is_open:
            self.ended.set()

    def on_end(self, reset: bool) -> None:
        self.conn.receive_eof(reset)
        self.sub._lost()
        self.ended.set()
        self.opened.set()


class SseSubscriber(Subscriber):
    """An event-stream client that resumes with ``Last-Event-ID`` (WHATWG HTML §9.2.3: the reconnection
    request carries the last event ID string, which the parser keeps across sessions here)."""

    def __init__(self, name: str, dial: Dial, tally: Tally, *, reconnect_delay: float = 0.25) -> None:
        super().__init__(name, dial, tally, reconnect_delay=reconnect_delay)
        self.last_event_id = ""

    async def session(self) -> None:
        session = _SseSession(self)
        link = await self._connect(session.on_data, session.on_end)
        resume = f"Last-Event-ID: {self.last_event_id}\r\n" if self.last_event_id else ""
        link.write((f"GET {self.dial.path} HTTP/1.1\r\nHost: {self.dial.authority}\r\n"
                    f"Accept: text/event-stream\r\nCache-Control: no-cache\r\n{resume}\r\n").encode())
        self.stats.requests += 1
        try:
            if not await self._wait(session.head, CONNECT_TIMEOUT):
                self.stats.error("no stream head in time")
                return
            await session.ended.wait()
        finally:
            link.close()
        reader = session.reader
        if (reader.head_error or reader.framing_error) and not self.stopping:
            self.stats.error(reader.head_error or reader.framing_error)


class _SseSession:
    """One event stream of an :class:`SseSubscriber`: the response de-framed, the body parsed as it comes.

    The parser forgets each event once it is tallied, so it holds no more than the event being read.
    """

    def __init__(self, sub: SseSubscriber) -> None:
        self.sub = sub
        self.reader = ResponseReader(max_body=0, max_arrivals=1)
        self.parser = StreamParser(max_events=sys.maxsize, max_kept_data=sys.maxsize, max_comments=0)
        self.head = asyncio.Event()
        self.ended = sub._session_ended()

    def on_data(self, data: bytes) -> None:
        now = self.sub.loop.time()
        body = self.reader.receive_data(data, now)
        response = self.reader.response
        if not self.head.is_set() and response is not None:
            self.head.set()
            kind = response.header("content-type") or ""
            if response.status != 200 or not kind.startswith("text/event-stream"):
                self.sub.stats.refused += 1
                self.sub.stats.error(f"stream refused: {response.status} {kind!r}")
                self.ended.set()
                return
            self.sub._working()
        if body:
            for event in self.parser.feed(body):
                self.sub._received(event.data, now)
            self.parser.events.clear()
            self.sub.last_event_id = self.parser.last_event_id
        if self.reader.done:
            self.ended.set()

    def on_end(self, reset: bool) -> None:
        self.reader.receive_eof(reset)
        self.sub._lost()
        self.ended.set()
        self.head.set()


class PollSubscriber(Subscriber):
    """A long-polling client: one held ``GET ?cursor=N`` after another on a keep-alive connection.

    Args:
        hold: the longest a poll may be held before the answer is overdue (plus :data:`CONNECT_TIMEOUT`).
    """

    def __init__(self, name: str, dial: Dial, tally: Tally, *, hold: float = 30.0,
                 reconnect_delay: float = 0.25) -> None:
        super().__init__(name, dial, tally, reconnect_delay=reconnect_delay)
        self.cursor: str | None = None
        self.hold = hold

    async def session(self) -> None:
        session = _PollSession(self)
        link = await self._connect(session.on_data, session.on_end)
        try:
            while not self.stopping:
                reader = session.next_answer()
                link.write(self._request())
                self.stats.requests += 1
                if session.first:  # a held poll is a working subscription (its answer waits for a publish)
                    session.first = False
                    self._working()
                deadline = self.loop.time() + self.hold + CONNECT_TIMEOUT
                while not (reader.done or session.closed or self.stopping) and self.loop.time() < deadline:
                    await self._wait(session.changed, max(0.0, deadline - self.loop.time()))
                    session.changed.clear()
                if not self._answer(reader):
                    return
                response = reader.response
                if session.closed or (response is not None and "close" in response.tokens("connection")):
                    return
        finally:
            link.close()

    def _request(self) -> bytes:
        query = f"client={self.name}" if self.cursor is None else f"cursor={self.cursor}&client={self.name}"
        target = f"{self.dial.path}{'&' if '?' in self.dial.path else '?'}{query}"
        return (f"GET {target} HTTP/1.1\r\nHost: {self.dial.authority}\r\n"
                "Cache-Control: no-cache\r\n\r\n").encode()

    def _answer(self, reader: ResponseReader) -> bool:
        """Read one poll answer into the tally; whether the session may go on."""
        now = self.loop.time()
        if reader.response is None or not reader.done or reader.framing_error:
            if not self.stopping:
                self.stats.error(reader.head_error or reader.framing_error or "poll answer cut or late")
            return False
        if reader.response.status != 200:
            self.stats.refused += 1
            self.stats.error(f"poll refused: {reader.response.status}")
            return False
        try:
            answer = json.loads(bytes(reader.body))
            messages = answer["messages"]
            cursor = str(answer["cursor"])
        except (ValueError, KeyError, TypeError):
            self.stats.error("poll answer is not {cursor, messages}")
            return False
        for message in messages if isinstance(messages, list) else ():
            data = message.get("data") if isinstance(message, dict) else None
            if isinstance(data, str):
                self._received(data, now)
        self.cursor = cursor  # docs/testee-contract.md: the next poll starts after what this one returned
        return True


class _PollSession:
    """One keep-alive connection of a :class:`PollSubscriber`: the current answer's reader."""

    def __init__(self, sub: PollSubscriber) -> None:
        self.sub = sub
        self.reader = ResponseReader(max_arrivals=1)
        self.changed = sub._session_ended()  # stop() sets it too, so a held poll is not waited out
        self.closed = False
        self.first = True

    def next_answer(self) -> ResponseReader:
        """A fresh reader for the answer to the poll about to be sent."""
        self.reader = ResponseReader(max_arrivals=1)
        self.changed.clear()
        return self.reader

    def on_data(self, data: bytes) -> None:
        self.reader.receive_data(data, self.sub.loop.time())
        self.changed.set()

    def on_end(self, reset: bool) -> None:
        self.reader.receive_eof(reset)
        self.closed = True
        self.sub._lost()
        self.changed.set()
