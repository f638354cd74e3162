"""WHATWG HTML §9.2.6 "Interpreting an event stream": event types, ids, retry, the whole stream.

``stream-well-formed`` judges every byte of its stream, so it runs exclusive (other cases' events would
be judged with it); the others judge only their own events.
"""

from __future__ import annotations

from conformance.catalog.sse.context import SseContext
from conformance.catalog.sse.verify import check_clean, wait_own
from conformance.model import MUST, STRICT, CaseFailed, Verdict, group

G = group("sse", "9.2.6", "Interpreting an event stream: fields")


@G.case("stream-well-formed", level=MUST, exclusive=True,
        desc="Reads the stream while two events are published; checks every byte with a strict parser",
        requirement="The stream MUST be UTF-8 with at most one leading BOM, ids without NUL, retry values "
                    "of digits only, and no event cut by a keepalive.",
        quote="Streams must be decoded using the UTF-8 decode algorithm. ... If the field value consists "
              "of only ASCII digits, then interpret the field value as an integer in base ten")
async def stream_well_formed(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    await ctx.publish("one", event=token)
    await ctx.publish("two\nlines", event=token)
    events = await wait_own(ctx, sub, token, 2)
    check_clean(sub)
    if [e.data for e in events] != ["one", "two\nlines"]:
        raise CaseFailed(["data 'one', 'two\\nlines'"], f"{[e.data for e in events]}")
    return Verdict(actual=f"{sub.exchange.body_size} bytes, {len(sub.events)} events, no deviation")


@G.case("event-type-named", level=MUST,
        desc="Publishes with ?event=NAME",
        requirement="The server MUST send the event type so it is dispatched under NAME.",
        quote="If the field name is \"event\" ... Set the event type buffer to the field value.")
async def event_type_named(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    await ctx.publish("typed", event=token)
    (event,) = await wait_own(ctx, sub, token, 1)
    return Verdict(actual=f"type {event.type!r}")


@G.case("event-type-default-message", level=MUST,
        desc="Publishes a typed event, then one without ?event=",
        requirement="An event published without a type MUST be dispatched as 'message'.",
        quote="Initialize event's type attribute to \"message\" ... If the event type buffer has a value "
              "other than the empty string, change the type of the newly created event to equal the "
              "value of the event type buffer.")
async def event_type_default_message(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    await ctx.publish("typed", event=token)
    await ctx.publish(token)  # untyped: found by its data
    await wait_own(ctx, sub, token, 1)
    ok = await sub.exchange.wait(lambda: any(e.data == token for e in sub.events), ctx.left(3.0))
    if not ok:
        raise CaseFailed(["the untyped event delivered"], "it did not arrive")
    event = next(e for e in sub.events if e.data == token)
    if event.type != "message":
        raise CaseFailed(["type 'message'"], f"type {event.type!r}")
    return Verdict(actual="type 'message'")


@G.case("fresh-id-per-event", level=STRICT,
        desc="Publishes three events; reads their id fields",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): every "
                    "published event carries a non-empty id, different from the others, without CR, "
                    "LF or NUL (ids are optional in the format).",
        quote="If the field value does not contain U+0000 NULL, then set the last event ID buffer to the "
              "field value. Otherwise, ignore the field.")
async def fresh_id_per_event(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    for i in range(3):
        await ctx.publish(str(i), event=token)
    events = await wait_own(ctx, sub, token, 3)
    check_clean(sub, events)
    ids = [e.id for e in events]
    if any(not i for i in ids) or len(set(ids)) != 3:
        raise CaseFailed(["three distinct non-empty ids"], f"ids {ids}")
    return Verdict(actual=f"ids {ids}")


@G.case("id-persists-as-last-event-id", level=MUST,
        desc="Publishes two events; checks the last event ID each one is dispatched with",
        requirement="Each event's id MUST be the last event ID when it is dispatched (no stray id: line "
                    "resets it).",
        quote="Set the last event ID string of the event source to the value of the last event ID buffer.")
async def id_persists(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    await ctx.publish("a", event=token)
    await ctx.publish("b", event=token)
    events = await wait_own(ctx, sub, token, 2)
    wrong = [(e.id, e.last_event_id) for e in events if e.last_event_id != e.id]
    if wrong:
        raise CaseFailed(["last event id = the event's id"], f"(id, last event id) {wrong}")
    return Verdict(actual=f"last event ids {[e.last_event_id for e in events]}")
