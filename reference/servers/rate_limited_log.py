"""One line on stderr at most every ``interval`` seconds, however often a condition repeats.

A server at its connection cap, or out of file descriptors, meets the same condition for every client
that knocks; logging each one filled 358 MB of stderr in 76 s (cpython issue 151615, asyncio's accept loop
at the fd limit). ``RateLimitedLog`` prints the first line and then at most one per interval, saying how
many it left out.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["RateLimitedLog"]


class RateLimitedLog:
    """Print a warning at most once per ``interval`` seconds; count the ones left out.

    Args:
        interval: Seconds between two printed lines.
        stream: Where lines go; default ``sys.stderr`` (looked up when printing).
        clock: Monotonic seconds; a test can pass its own.
    """

    def __init__(self, interval: float = 10.0, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._stream = stream
        self._clock = clock
        self._next = float("-inf")
        #: Lines left out since the last printed one.
        self.suppressed = 0
        #: Lines printed so far.
        self.printed = 0

    def warn(self, message: str) -> bool:
        """Print ``message`` (one line) unless one was printed less than ``interval`` ago; True if printed."""
        now = self._clock()
        if now < self._next:
            self.suppressed += 1
            return False
        if self.suppressed:
            message += f" ({self.suppressed} similar lines left out)"
        self.suppressed = 0
        self._next = now + self.interval
        self.printed += 1
        print(message, file=self._stream or sys.stderr, flush=True)
        return True
