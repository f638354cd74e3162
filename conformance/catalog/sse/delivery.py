"""Delivery under load: a subscriber that does not read must not slow the others (WHATWG HTML §9.2.7,
RFC 6202 §2.2 "Allocated Resources"); a slow reader still gets its events in order, none skipped.

Both cases stall a subscriber, which loads the target as a whole (its queues, a publish that waits for
every subscriber): they run exclusive, so no other case's verdict pays for the stall.
"""

from __future__ import annotations

from conformance.catalog.sse.context import SseContext
from conformance.catalog.sse.verify import DELIVERY, check_clean, wait_own
from conformance.model import STRICT, CaseFailed, Verdict, group

G = group("sse", "delivery", "Delivery to slow subscribers")

EVENTS = 32
SIZE = 32 * 1024


@G.case("slow-subscriber-isolated", level=STRICT, timeout=30.0, exclusive=True,
        desc=f"One subscriber stops reading (4 KiB receive buffer); {EVENTS} events of 32 KiB are "
             "published; another subscriber reads",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a "
                    "subscriber that does not read does not delay the others: the reading one gets "
                    "every event, in order, in time.",
        quote="Allocated Resources: Operating systems will allocate resources to TCP/IP connections and to "
              "HTTP requests outstanding on those connections (RFC 6202 §2.2).")
async def slow_subscriber_isolated(ctx: SseContext) -> Verdict:
    token = ctx.token()
    slow = await ctx.subscribe(rcvbuf=4096)
    slow.exchange.pause_reading()
    fast = await ctx.subscribe()
    for i in range(EVENTS):
        await ctx.publish(f"{i:05d}" + "x" * (SIZE - 5), event=token)
    events = await wait_own(ctx, fast, token, EVENTS)
    check_clean(fast, events)
    order = [int(e.data[:5]) for e in events]
    if order != list(range(EVENTS)):
        raise CaseFailed(["every event once, in order"], f"order {order[:10]}...")
    return Verdict(actual=f"the reading subscriber got all {EVENTS} events in order")


@G.case("slow-reader-order-kept", level=STRICT, timeout=30.0, exclusive=True,
        desc=f"A subscriber pauses reading while {EVENTS} short events and a 32 KiB one after every fourth "
             "are published, then reads on",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): what a "
                    "slow reader gets is the published events in order with no gap (the server may "
                    "drop it, ending the stream, but never skip events).",
        quote="Allocated Resources: Operating systems will allocate resources to TCP/IP connections and to "
              "HTTP requests outstanding on those connections (RFC 6202 §2.2).")
async def slow_reader_order_kept(ctx: SseContext) -> Verdict:
    token = ctx.token()
    slow = await ctx.subscribe(rcvbuf=4096)
    slow.exchange.pause_reading()
    for i in range(EVENTS):
        await ctx.publish(f"{i:05d}", event=token)
        if i % 4 == 3:  # a 32 KiB event the stalled socket cannot take: what follows has to wait
            await ctx.publish("y" * SIZE, event=token + "pad")
    slow.exchange.resume_reading()
    seen = -1
    while seen < len(slow.of_type(token)) < EVENTS:  # until all arrived, or no progress for DELIVERY s
        seen = len(slow.of_type(token))
        await slow.exchange.wait(lambda n=seen: len(slow.of_type(token)) > n, ctx.left(DELIVERY))
    check_clean(slow, slow.of_type(token))
    got = [int(e.data) for e in slow.of_type(token)]
    if got != list(range(len(got))):
        raise CaseFailed(["a gap-free prefix of the published events"], f"received {got[:12]}...")
    how = "all" if len(got) == EVENTS else f"{len(got)} then the stream ended" if slow.exchange.done else \
        f"only {len(got)} in time"
    if len(got) < EVENTS and not slow.exchange.done:
        raise CaseFailed(["every event, or a prefix then the end of the stream"], how)
    return Verdict(actual=f"{how} of {EVENTS} events, in order")
