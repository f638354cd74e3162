"""A server's memory budget: bytes buffered by all its connections together, against one limit (the
WebSocket server's first; the SSE and long-polling servers charge their write buffers to one too).

Each connection charges what it holds: the incoming message being assembled (``Connection.buffered_input``)
plus its transport's write buffer. Without a budget, a client that sends one 63 MiB message and never reads
pinned about twice the message for as long as it stayed (four of them held 514 MiB). With it, a connection
that holds more than ``FREE_PER_CONNECTION`` bytes while the server's total is past ``limit`` is closed
(``ws_pump`` decides how), and what it held is released.

``FREE_PER_CONNECTION`` is why a burst of small messages is never refused because another peer exhausted
the budget: below it a connection is not asked. The total the process can hold is therefore bounded by
``limit`` plus, per connection, that free share and one socket read (256 KiB) of slack.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MEMORY_BUDGET", "FREE_PER_CONNECTION", "MemoryBudget"]

#: The default budget: four times the default message size limit, far below the machine.
DEFAULT_MEMORY_BUDGET = 256 * 2**20
#: Bytes a connection may hold without being asked (a small message, a write buffer at its high water).
FREE_PER_CONNECTION = 64 * 1024


class MemoryBudget:
    """A server-wide ledger of buffered bytes.

    Args:
        limit: Bytes all connections together may hold before the ones holding more than
            ``FREE_PER_CONNECTION`` are closed.
    """

    def __init__(self, limit: int = DEFAULT_MEMORY_BUDGET) -> None:
        if limit < 1:
            raise ValueError(f"the memory budget must be at least 1 byte, got {limit}")
        self.limit = limit
        #: Bytes charged by all connections now.
        self.held = 0
        #: The most ever charged at once.
        self.peak = 0
        #: Connections closed because of the budget.
        self.refusals = 0

    def charge(self, before: int, after: int) -> None:
        """A connection that had charged ``before`` bytes now holds ``after``."""
        self.held += after - before
        self.peak = max(self.peak, self.held)

    def allows(self, holding: int, extra: int = 0) -> bool:
        """Whether a connection that holds ``holding`` bytes (charged already) may hold ``extra`` more."""
        if holding + extra <= FREE_PER_CONNECTION:
            return True
        return self.held + extra <= self.limit
