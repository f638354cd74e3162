"""A per-connection message-rate limit as a token bucket: sans-IO, the time comes in as ``now``.

The bucket holds at most ``burst`` tokens and gains ``rate`` tokens per second; each message takes one.
A message that finds the bucket empty is over the limit: the I/O layer decides what follows (the
reference server closes with 1008, see ``reference/servers/ws_pump.py``). A new bucket is full, so a peer
may always send ``burst`` messages at once, and ``burst + rate * t`` messages in any ``t`` seconds.
"""

from __future__ import annotations

__all__ = ["TokenBucket"]


class TokenBucket:
    """At most ``burst`` messages at once and ``rate`` messages per second on average.

    Args:
        rate: Tokens gained per second (> 0).
        burst: The bucket's size (>= 1): messages allowed back to back after a pause.
        now: The current time on any monotonic clock.

    Raises:
        ValueError: ``rate`` is not positive or ``burst`` is below 1.
    """

    def __init__(self, rate: float, burst: float, now: float) -> None:
        if not rate > 0 or not burst >= 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, got {rate!r}, {burst!r}")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at = now

    def take(self, now: float) -> bool:
        """Take one token at ``now``: True if there was one (the message is within the limit)."""
        if now > self._at:  # a clock that goes back adds nothing
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def tokens(self, now: float) -> float:
        """The tokens available at ``now`` (without taking one)."""
        return min(self.burst, self._tokens + max(0.0, now - self._at) * self.rate)
