"""WHATWG HTML §9.2.4 "The Last-Event-ID header": resuming after a dropped connection.

The server promises (docs/testee-contract.md) to replay the retained events after the id a client sends,
then continue live: every event exactly once, in order, also for events published while the client was
away. ``resume-point-before-first-event`` needs a stream on which no event arrives before its own (another
case's event would set the last event ID for it): it runs exclusive.
"""

from __future__ import annotations

from conformance.catalog.sse.context import SseContext
from conformance.catalog.sse.verify import DELIVERY, check_clean, lost, wait_own
from conformance.model import STRICT, CaseFailed, Verdict, group
from conformance.wire.sse import Event, Subscription

G = group("sse", "9.2.4", "The Last-Event-ID header: resume")

_QUOTE = ("If the EventSource object's last event ID string is not the empty string: Let lastEventIDValue be "
          "the EventSource object's last event ID string, encoded as UTF-8. Set (`Last-Event-ID`, "
          "lastEventIDValue) in request's header list.")


def _own(sub: Subscription, token: str) -> list[Event]:
    """The case's events: its type, and data starting with its token (a target that gives another case's
    untyped event the last type it saw must not make that event look like this case's)."""
    return [e for e in sub.of_type(token) if e.data.startswith(token + ":")]


async def _wait(ctx: SseContext, sub: Subscription, token: str, count: int) -> list[Event]:
    """Wait for ``count`` own events; CaseFailed if they do not all come."""
    wait = ctx.left(DELIVERY + count * 0.05)
    await sub.exchange.wait(lambda: len(_own(sub, token)) >= count, wait)
    got = _own(sub, token)
    if len(got) < count:
        raise lost(sub, token, count, len(got), wait)
    return got


def _exactly_once(token: str, events: list[Event], want: list[str]) -> None:
    got = [e.data.removeprefix(token + ":") for e in events]
    if got != want:
        raise CaseFailed([f"exactly {want} in order"], f"received {got}")


async def _resume(ctx: SseContext, last_id: str, token: str, count: int) -> list[Event]:
    sub = await ctx.subscribe([("Last-Event-ID", last_id)])
    check_clean(sub, await _wait(ctx, sub, token, count))
    # Grace for duplicates: anything else of ours arriving shortly after would be a repeat.
    await sub.exchange.wait(lambda: len(_own(sub, token)) > count, ctx.left(0.3))
    return _own(sub, token)


@G.case("resume-after-last-event-id", level=STRICT,
        desc="Reads three events, drops the connection, reconnects with Last-Event-ID of the first",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the server"
                    " replays exactly the events after that id, in order, then continues live (the "
                    "spec makes the client send the id; what the server does with it is the "
                    "server's).",
        quote=_QUOTE)
async def resume_after_last_event_id(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    for data in ("e1", "e2", "e3"):
        await ctx.publish(f"{token}:{data}", event=token)
    first, *_ = await _wait(ctx, sub, token, 3)
    sub.close()
    if not first.id:
        raise CaseFailed(["events with ids"], "the first event has no id")
    again = await ctx.subscribe([("Last-Event-ID", first.id)])
    await _wait(ctx, again, token, 2)
    await ctx.publish(f"{token}:e4", event=token)
    await _wait(ctx, again, token, 3)
    await again.exchange.wait(lambda: len(_own(again, token)) > 3, ctx.left(0.3))
    _exactly_once(token, _own(again, token), ["e2", "e3", "e4"])
    return Verdict(actual=f"resumed after id {first.id!r}: e2, e3 replayed, e4 live, once each")


@G.case("resume-published-while-away", level=STRICT,
        desc="Reads one event, drops the connection, publishes two more, reconnects with its id",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): events "
                    "published while the client was disconnected are delivered on resume, once each, "
                    "in order.",
        quote=_QUOTE)
async def resume_published_while_away(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    await ctx.publish(f"{token}:before", event=token)
    (seen,) = await _wait(ctx, sub, token, 1)
    sub.close()
    await ctx.publish(f"{token}:away1", event=token)
    await ctx.publish(f"{token}:away2", event=token)
    if not seen.last_event_id:
        raise CaseFailed(["an event id to resume from"], "no id")
    _exactly_once(token, await _resume(ctx, seen.last_event_id, token, 2), ["away1", "away2"])
    return Verdict(actual="both events published while away delivered once")


@G.case("resume-point-before-first-event", level=STRICT, exclusive=True,
        desc="Publishes one event, subscribes, drops before any event, publishes, reconnects with the "
             "last event ID the stream had set (if any)",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a client "
                    "that saw no event does not miss events published while it was away: the stream "
                    "names a resume point, or the server replays from the start of its history.",
        quote="Set the last event ID string of the event source to the value of the last event ID buffer. "
              "The buffer does not get reset")
async def resume_point_before_first_event(ctx: SseContext) -> Verdict:
    token = ctx.token()
    # One event retained before the stream opens, so the resume point is an event's id whether or not
    # anything was published before this case (a target's handling of an empty history is not the point).
    await ctx.publish(f"{token}:retained", event=token + "old")
    sub = await ctx.subscribe()
    await sub.exchange.wait(lambda: sub.exchange.body_size > 0, ctx.left(1.0))
    sub.close()
    last = sub.parser.last_event_id
    missed = f"{token}:missed?"
    await ctx.publish(missed, event=token)
    headers = [("Last-Event-ID", last)] if last else []
    again = await ctx.subscribe(headers)
    await again.exchange.wait(lambda: any(e.data == missed for e in again.of_type(token)), ctx.left(2.0))
    if not any(e.data == missed for e in again.of_type(token)):
        how = f"Last-Event-ID {last!r}" if last else "no Last-Event-ID (the stream set none)"
        raise CaseFailed(["the event published while away"], f"not delivered after a reconnect with {how}")
    return Verdict(actual=f"delivered after a reconnect with Last-Event-ID {last!r}")


@G.case("last-event-id-non-ascii", level=STRICT,
        desc="Subscribes with Last-Event-ID: \u2026 (U+2026 as UTF-8), an id it never issued",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the server"
                    " accepts any Last-Event-ID (UTF-8, unknown): 200 text/event-stream.",
        quote=_QUOTE)
async def last_event_id_non_ascii(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe([("Last-Event-ID", "\u2026")])
    await ctx.publish("after", event=token)
    await wait_own(ctx, sub, token, 1)
    return Verdict(actual="200 event stream, live events delivered")
