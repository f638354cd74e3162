"""WHATWG HTML §9.2.7 "Authoring notes": keepalive comments while idle.

The interval a target promises comes from ``--heartbeat-interval`` (default 15 s, the note's value).
``heartbeat-while-idle`` measures the silence of the whole stream, which other cases' events would fill:
it runs exclusive, with nothing else publishing. So does ``heartbeat-through-idle-proxy``, which subscribes
through the runner's relay (``conformance.wire.relay``) set to drop connections idle for 1.5 intervals + 1 s,
as the legacy proxy of the quoted note does: another case's events would keep the connection busy.
"""

from __future__ import annotations

import asyncio

from conformance.catalog.sse.context import SseContext
from conformance.catalog.sse.verify import check_clean, wait_own
from conformance.model import MUST, STRICT, CaseFailed, Verdict, group
from conformance.wire.relay import Relay

G = group("sse", "9.2.7", "Authoring notes: keepalive")

_QUOTE = ("Legacy proxy servers are known to, in certain cases, drop HTTP connections after a short "
          "timeout. To protect against such proxy servers, authors can include a comment line (one "
          "starting with a ':' character) every 15 seconds or so.")
DEFAULT_INTERVAL = 15.0
#: Seconds of silence allowed on top of 1.5 intervals: a loaded machine delays the target's timer and the
#: runner's reads (the interval is the target's promise; the runner's load is not the target's fault).
SCHEDULING = 1.0


@G.case("heartbeat-while-idle", level=STRICT, timeout=75.0, exclusive=True,
        desc="Subscribes and watches the stream for two heartbeat intervals",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the server"
                    " does not stay silent longer than its heartbeat interval (+50%, and 1 s for "
                    "scheduling delays): it sends comment heartbeats while idle.",
        quote=_QUOTE)
async def heartbeat_while_idle(ctx: SseContext) -> Verdict:
    interval = ctx.number("heartbeat-interval", DEFAULT_INTERVAL) or DEFAULT_INTERVAL
    sub = await ctx.subscribe()
    allowed = interval * 1.5 + SCHEDULING
    window = min(allowed + interval + SCHEDULING, ctx.left() - 1.0)  # longer than allowed: a silent one fails
    start = sub.exchange.head_at
    await sub.exchange.wait(lambda: sub.exchange.done, window)
    gap = max(sub.exchange.longest_silence, start + window - sub.exchange.last_arrival)
    if sub.exchange.done:
        raise CaseFailed(["the stream stays open while idle"], "the target ended the stream")
    if gap > allowed:
        raise CaseFailed([f"a heartbeat at least every {allowed:.1f} s"], f"silent for {gap:.1f} s")
    check_clean(sub)
    return Verdict(actual=f"longest silence {gap:.2f} s; {len(sub.parser.comments)} comment(s) in "
                          f"{window:.1f} s")


@G.case("heartbeat-between-events", level=MUST, timeout=75.0,
        desc="Publishes events around heartbeats; checks no comment lands inside an event or a line",
        requirement="A keepalive MUST NOT break an event: a comment goes between lines, never inside a "
                    "field line.",
        quote="event = *( comment / field ) end-of-line ... comment = colon *any-char end-of-line")
async def heartbeat_between_events(ctx: SseContext) -> Verdict:
    interval = ctx.number("heartbeat-interval", DEFAULT_INTERVAL) or DEFAULT_INTERVAL
    token = ctx.token()
    sub = await ctx.subscribe()
    await sub.exchange.wait(lambda: bool(sub.parser.comments), min(interval * 1.5 + 0.2, ctx.left() - 2))
    payload = "x" * 20000 + "\n" + "y" * 20000
    await ctx.publish(payload, event=token)
    await sub.exchange.wait(lambda: len(sub.parser.comments) > 1, min(interval * 1.5 + 0.2, ctx.left() - 2))
    await ctx.publish(payload, event=token)
    events = await wait_own(ctx, sub, token, 2)
    check_clean(sub, events)
    changed = [i for i, e in enumerate(events) if e.data != payload]
    if changed:
        raise CaseFailed(["both 40 KiB events intact around the heartbeats"],
                         f"event {changed[0]} changed: {len(events[changed[0]].data)} chars")
    inside = sum(c.in_block for c in sub.parser.comments)
    return Verdict(actual=f"{len(sub.parser.comments)} comment(s), {inside} inside an event block (legal)")


@G.case("heartbeat-through-idle-proxy", level=STRICT, timeout=75.0, exclusive=True,
        desc="Subscribes through a relay that closes a connection idle for 1.5 heartbeat intervals + 1 s, "
             "waits half a second longer than that, then publishes one event",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the "
                    "heartbeats keep an idle stream open through a proxy whose idle timeout is above the "
                    "declared interval: it outlives the proxy's timeout and still delivers an event.",
        quote=_QUOTE)
async def heartbeat_through_idle_proxy(ctx: SseContext) -> Verdict:
    interval = ctx.number("heartbeat-interval", DEFAULT_INTERVAL) or DEFAULT_INTERVAL
    idle = interval * 1.5 + SCHEDULING
    window = min(idle + 0.5, ctx.left() - 2.0)  # past the proxy's timeout: a silent stream is closed by then
    token = ctx.token()
    async with Relay(ctx.endpoint.host, ctx.endpoint.port, idle_timeout=idle) as relay:
        sub = await ctx.subscribe(endpoint=ctx.endpoint.with_options(host=relay.host, port=relay.port))
        await sub.exchange.wait(lambda: sub.exchange.done, window)
        if sub.exchange.done:
            after = asyncio.get_running_loop().time() - sub.exchange.last_arrival
            closed = "the proxy closed it as idle" if relay.idle_closes else "the stream ended"
            raise CaseFailed([f"the stream open after {window:.1f} s behind a {idle:.1f} s idle timeout"],
                             f"{closed} {after:.1f} s after its last bytes")
        await ctx.publish("through", event=token)
        (event,) = await wait_own(ctx, sub, token, 1)
        check_clean(sub, [event])
    return Verdict(actual=f"open after {window:.1f} s behind a {idle:.1f} s idle timeout; "
                          f"{len(sub.parser.comments)} comment(s); an event still delivered")
