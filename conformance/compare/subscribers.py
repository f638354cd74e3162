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
forget what they dispatched, errors keep the first :data:`MAX_ERRORS`, recovery times the first
:data:`MAX_RECOVERIES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from dataclasses import dataclass, field

from conformance.compare.link import Link, open_link
from conformance.compare.tally import Tally, key_of, payload
from conformance.wire.httpread import ResponseReader
from conformance.wire.sse import StreamParser
from conformance.wire.wsconn import WsClientConnection
from conformance.wire.wsframes import Op
from conformance.wire.wshandshake import build_request, new_key, upgrade_problems
from conformance.wire.wsrecv import Message

__all__ = ["MAX_ERRORS", "MAX_RECOVERIES", "ClientStats", "PollSubscriber", "SseSubscriber", "Subscriber",
           "WsSubscriber"]

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
    """

    sessions: int = 0
    reconnections: int = 0
    recoveries: list[float] = field(default_factory=list)
    refused: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    def error(self, text: str) -> None:
        if text not in self.errors and len(self.errors) < MAX_ERRORS:
            self.errors.append(text)


class Subscriber:
    """Sessions one after another until :meth:`stop` (subclasses implement :meth:`session`).

    Args:
        name: the subscriber's id in the tally.
        host, port: where to connect (the impairment relay).
        path: the request target (path and query).
        tally: where deliveries are recorded.
        reconnect_delay: seconds between a lost session and the next attempt.
    """

    fanout = True

    def __init__(self, name: str, host: str, port: int, path: str, tally: Tally, *,
                 reconnect_delay: float = 0.25) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.path = path
        self.tally = tally
        self.reconnect_delay = reconnect_delay
        self.stats = ClientStats()
        self.ready = asyncio.Event()  # the first session works
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
            if self._lost_at is None:
                self._lost_at = self.loop.time()
            self.stats.reconnections += 1
            await self._pause(self.reconnect_delay)

    async def session(self) -> None:
        """One connection, until it ends."""
        raise NotImplementedError

    async def _pause(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _session_ended(self) -> asyncio.Event:
        """The event that ends the session now starting (set by the connection's end or by stop)."""
        self._ended = asyncio.Event()
        return self._ended

    async def _connect(self, on_data: object, on_end: object) -> Link:
        self._link = await open_link(self.host, self.port, on_data, on_end,  # type: ignore[arg-type]
                                     CONNECT_TIMEOUT)
        return self._link

    def _working(self) -> None:
        """A session works: count it, and the recovery time if a session was lost before."""
        self.stats.sessions += 1
        if self._lost_at is not None and len(self.stats.recoveries) < MAX_RECOVERIES:
            self.stats.recoveries.append(self.loop.time() - self._lost_at)
        self._lost_at = None
        self.ready.set()

    def _lost(self) -> None:
        if self._lost_at is None and not self.stopping:
            self._lost_at = self.loop.time()

    async def _until(self, ended: asyncio.Event, timeout: float | None = None) -> bool:
        """Wait for ``ended`` (or :meth:`stop`) at most ``timeout`` seconds; whether it was set."""
        try:
            await asyncio.wait_for(ended.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


class WsSubscriber(Subscriber):
    """A WebSocket client that publishes its own messages at ``rate`` and receives their echo."""

    fanout = False

    def __init__(self, *args: object, rate: float, size: int, offset: float = 0.0, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.rate = rate
        self.size = size
        self.offset = offset
        self.sending = False  # publishing is on (the run sets it for the publishing window)
        self.seq = 0

    async def session(self) -> None:
        conn = WsClientConnection(max_events=1_000_000, max_message=max(1 << 20, 4 * self.size))
        ended = self._session_ended()
        key = new_key()
        state = {"open": False}

        def on_data(data: bytes) -> None:
            conn.receive_data(data)
            for reply in conn.data_to_send():
                link.write(reply)
            if not state["open"] and conn.response is not None:
                problems = upgrade_problems(conn.response, key)
                if problems:
                    self.stats.refused += 1
                    self.stats.error("handshake refused: " + "; ".join(problems))
                    link.close()
                    ended.set()
                    return
                state["open"] = True
                self._working()
            now = self.loop.time()
            for event in conn.take_events():
                if isinstance(event, Message):
                    self.tally.received(self.name, key_of(event.data), now)
            if not conn.is_open and state["open"]:
                ended.set()

        def on_end(reset: bool) -> None:
            conn.receive_eof(reset)
            self._lost()
            ended.set()

        link = await self._connect(on_data, on_end)
        conn.connection_made(f"{self.host}:{self.port}")
        conn.send_request()
        link.write(build_request(self.path, f"{self.host}:{self.port}", key))
        self.stats.requests += 1
        if not await self._until_open(ended, state):
            if not ended.is_set():
                self.stats.error("no handshake answer in time")
            link.close()
            return
        sender = asyncio.ensure_future(self._send(conn, link))
        try:
            await ended.wait()
        finally:
            sender.cancel()
            link.close()

    async def _until_open(self, ended: asyncio.Event, state: dict[str, bool]) -> bool:
        deadline = self.loop.time() + CONNECT_TIMEOUT
        while not state["open"] and not ended.is_set() and self.loop.time() < deadline:
            await self._until(ended, 0.02)
        return state["open"] and not ended.is_set()

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


class SseSubscriber(Subscriber):
    """An event-stream client that resumes with ``Last-Event-ID``."""

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.last_event_id = ""

    async def session(self) -> None:
        reader = ResponseReader(max_body=0)
        parser = StreamParser(max_events=sys.maxsize, max_kept_data=sys.maxsize)
        ended = self._session_ended()
        state = {"head": False}

        def on_data(data: bytes) -> None:
            now = self.loop.time()
            body = reader.receive_data(data, now)
            if not state["head"] and reader.response is not None:
                state["head"] = True
                kind = reader.response.header("content-type") or ""
                if reader.response.status != 200 or not kind.startswith("text/event-stream"):
                    self.stats.refused += 1
                    self.stats.error(f"stream refused: {reader.response.status} {kind!r}")
                    ended.set()
                    return
                self._working()
            if body:
                for event in parser.feed(body):
                    self.tally.received(self.name, key_of(event.data), now)
                parser.events.clear()
                self.last_event_id = parser.last_event_id
            if reader.done:
                ended.set()

        def on_end(reset: bool) -> None:
            reader.receive_eof(reset)
            self._lost()
            ended.set()

        link = await self._connect(on_data, on_end)
        resume = f"Last-Event-ID: {self.last_event_id}\r\n" if self.last_event_id else ""
        link.write((f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                    f"Accept: text/event-stream\r\nCache-Control: no-cache\r\n{resume}\r\n").encode())
        self.stats.requests += 1
        try:
            if not await self._until(ended, CONNECT_TIMEOUT) and not state["head"]:
                self.stats.error("no stream head in time")
                return
            await ended.wait()
        finally:
            link.close()
        if reader.head_error or reader.framing_error:
            self.stats.error(reader.head_error or reader.framing_error)


class PollSubscriber(Subscriber):
    """A long-polling client: one held ``GET ?cursor=N`` after another on a keep-alive connection."""

    def __init__(self, *args: object, hold: float = 30.0, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.cursor: str | None = None
        self.hold = hold

    async def session(self) -> None:
        box: dict[str, ResponseReader] = {"reader": ResponseReader()}
        changed = self._session_ended()
        closed = {"yes": False}

        def on_data(data: bytes) -> None:
            box["reader"].receive_data(data, self.loop.time())
            changed.set()

        def on_end(reset: bool) -> None:
            box["reader"].receive_eof(reset)
            closed["yes"] = True
            self._lost()
            changed.set()

        link = await self._connect(on_data, on_end)
        first = True
        try:
            while not self.stopping:
                box["reader"] = reader = ResponseReader()
                changed.clear()
                link.write(self._request())
                self.stats.requests += 1
                if first:  # a held poll is a working subscription (its answer waits for a publish)
                    self._working()
                    first = False
                deadline = self.loop.time() + self.hold + CONNECT_TIMEOUT
                while not (reader.done or closed["yes"] or self.stopping) and self.loop.time() < deadline:
                    await self._until(changed, max(0.0, deadline - self.loop.time()))
                    changed.clear()
                if not self._answer(reader):
                    return
                if closed["yes"] or (reader.response is not None
                                     and "close" in reader.response.tokens("connection")):
                    return
        finally:
            link.close()

    def _request(self) -> bytes:
        query = f"client={self.name}" if self.cursor is None else f"cursor={self.cursor}&client={self.name}"
        target = f"{self.path}{'&' if '?' in self.path else '?'}{query}"
        return (f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
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
                self.tally.received(self.name, key_of(data), now)
        self.cursor = cursor
        return True
