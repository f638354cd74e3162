"""Publish/subscribe state shared by the SSE and long-polling servers: history, subscribers, publish.

A :class:`Hub` keeps the bounded :class:`~reference.core.sse.history.History` and the live subscribers.
Publishing never waits for a subscriber: each has a bounded queue, and one whose queue is full is dropped
(its stream is ended), so a client that does not read never slows the others and never grows memory
beyond ``queue_size`` events.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from reference.core.sse.history import History, StoredEvent
from reference.servers.sse_http import Request

__all__ = ["Hub", "PublishError", "Subscriber", "parse_publish"]


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
    """One live stream's bounded queue; ``None`` in it means "end the stream"."""

    def __init__(self, queue_size: int) -> None:
        self.queue: asyncio.Queue[StoredEvent | None] = asyncio.Queue(queue_size + 1)
        self._limit = queue_size
        self.dropped = False

    def offer(self, event: StoredEvent) -> bool:
        """Queue ``event``; False (and the stream is ended) when the subscriber is too far behind."""
        if self.dropped:
            return False
        if self.queue.qsize() >= self._limit:
            self.end()
            self.dropped = True
            return False
        self.queue.put_nowait(event)
        return True

    def end(self) -> None:
        """Ask the stream to finish after what is queued."""
        if not self.queue.full():
            self.queue.put_nowait(None)


class Hub:
    """History plus subscribers.

    Args:
        history_size: events kept for resuming.
        queue_size: events a subscriber may fall behind before it is dropped.
    """

    def __init__(self, history_size: int, queue_size: int) -> None:
        self.history = History(history_size)
        self.queue_size = queue_size
        self.subscribers: set[Subscriber] = set()
        self.waiters: set[asyncio.Event] = set()
        self.dropped = 0
        self.stopping = False

    def subscribe(self) -> Subscriber:
        """A new subscriber receiving every event published from now on."""
        sub = Subscriber(self.queue_size)
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
