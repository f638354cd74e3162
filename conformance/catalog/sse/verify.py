"""Shared SSE verifiers: each accepts every legal reaction and names what it saw otherwise."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.catalog.sse.context import SseContext
from conformance.model import CaseFailed, Verdict
from conformance.wire.sse import Event, Subscription

__all__ = ["check_clean", "event_ids", "roundtrip", "wait_own"]

#: Seconds a published event may take to reach a subscriber.
DELIVERY = 2.0


def check_clean(sub: Subscription) -> None:
    """No §9.2.5/§9.2.6 deviation so far (invalid UTF-8, misplaced BOM, id with NUL, bad retry).

    Raises:
        CaseFailed: the first deviations, joined.
    """
    deviations = [d for d in sub.parser.deviations if not d.startswith("unfinished")]
    if sub.exchange.framing_error:
        deviations.append(f"http framing: {sub.exchange.framing_error}")
    if deviations:
        raise CaseFailed(["a well-formed event stream"], "; ".join(deviations[:3]))


async def wait_own(ctx: SseContext, sub: Subscription, type_: str, count: int) -> list[Event]:
    """Wait for ``count`` events of the case's own type; CaseFailed if they do not all come."""
    got = await sub.wait_events(type_, count, ctx.left(DELIVERY + count * 0.05))
    if len(got) < count:
        closed = " (the stream ended)" if sub.exchange.done else ""
        raise CaseFailed([f"{count} published event(s) delivered"], f"{len(got)} arrived{closed}")
    return got


async def roundtrip(ctx: SseContext, payload: str, expected: str | None = None) -> Verdict:
    """Publish ``payload`` under the case's own type; the dispatched data must be ``expected``."""
    token = ctx.token()
    sub = await ctx.subscribe()
    await ctx.publish(payload, event=token)
    (event,) = await wait_own(ctx, sub, token, 1)
    check_clean(sub)
    want = payload if expected is None else expected
    if event.data != want:
        raise CaseFailed([f"data {want[:60]!r} ({len(want)} chars)"],
                         f"data {event.data[:60]!r} ({len(event.data)} chars)")
    return Verdict(actual=f"data of {len(want)} chars delivered exactly")


def event_ids(events: Sequence[Event]) -> list[str | None]:
    """The ``id`` field of each event."""
    return [e.id for e in events]
