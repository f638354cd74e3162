"""A bounded history of published events (a ring buffer) with monotonically increasing integer ids.

Used by both reference servers: SSE replays the events after a ``Last-Event-ID``, long polling answers
the events after a ``cursor``. Ids are decimal strings of a counter starting at 1, so any two ids compare
as integers; "0" means "before every event".
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass

__all__ = ["MAX_ID_DIGITS", "History", "StoredEvent", "id_problem", "parse_id"]

#: Ids are counters below 10**18 (they fit in 63 bits); a longer digit string is no id this history issued.
MAX_ID_DIGITS = 18


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One published event.

    Attributes:
        seq: the position in publish order (1, 2, ...); ``id`` is its decimal string.
        data: the payload.
        event: the event type, or None for the default ("message").
    """

    seq: int
    data: str
    event: str | None = None

    @property
    def id(self) -> str:
        """The event id as sent on the wire."""
        return str(self.seq)


def id_problem(text: str) -> str | None:
    """Why ``text`` is not an id or cursor this history could have issued, or None when it could be."""
    if not text.isascii() or not text.isdigit():
        return "must be digits"
    if len(text) > MAX_ID_DIGITS:
        return f"must be at most {MAX_ID_DIGITS} digits"
    return None


def parse_id(text: str) -> int | None:
    """An id or cursor as an integer, or None when it is not one this history issued (e.g. "…", "-1")."""
    return None if id_problem(text) is not None else int(text)


def _footprint(event: StoredEvent) -> int:
    """Bytes an event's strings occupy in memory (a str of n characters takes n to 4n bytes)."""
    return sys.getsizeof(event.data) + (sys.getsizeof(event.event) if event.event else 0)


class History:
    """The last ``size`` events, oldest first, and at most ``max_bytes`` of them.

    Args:
        size: events kept; older ones are forgotten (a client resuming from one of them gets what is left).
        max_bytes: memory the kept events' strings may occupy (``sys.getsizeof`` of payload and type);
            the oldest are forgotten past it, but the newest event is always kept. None: no byte bound.
    """

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        if size < 1:
            raise ValueError(f"history size must be at least 1, not {size}")
        self._events: deque[StoredEvent] = deque()
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._last = 0

    @property
    def size_bytes(self) -> int:
        """Memory the kept events' strings occupy, as ``max_bytes`` counts it."""
        return self._bytes

    @property
    def last_seq(self) -> int:
        """The seq of the newest event (0 before the first)."""
        return self._last

    def append(self, data: str, event: str | None = None) -> StoredEvent:
        """Store a new event with the next id and return it."""
        self._last += 1
        stored = StoredEvent(self._last, data, event or None)
        self._events.append(stored)
        self._bytes += _footprint(stored)
        events = self._events
        while len(events) > self._size or (
                self._max_bytes is not None and self._bytes > self._max_bytes and len(events) > 1):
            self._bytes -= _footprint(events.popleft())
        return stored

    def after(self, seq: int, limit: int | None = None) -> list[StoredEvent]:
        """The retained events newer than ``seq``, oldest first, at most ``limit`` of them."""
        if seq >= self._last:
            return []
        out = [e for e in self._events if e.seq > seq]
        return out if limit is None else out[:limit]

    def __len__(self) -> int:
        return len(self._events)
