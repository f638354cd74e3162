"""A bounded, timestamped transcript of what crossed the wire during one case.

Entries record raw bytes in both directions, decoded frames and notes (timeouts, pauses, closes).
Everything is capped so a hostile target cannot make the runner store without bound (docs/reports.md,
"Budgets"):

* each entry keeps at most ``max_entry_bytes`` of data (with the true length recorded) and
  ``max_text`` characters of text;
* the transcript keeps the first ``max_entries - tail_entries`` entries (the *head*) and the last
  ``tail_entries`` (the *tail*, so how a case ended is always there); the entries between are counted in
  ``dropped`` and stand as one note in ``entries``;
* the head keeps data until it holds ``max_total_bytes``, the tail until it holds ``tail_bytes``; later
  entries keep their text and true length but no data.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

__all__ = ["DEFAULT_MAX_ENTRIES", "DEFAULT_MAX_ENTRY_BYTES", "Entry", "Transcript"]

#: Data bytes kept per entry.
DEFAULT_MAX_ENTRY_BYTES = 4096
#: Entries kept per case (head and tail together), and how many of them are the tail.
DEFAULT_MAX_ENTRIES = 200
DEFAULT_TAIL_ENTRIES = 50
#: Data bytes kept per case in the head, and in the tail.
DEFAULT_MAX_TOTAL_BYTES = 12 * 1024
DEFAULT_TAIL_BYTES = 4 * 1024
#: Characters of text kept per entry.
DEFAULT_MAX_TEXT = 256

#: Entry directions: sent by the runner, received from the target, or a note by the runner.
TX, RX, NOTE = "tx", "rx", "note"
#: Entry kinds.
BYTES, FRAME, EVENT = "bytes", "frame", "event"


@dataclass(frozen=True, slots=True)
class Entry:
    """One transcript line.

    Attributes:
        t: seconds since the transcript started.
        direction: "tx" (runner to target), "rx" (target to runner) or "note".
        kind: "bytes" (raw octets), "frame" (a decoded frame), "event" (close, timeout, pause, error).
        text: a short human-readable description ("TEXT fin=1 len=5 masked=0").
        data: the raw octets, cut to the cap.
        length: the true length of the data before cutting.
    """

    t: float
    direction: str
    kind: str
    text: str = ""
    data: bytes = b""
    length: int = 0

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict; data goes out as hex."""
        out: dict[str, object] = {"t": round(self.t, 6), "dir": self.direction, "kind": self.kind}
        if self.text:
            out["text"] = self.text
        if self.length or self.data:
            out["data"] = self.data.hex()
            out["length"] = self.length
        return out

    @classmethod
    def from_json(cls, obj: dict[str, object]) -> Entry:
        """Inverse of :meth:`to_json`."""
        data = bytes.fromhex(str(obj.get("data", "")))
        return cls(t=float(obj["t"]), direction=str(obj["dir"]), kind=str(obj["kind"]),  # type: ignore[arg-type]
                   text=str(obj.get("text", "")), data=data, length=int(obj.get("length", len(data))))  # type: ignore[call-overload]

    def render(self) -> str:
        """One line for terminal output."""
        arrow = {TX: ">>", RX: "<<"}.get(self.direction, "--")
        parts = [f"{self.t * 1000:9.2f}ms {arrow} {self.kind:5}"]
        if self.text:
            parts.append(self.text)
        if self.length:
            parts.append(_show_bytes(self.data, self.length))
        return " ".join(parts)


def _show_bytes(data: bytes, length: int) -> str:
    """Mostly-printable data (an HTTP head, a text payload) as text, anything else as hex."""
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in data[:64])
    if data and printable >= 0.9 * min(len(data), 64):
        shown = repr(data[:64])[1:] + ("" if length <= 64 else "...")
    else:
        shown = "[" + data[:32].hex(" ") + ("" if length <= 32 else " ...") + "]"
    return f"{shown} ({length} bytes)"


@dataclass(slots=True)
class Transcript:
    """Appends entries with a timestamp relative to its creation; bounded in count and bytes (a head of
    the first entries and a tail of the last ones, see the module docstring)."""

    max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES
    max_entries: int = DEFAULT_MAX_ENTRIES
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES
    tail_entries: int = DEFAULT_TAIL_ENTRIES
    tail_bytes: int = DEFAULT_TAIL_BYTES
    max_text: int = DEFAULT_MAX_TEXT
    stored: int = 0
    start: float = field(default_factory=time.monotonic)
    head: list[Entry] = field(default_factory=list)
    tail_kept: deque[Entry] = field(default_factory=deque)
    tail_stored: int = 0
    dropped: int = 0

    @property
    def entries(self) -> list[Entry]:
        """The kept entries in order; where some were dropped, one note says how many."""
        if not self.dropped:
            return [*self.head, *self.tail_kept]
        t = self.tail_kept[0].t if self.tail_kept else self.head[-1].t if self.head else 0.0
        gap = Entry(t, NOTE, EVENT, f"... {self.dropped} entries not recorded here (the transcript keeps "
                                    f"the first {len(self.head)} and the last {len(self.tail_kept)})")
        return [*self.head, gap, *self.tail_kept]

    def add(self, direction: str, kind: str, text: str = "", data: bytes | bytearray | memoryview = b"",
            length: int | None = None) -> None:
        """Record one entry (cut to the caps); ``length`` overrides ``len(data)`` as the true length."""
        size = len(data) if length is None else length
        if len(text) > self.max_text:
            text = text[:self.max_text - 1] + "…"
        t = time.monotonic() - self.start
        tail_room = max(0, min(self.tail_entries, self.max_entries))
        if len(self.head) < self.max_entries - tail_room:
            keep = max(0, min(self.max_entry_bytes, self.max_total_bytes - self.stored, len(data)))
            self.stored += keep
            self.head.append(Entry(t, direction, kind, text, bytes(data[:keep]), size))
            return
        if tail_room == 0:
            self.dropped += 1
            return
        if len(self.tail_kept) >= tail_room:
            self.tail_stored -= len(self.tail_kept.popleft().data)
            self.dropped += 1
        keep = max(0, min(self.max_entry_bytes, self.tail_bytes - self.tail_stored, len(data)))
        self.tail_stored += keep
        self.tail_kept.append(Entry(t, direction, kind, text, bytes(data[:keep]), size))

    def sent(self, data: bytes, text: str = "") -> None:
        """Record raw bytes sent to the target."""
        self.add(TX, BYTES, text, data)

    def received(self, data: bytes | bytearray | memoryview) -> None:
        """Record raw bytes received from the target."""
        self.add(RX, BYTES, "", data)

    def frame(self, direction: str, text: str, payload: bytes | bytearray | memoryview = b"",
              length: int | None = None) -> None:
        """Record a decoded frame (``direction`` is "tx" or "rx")."""
        self.add(direction, FRAME, text, payload, length)

    def note(self, text: str) -> None:
        """Record a runner note: a pause, a timeout, a close, an error."""
        self.add(NOTE, EVENT, text)

    def tail(self, n: int = 12) -> list[Entry]:
        """The last ``n`` entries."""
        return self.entries[-n:] if n > 0 else []
