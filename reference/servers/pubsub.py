"""Publish/subscribe shared by the SSE and long-polling servers: history, subscribers, publish, preflight.

A :class:`Hub` keeps the bounded :class:`~reference.core.sse.history.History` and the live subscribers.
Publishing never waits for a subscriber: each has a bounded queue, and one whose queue is full is
dropped (its stream is ended), so a client that does not read never slows the others and never grows
memory beyond ``queue_size`` events or ``queue_bytes`` bytes of event data. :func:`answer_publish` and
:func:`answer_preflight` are the HTTP answers to ``POST /publish`` and to a CORS preflight, the same on
both servers.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from reference.core.sse.history import History, StoredEvent
from reference.servers.http_server import HttpConnection, Request, cors_headers

__all__ = ["Hub", "Publish", "PublishError", "Subscriber", "answer_preflight", "answer_publish",
           "parse_publish"]


class PublishError(Exception):
    """A publish request that cannot be served: answer ``status`` with ``reason``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Publish:
    """A validated publish request."""

    data: str
    event: str | None


def parse_publish(request: Request, max_size: int) -> Publish:
    """Validate ``POST /publish[?event=NAME]`` with a UTF-8 body.

    Raises:
        PublishError: 413 for a body over ``max_size``, 400 for invalid UTF-8 or a bad event name.
    """
    if len(request.body) > max_size:
        raise PublishError(413, f"body too large: {len(request.body)} bytes, the limit is {max_size}")
    try:
        data = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PublishError(400, f"body is not utf-8: {exc}") from None
    event = request.query.get("event") or None
    if event is not None and ("\r" in event or "\n" in event):
        raise PublishError(400, f"event name must not contain CR or LF: {event!r}")
    return Publish(data, event)


class Subscriber:
    """One live stream's bounded queue; ``None`` in it means "end the stream".

    Args:
        queue_size: events it may fall behind.
        queue_bytes: bytes of event data it may fall behind (the events in its queue that the history
            has forgotten are held for it alone); None: no byte bound.
    """

    def __init__(self, queue_size: int, queue_bytes: int | None = None) -> None:
        self.queue: asyncio.Queue[StoredEvent | None] = asyncio.Queue(queue_size + 1)
        self._limit = queue_size
        self._byte_limit = queue_bytes
        #: Bytes of event data queued now.
        self.queued_bytes = 0
        self.dropped = False

    def offer(self, event: StoredEvent) -> bool:
        """Queue ``event``; False (and the stream is ended) when the subscriber is too far behind."""
        if self.dropped:
            return False
        size = len(event.data)
        over_bytes = self._byte_limit is not None and self.queued_bytes + size > self._byte_limit
        if self.queue.qsize() >= self._limit or (over_bytes and self.queue.qsize() > 0):
            self.end()
            self.dropped = True
            return False
        self.queue.put_nowait(event)
        self.queued_bytes += size
        return True

    async def next(self) -> StoredEvent | None:
        """The next queued event, or None: end the stream."""
        event = await self.queue.get()
        if event is not None:
            self.queued_bytes -= len(event.data)
        return event

    def end(self) -> None:
        """Ask the stream to finish after what is queued."""
        if not self.queue.full():
            self.queue.put_nowait(None)


class Hub:
    """History plus subscribers.

    Args:
        history_size: events kept for resuming.
        queue_size: events a subscriber may fall behind before it is dropped.
        history_bytes: memory the history's events may occupy (see ``History``); None: no byte bound.
        queue_bytes: bytes of event data a subscriber may fall behind before it is dropped (an event larger
            than that alone is still queued); None: no byte bound.
    """

    def __init__(self, history_size: int, queue_size: int, history_bytes: int | None = None,
                 queue_bytes: int | None = None) -> None:
        self.history = History(history_size, history_bytes)
        self.queue_size = queue_size
        self.queue_bytes = queue_bytes
        self.subscribers: set[Subscriber] = set()
        self.waiters: set[asyncio.Event] = set()
        self.dropped = 0
        self.stopping = False

    def subscribe(self, sub: Subscriber | None = None) -> Subscriber:
        """A new subscriber receiving every event published from now on (``sub``, or a plain one)."""
        if sub is None:
            sub = Subscriber(self.queue_size, self.queue_bytes)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        """Forget ``sub``."""
        self.subscribers.discard(sub)

    async def publish(self, publish: Publish) -> StoredEvent:
        """Store the event, offer it to every subscriber (never waiting), wake every held poll."""
        stored = self.history.append(publish.data, publish.event)
        for sub in list(self.subscribers):
            if not sub.offer(stored):
                self.dropped += 1
                self.subscribers.discard(sub)
        for waiter in self.waiters:
            waiter.set()
        return stored

    def end_all(self) -> None:
        """Shutdown: every stream ends after what is queued, every held poll is answered."""
        self.stopping = True
        for sub in list(self.subscribers):
            sub.end()
        for waiter in self.waiters:
            waiter.set()


_PREFLIGHT = [("Access-Control-Allow-Methods", "GET, POST, OPTIONS"), ("Access-Control-Max-Age", "600")]
_ALLOWED_HEADERS = "Last-Event-ID, Content-Type, Cache-Control"


async def answer_preflight(conn: HttpConnection, request: Request) -> None:
    """204 to a CORS preflight; ``Last-Event-ID`` is allowed (an unsafe value needs a preflight)."""
    asked = request.header("access-control-request-headers")
    allowed = f"{_ALLOWED_HEADERS}, {asked}" if asked else _ALLOWED_HEADERS
    await conn.respond(204, [*cors_headers(request), *_PREFLIGHT,
                             ("Access-Control-Allow-Headers", allowed)])


async def answer_publish(conn: HttpConnection, request: Request, hub: Hub, max_size: int) -> None:
    """``POST /publish``: 200 ``{"id": "N"}``, or 400/405/413 with the reason."""
    if request.method != "POST":
        await conn.respond(405, [("Allow", "POST, OPTIONS")], b"publish with POST\n")
        return
    cors = cors_headers(request)  # before storing: nothing after the store may fail
    try:
        stored = await hub.publish(parse_publish(request, max_size))
    except PublishError as exc:
        await conn.respond(exc.status, cors, (exc.reason + "\n").encode())
        return
    await conn.respond(200, cors, json.dumps({"id": stored.id}).encode(), content_type="application/json")
