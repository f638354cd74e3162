"""Delivery accounting of one protocol's run: exactly-once per subscriber, latency, recovery.

Every message carries its key (``stream.seq``) at the start of its payload (:func:`payload`). The
:class:`Tally` is told what was published (``published(key, t)``), which subscriber should get it
(``expect(sub, key)``, or every subscriber for a fan-out publish) and what each subscriber received
(``received(sub, key, t)``). A key a subscriber received twice is a duplicate (whatever the reconnections in
between), a key it should have received and never did is lost, a key nobody published is unexpected. Times
are the event loop's clock on the one machine that publishes and receives, so latency needs no clock sync.

Memory grows with the workload (one key per published message and per delivery); the workload's size is
bounded by :data:`MAX_MESSAGES` when it is parsed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["MAX_MESSAGES", "Tally", "cdf_points", "key_of", "payload", "percentile"]

#: The most deliveries a workload may ask for (published messages times their subscribers).
MAX_MESSAGES = 2_000_000
#: Points of a latency CDF kept for the report.
CDF_POINTS = 200


def payload(key: str, size: int) -> bytes:
    """A message of ``size`` bytes (at least the key and a space) that starts with ``key``."""
    head = key.encode("ascii") + b" "
    return head + b"x" * max(0, size - len(head))


def key_of(data: bytes | str) -> str:
    """The key at the start of a payload ("" if there is none)."""
    text = data if isinstance(data, str) else data[:64].decode("ascii", "replace")
    key, sep, _ = text.partition(" ")
    return key if sep and len(key) <= 40 else ""


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1, nearest rank) of sorted values; None when there are none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def cdf_points(ordered: Sequence[float], points: int = CDF_POINTS) -> list[tuple[float, float]]:
    """At most ``points`` (value, fraction at or below it) pairs of sorted values, the last one exact."""
    n = len(ordered)
    if not n:
        return []
    step = max(1, n // points)
    picks = list(range(step - 1, n, step))
    if picks[-1] != n - 1:
        picks.append(n - 1)
    return [(ordered[i], (i + 1) / n) for i in picks]


@dataclass
class Tally:
    """What was published, expected and received (see the module docstring).

    Attributes:
        sent: key -> publish time.
        owner: key -> the one subscriber that expects it (the WebSocket echo workload); keys not in it are
            expected by every fan-out subscriber (the SSE and poll workload).
        fanout: subscribers that expect every key without an owner.
        seen: subscriber -> the keys it received.
        receipts: subscriber -> (publish time, receipt time) of each first delivery, in receipt order.
        duplicates: deliveries of a key the subscriber already had.
        unexpected: deliveries of a key that was never published.
        misrouted: deliveries of a key to a subscriber that does not expect it (another's echo).
    """

    sent: dict[str, float] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    fanout: set[str] = field(default_factory=set)
    seen: dict[str, set[str]] = field(default_factory=dict)
    receipts: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    duplicates: int = 0
    unexpected: int = 0
    misrouted: int = 0

    def subscribe(self, sub: str, *, fanout: bool) -> None:
        """Register a subscriber: one that gets every un-owned key (``fanout``) or only its own keys."""
        self.seen.setdefault(sub, set())
        self.receipts.setdefault(sub, [])
        if fanout:
            self.fanout.add(sub)

    def published(self, key: str, t: float, *, by: str | None = None) -> None:
        """``key`` was published at ``t``; ``by``: the one subscriber expecting it (None: the fan-out)."""
        self.sent[key] = t
        if by is not None:
            self.owner[key] = by

    def retract(self, key: str) -> None:
        """``key`` turned out not to be published (the server refused it): nobody expects it."""
        self.sent.pop(key, None)
        self.owner.pop(key, None)

    def received(self, sub: str, key: str, t: float) -> None:
        """Subscriber ``sub`` received ``key`` at ``t``."""
        sent = self.sent.get(key)
        if sent is None:
            self.unexpected += 1
            return
        owner = self.owner.get(key)
        if (owner is not None and owner != sub) or (owner is None and sub not in self.fanout):
            self.misrouted += 1
            return
        seen = self.seen.setdefault(sub, set())
        if key in seen:
            self.duplicates += 1
            return
        seen.add(key)
        self.receipts.setdefault(sub, []).append((sent, t))

    def expected(self) -> int:
        """Deliveries that should have happened."""
        return (len(self.sent) - len(self.owner)) * len(self.fanout) + len(self.owner)

    def delivered(self) -> int:
        """Distinct deliveries of published keys to a subscriber that expects them."""
        return sum(len(r) for r in self.receipts.values())

    def lost(self) -> int:
        """Expected deliveries that never happened."""
        return self.expected() - self.delivered()

    def latencies(self) -> list[float]:
        """Sorted publish-to-receipt times (seconds) of the first deliveries."""
        return sorted(got - sent for pairs in self.receipts.values() for sent, got in pairs)

    def recovery_after(self, t: float) -> float | None:
        """Seconds from ``t`` until every subscriber had received a message published at or after ``t``;
        None when one never did."""
        worst = 0.0
        for pairs in self.receipts.values():
            first = min((got for sent, got in pairs if sent >= t), default=None)
            if first is None:
                return None
            worst = max(worst, first - t)
        return worst if self.receipts else None
