"""Server scripts the client cases share, and how they judge what the client did.

Time is judged only where the standard gives a bound, and always with room: a reconnection must not come
*earlier* than the reconnection time (the standard lets a client wait longer: "Optionally, wait some
more"), and "does not reconnect" is watched for a window well past the client's own measured reconnection
delay (:func:`quiet_window`), so a slow machine can only make a correct client look more correct.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.catalog.sseclient.context import END, ClientCase, Printed, describe, show
from conformance.catalog.sseclient.server import Incoming
from conformance.model import CaseFailed, Skip

__all__ = ["PRIME", "RECONNECT_WAIT", "expect_events", "primed_reconnection", "quiet_window",
           "stream_events", "watch_quiet"]

#: How long a case waits for a reconnection after a stream that set ``retry: 50`` ended (seconds).
RECONNECT_WAIT = 4.0
#: The shortest window in which "no reconnection" is watched (seconds).
QUIET_MIN = 1.5
#: The window is at least this many times the client's own measured reconnection delay.
QUIET_FACTOR = 3.0
#: Sets a short reconnection time and dispatches one event, so the client is known to read the stream.
PRIME = b"retry: 50\ndata: primed\n\n"

Expected = tuple[str, str, str]


async def stream_events(ctx: ClientCase, *chunks: bytes) -> list[Printed]:
    """Serve ``chunks`` (one chunk each) then :data:`END` on the first connection; the events before END."""
    incoming = await ctx.accept()
    await ctx.stream(incoming, *chunks, END)
    return await ctx.events_until_end()


def expect_events(got: Sequence[Printed], expected: Sequence[Expected]) -> None:
    """CaseFailed unless ``got`` is exactly ``expected`` ((type, data, lastEventId) each), in order."""
    if [(e.type, e.data, e.last_event_id) for e in got] != list(expected):
        want = ", ".join(show(*e) for e in expected) or "no event"
        raise CaseFailed([f"{len(expected)} event{'s' if len(expected) != 1 else ''}: {want}"],
                         describe(got))


def quiet_window(delay: float) -> float:
    """How long to watch for a reconnection that must not come, given the client's measured delay."""
    return max(QUIET_MIN, QUIET_FACTOR * delay)


async def primed_reconnection(ctx: ClientCase, first: bytes = PRIME, *, required: str = ""
                              ) -> tuple[Incoming, float]:
    """Serve ``first`` on the first connection and end it; return the reconnection and the client's delay
    (from the end of the first stream to the second request).

    Raises:
        CaseFailed: no reconnection within :data:`RECONNECT_WAIT` where the case needs one (``required``
            says what it then did not get).
        Skip: no reconnection where the case only judges what comes after one (the reconnect case judges
            the reconnection itself).
    """
    incoming = await ctx.accept()
    await ctx.stream(incoming, first, end=True)
    again = await ctx.reconnection(RECONNECT_WAIT)
    if again is None and required:
        raise CaseFailed([required], f"no reconnection within {RECONNECT_WAIT:.0f} s after the stream ended")
    if again is None:
        raise Skip(f"the client did not reconnect within {RECONNECT_WAIT:.0f} s after the stream ended, so "
                   "this cannot be judged (sseclient/9.2.3/reconnect-after-end judges the reconnection)")
    assert incoming.ended_at is not None
    return again, max(0.0, again.at - incoming.ended_at)


async def watch_quiet(ctx: ClientCase, since: Incoming, window: float, why: str) -> None:
    """CaseFailed if the client connects again within ``window`` seconds after ``since`` was answered."""
    again = await ctx.reconnection(window)
    if again is not None:
        assert since.ended_at is not None
        raise CaseFailed([f"no new connection within {window:.1f} s ({why})"],
                         f"connection {again.number} came {again.at - since.ended_at:.2f} s after "
                         f"connection {since.number} was answered")
