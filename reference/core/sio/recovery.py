"""Connection state recovery, as Socket.IO 4.6+ does it (``connectionStateRecovery``), bounded.

With recovery on, the CONNECT answer carries a private session id (``{"sid": ..., "pid": ...}``) and every
EVENT the server emits without an ack id gets an offset appended as its last argument; the client keeps
the last offset it saw. When its transport drops (not when it or the server disconnects on purpose) the
server keeps the namespace's sid, rooms and data under the pid for ``window`` seconds. A CONNECT whose
payload holds that ``pid`` and an ``offset`` still in the history gets the same sid and rooms back, then
every EVENT emitted after that offset that its rooms would have received, each once: the kept session is
removed when it is restored. Otherwise (unknown or expired pid, offset no longer in the history) it is a
fresh session.

Memory is bounded by construction: at most ``max_packets`` EVENTs per namespace in the history, at most
``max_sessions`` kept sessions, and both are pruned by age (``prune``).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KeptSession", "Recovery", "RecoveryStore", "Sent"]


@dataclass(frozen=True, slots=True)
class Recovery:
    """Options: how long a dropped session is kept, and the bounds of what is kept."""

    window: float = 120.0
    max_packets: int = 1000
    max_sessions: int = 10_000


@dataclass(frozen=True, slots=True)
class Sent:
    """An EVENT in the history: its offset, who it went to, its arguments (offset included)."""

    offset: str
    rooms: frozenset[str]
    except_rooms: frozenset[str]
    args: tuple[Any, ...]
    at: float

    def reaches(self, rooms: frozenset[str]) -> bool:
        """Whether a socket in ``rooms`` got it (the reference adapter's rule)."""
        included = not self.rooms or not self.rooms.isdisjoint(rooms)
        return included and self.except_rooms.isdisjoint(rooms)


@dataclass(frozen=True, slots=True)
class KeptSession:
    """A dropped namespace connection, kept for recovery."""

    nsp: str
    sid: str
    rooms: frozenset[str]
    data: dict[str, Any]
    at: float


@dataclass
class RecoveryStore:
    """The history of every namespace and the kept sessions, with ``Recovery`` bounds."""

    options: Recovery
    history: dict[str, deque[Sent]] = field(default_factory=dict)
    kept: OrderedDict[str, KeptSession] = field(default_factory=OrderedDict)

    def record(self, nsp: str, sent: Sent) -> None:
        """Add an emitted EVENT to the namespace's history (the oldest goes past ``max_packets``)."""
        self.history.setdefault(nsp, deque(maxlen=self.options.max_packets)).append(sent)

    def keep(self, pid: str, session: KeptSession) -> None:
        """Keep a dropped session under ``pid`` (the oldest goes past ``max_sessions``)."""
        self.kept[pid] = session
        self.kept.move_to_end(pid)
        while len(self.kept) > self.options.max_sessions:
            self.kept.popitem(last=False)

    def restore(self, nsp: str, pid: Any, offset: Any, now: float) -> tuple[KeptSession, list[Sent]] | None:
        """The kept session and the EVENTs it missed, or None for a fresh session; a restored session is
        no longer kept (its packets are replayed once)."""
        if not isinstance(pid, str) or not isinstance(offset, str):
            return None
        session = self.kept.get(pid)
        if session is None or session.nsp != nsp:
            return None
        del self.kept[pid]
        if now - session.at > self.options.window:
            return None
        history = list(self.history.get(nsp, ()))
        index = next((i for i, sent in enumerate(history) if sent.offset == offset), None)
        if index is None:
            return None
        return session, [sent for sent in history[index + 1:] if sent.reaches(session.rooms)]

    def prune(self, now: float) -> None:
        """Forget kept sessions and history entries older than the window."""
        horizon = now - self.options.window
        for pid in [pid for pid, kept in self.kept.items() if kept.at < horizon]:
            del self.kept[pid]
        for history in self.history.values():
            while history and history[0].at < horizon:
                history.popleft()

    def next_prune(self) -> float | None:
        """When the oldest kept thing expires, or None."""
        times = [h[0].at for h in self.history.values() if h]
        if self.kept:
            times.append(next(iter(self.kept.values())).at)  # kept in the order they dropped
        return min(times) + self.options.window if times else None
