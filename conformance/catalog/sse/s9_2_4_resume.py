"""WHATWG HTML §9.2.4 "The Last-Event-ID header": resuming after a dropped connection.

The server promises (docs/testee-contract.md) to replay the retained events after the id a client sends,
then continue live: every event exactly once, in order, also for events published while the client was
away.
"""

from __future__ import annotations

from conformance.catalog.sse.context import SseContext
from conformance.catalog.sse.verify import check_clean, wait_own
from conformance.model import STRICT, CaseFailed, Verdict, group
from conformance.wire.sse import Event

G = group("sse", "9.2.4", "The Last-Event-ID header: resume")

_QUOTE = ("if the event source's last event ID string is not the empty string, set `Last-Event-ID`/"
          "last event ID string, encoded as UTF-8, in request's header list.")


def _exactly_once(events: list[Event], want: list[str]) -> None:
    got = [e.data for e in events]
    if got != want:
        raise CaseFailed([f"exactly {want} in order"], f"received {got}")


async def _resume(ctx: SseContext, last_id: str, token: str, count: int) -> list[Event]:
    sub = await ctx.subscribe([("Last-Event-ID", last_id)])
    await wait_own(ctx, sub, token, count)
    check_clean(sub)
    # Grace for duplicates: anything else of ours arriving shortly after would be a repeat.
    await sub.exchange.wait(lambda: len(sub.of_type(token)) > count, ctx.left(0.3))
    return sub.of_type(token)


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
        await ctx.publish(data, event=token)
    first, *_ = await wait_own(ctx, sub, token, 3)
    sub.close()
    if not first.id:
        raise CaseFailed(["events with ids"], "the first event has no id")
    again = await ctx.subscribe([("Last-Event-ID", first.id)])
    await wait_own(ctx, again, token, 2)
    await ctx.publish("e4", event=token)
    await wait_own(ctx, again, token, 3)
    await again.exchange.wait(lambda: len(again.of_type(token)) > 3, ctx.left(0.3))
    _exactly_once(again.of_type(token), ["e2", "e3", "e4"])
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
    await ctx.publish("before", event=token)
    (seen,) = await wait_own(ctx, sub, token, 1)
    sub.close()
    await ctx.publish("away1", event=token)
    await ctx.publish("away2", event=token)
    if not seen.last_event_id:
        raise CaseFailed(["an event id to resume from"], "no id")
    _exactly_once(await _resume(ctx, seen.last_event_id, token, 2), ["away1", "away2"])
    return Verdict(actual="both events published while away delivered once")


@G.case("resume-point-before-first-event", level=STRICT,
        desc="Subscribes, drops before any event of its own, publishes, reconnects with the last event "
             "ID the stream had set (if any)",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a client "
                    "that saw no event does not miss events published while it was away: the stream "
                    "names a resume point, or the server replays from the start of its history.",
        quote="Set the last event ID string of the event source to the value of the last event ID buffer. "
              "The buffer does not get reset")
async def resume_point_before_first_event(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    await sub.exchange.wait(lambda: sub.exchange.body_size > 0, ctx.left(1.0))
    sub.close()
    last = sub.parser.last_event_id
    await ctx.publish("missed?", event=token)
    headers = [("Last-Event-ID", last)] if last else []
    again = await ctx.subscribe(headers)
    got = await again.wait_events(token, 1, ctx.left(2.0))
    if not got:
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
