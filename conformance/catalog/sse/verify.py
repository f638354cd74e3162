"""Shared SSE verifiers: each accepts every legal reaction and names what it saw otherwise."""

from __future__ import annotations

import re
from collections.abc import Sequence

from conformance.catalog.sse.context import SseContext
from conformance.model import CaseFailed, Verdict
from conformance.wire.sse import Event, Subscription

__all__ = ["check_clean", "event_ids", "lost", "roundtrip", "wait_own"]

#: Seconds a published event may take to reach a subscriber.
DELIVERY = 2.0


_LINE = re.compile(r"^line (\d+):")


def check_clean(sub: Subscription, own: Sequence[Event] | None = None) -> None:
    """No §9.2.5/§9.2.6 deviation so far (invalid UTF-8, misplaced BOM, id with NUL, bad retry).

    With ``own``, only the deviations on the lines of those events' blocks count: other cases' events
    share the stream and are judged by their own cases, and the stream's prelude by
    ``sse/9.2.6/stream-well-formed``. Invalid UTF-8 is then judged by the data the case compares (the
    decoder turns it into U+FFFD), and HTTP framing errors always count: the connection is the case's.

    Raises:
        CaseFailed: the first deviations, joined.
    """
    deviations = [d for d in sub.parser.deviations if not d.startswith("unfinished")]
    if own is not None:
        lines = _block_lines(sub.events, own)
        deviations = [d for d in deviations if (m := _LINE.match(d)) and int(m.group(1)) in lines]
    if sub.exchange.framing_error:
        deviations.append(f"http framing: {sub.exchange.framing_error}")
    if deviations:
        raise CaseFailed(["a well-formed event stream"], "; ".join(deviations[:3]))


def _block_lines(events: Sequence[Event], own: Sequence[Event]) -> set[int]:
    """The line numbers of the blocks that dispatched ``own`` (events of the stream ``events``): from the
    line after the event before, at most as many lines back as the event's fields take (its data lines,
    its type and id and one more), so a prelude such as the stream's first ``retry:`` block is not one."""
    mine = {id(e) for e in own}
    lines: set[int] = set()
    previous = 0
    for event in events:
        if id(event) in mine:
            fields = event.data.count("\n") + 1 + (event.type != "message") + (event.id is not None) + 1
            lines.update(range(max(previous + 1, event.line - fields), event.line + 1))
        previous = event.line
    return lines


async def wait_own(ctx: SseContext, sub: Subscription, type_: str, count: int) -> list[Event]:
    """Wait for ``count`` events of the case's own type; CaseFailed ("message lost") if they do not all
    come."""
    wait = ctx.left(DELIVERY + count * 0.05)
    got = await sub.wait_events(type_, count, wait)
    if len(got) < count:
        raise lost(sub, type_, count, len(got), wait)
    return got


def lost(sub: Subscription, type_: str, published: int, delivered: int, waited: float) -> CaseFailed:
    """The verdict for published events of type ``type_`` that did not all reach ``sub``."""
    closed = " (the stream ended)" if sub.exchange.done else ""
    return CaseFailed([f"{published} published event(s) delivered"],
                      f"message lost: published {published} event(s) of type {type_!r}, {delivered} "
                      f"delivered in {waited:.1f} s{closed}")


async def roundtrip(ctx: SseContext, payload: str, expected: str | None = None) -> Verdict:
    """Publish ``payload`` under the case's own type; the dispatched data must be ``expected``."""
    token = ctx.token()
    sub = await ctx.subscribe()
    await ctx.publish(payload, event=token)
    (event,) = await wait_own(ctx, sub, token, 1)
    check_clean(sub, [event])
    want = payload if expected is None else expected
    if event.data != want:
        raise CaseFailed([f"data {want[:60]!r} ({len(want)} chars)"],
                         f"data {event.data[:60]!r} ({len(event.data)} chars)")
    return Verdict(actual=f"data of {len(want)} chars delivered exactly")


def event_ids(events: Sequence[Event]) -> list[str | None]:
    """The ``id`` field of each event."""
    return [e.id for e in events]
