"""Stopping a run early when the target cannot be reached: shared by the cases of one run.

Two things stop a run: a case's connection that cannot be made at all (refused, unresolvable, TLS
handshake failed: :mod:`conformance.connection_errors`), and a case that fails or errors after
waiting at least half its timeout while the target has sent nothing to it nor to any other case of the
run so far (a target that accepts TCP and never answers). The first such case sets the reason; cases
still running are cancelled, cases not started are not run, and ``rtconform run`` exits 3. A target that
answered anything is never stopped for silence: one silent case is then that case's own failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from conformance.wire.transcript import RX, Transcript

__all__ = ["Halt", "heard"]


def heard(transcript: Transcript) -> bool:
    """The target sent something during the case of ``transcript``."""
    return any(entry.direction == RX for entry in transcript.entries)


@dataclass(eq=False)
class Halt:
    """Why the run stops early ("" while it goes on), and what the running cases have heard so far.

    Attributes:
        reason: the first unreachable error, one line; "" while the run goes on.
        answered: some finished case heard from the target.
        event: set once ``reason`` is; running cases wait on it to stop.
    """

    reason: str = ""
    answered: bool = False
    event: asyncio.Event = field(default_factory=asyncio.Event)
    _live: dict[int, Transcript] = field(default_factory=dict)

    def stop(self, reason: str) -> None:
        """Stop the run for ``reason`` (the first reason wins)."""
        if not self.reason:
            self.reason = reason
            self.event.set()

    @contextmanager
    def watching(self, transcript: Transcript) -> Iterator[None]:
        """Count ``transcript`` among the running cases' until the block ends."""
        self._live[id(transcript)] = transcript
        try:
            yield
        finally:
            del self._live[id(transcript)]
            self.answered = self.answered or heard(transcript)

    def silent(self) -> bool:
        """The target has sent nothing to any case of the run, finished or running."""
        return not self.answered and not any(heard(t) for t in self._live.values())
