"""A stream's lifecycle as a resource (RFC 6202 §2.2 "Allocated Resources"): what a subscriber that never
reads costs the server, and what many subscribers that vanish leave behind.

Neither WHATWG HTML nor RFC 6202 requires a bound: the quoted text describes the cost. Both cases are
STRICT ("not a spec requirement"). Where the runner samples the target's resources (a started target),
both report its memory growth, unjudged: RSS moves with the allocator, the history a target keeps and
the runner's own timing; the readings are recorded as measurements (``rss_*_mib``,
:class:`~conformance.resources.Curve`). Both run exclusive (they stall or flood the target as a whole),
so every event on their streams is their own: they count events with the parser's ``event_count``, which
goes on past what the parser keeps (8 MiB of data). What a target promises comes from the profile:
``buffer-limit`` (bytes it may hold for one subscriber, default 64 MiB) and ``churn-count``
(subscribers connected and reset, default 1000).
"""

from __future__ import annotations

import asyncio
import statistics

from conformance.catalog.sse.context import SseContext
from conformance.catalog.sse.verify import DELIVERY, check_clean, lost, wait_own
from conformance.measure import Measurement
from conformance.model import STRICT, CaseFailed, Skip, Verdict, group
from conformance.resources import Curve
from conformance.wire.sse import Subscription

G = group("sse", "lifecycle", "Subscriber lifecycle")

_RESOURCES = ("Operating systems will allocate resources to TCP/IP connections and to HTTP requests "
              "outstanding on those connections. ... the resources allocated to HTTP requests can be "
              "significant, and scaling the total number of requests outstanding can be limited on some "
              "gateways, proxies, and servers (RFC 6202 §2.2).")

#: Bytes a target may hold for one subscriber when it declares no ``buffer-limit``.
DEFAULT_BUFFER = 64 << 20
#: The size of each event published to the non-reader.
SIZE = 64 * 1024
#: Bytes the sockets between the target and a stalled subscriber hold on top of what the target buffers
#: (Linux loopback, measured: 2.9 MiB in the target's send buffer, whose limit is 4 MiB, and the runner's
#: 4 KiB receive buffer): published on top of the bound so that a target holding everything is seen
#: holding it.
SOCKET_SLACK = 6 << 20
#: Latency samples of the reading subscriber before the stall, and again after it (its idle latency).
BASELINE = 8
#: Seconds added to twice the idle latency: a loaded machine's scheduling is not the target's fault
#: (measured on a 2-core machine running two dozen other cases at once: a median of 113 ms while the
#: subscriber stalled against 31 ms idle before it, on the reference server, whose fan-out does not wait
#: for a stalled subscriber).
LATENCY_FLOOR = 0.1
#: Subscribers connected and reset when the target declares no ``churn-count``.
DEFAULT_CHURN = 1000
#: Seconds a churned subscriber may take to get its stream's head.
CHURN_HEAD = 2.0


def _now() -> float:
    return asyncio.get_running_loop().time()


async def _timed_publish(ctx: SseContext, reader: Subscription, token: str, index: int) -> float:
    """Publish event ``index`` (``SIZE`` bytes) and wait until ``reader`` has it; the seconds it took."""
    start = _now()
    await ctx.publish(f"{index:06d}" + "x" * (SIZE - 6), event=token)
    wait = ctx.left(DELIVERY)
    if not await reader.exchange.wait(lambda: reader.parser.event_count > index, wait):
        raise lost(reader, token, index + 1, reader.parser.event_count, wait)
    return _now() - start


@G.case("non-reader-bounded", level=STRICT, timeout=60.0, exclusive=True,
        desc="One subscriber never reads (4 KiB receive buffer) while events of 64 KiB are published, "
             "6 MiB more than the declared buffer-limit; another subscriber reads each one",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the server "
                    "bounds what it holds for a subscriber that does not read (it drops it, or holds at "
                    "most buffer-limit: the non-reader, reading at last, gets a gap-free prefix and "
                    "then the end of the stream), and the reading subscriber's median latency stays within "
                    f"twice its idle latency + {LATENCY_FLOOR * 1000:.0f} ms (idle: the larger median of "
                    "the events before the stall and of those after it, so that the machine's load "
                    "drifting during the case is not taken for the target's).",
        quote=_RESOURCES)
async def non_reader_bounded(ctx: SseContext) -> Verdict:
    bound = int(ctx.number("buffer-limit", DEFAULT_BUFFER) or DEFAULT_BUFFER)
    count = -(-(bound + SOCKET_SLACK) // SIZE)
    token = ctx.token()
    reader = await ctx.subscribe()
    idle = await _median_latency(ctx, reader, token, 0, BASELINE)
    if (count + BASELINE) * idle > ctx.left() - DELIVERY - 2.0:  # the reading subscriber paces publishes
        raise Skip(f"{count} events at the idle latency of {idle:.2f} s do not fit in the case's time")
    async with Curve(ctx.memory) as curve:
        stalled = await ctx.subscribe(rcvbuf=4096)
        stalled.exchange.pause_reading()
        busy = await _median_latency(ctx, reader, token, BASELINE, count)
    got = await _read_on(ctx, stalled, token, count)
    growth = _growth(curve, "while it stalled")
    if got == count:
        raise CaseFailed([f"at most {bound} bytes held for a subscriber that does not read"],
                         f"all {count} events ({got * SIZE >> 20} MiB) delivered once it read: held without "
                         f"bound; reading subscriber latency {busy * 1000:.1f} ms{growth}")
    idle = max(idle, await _median_latency(ctx, reader, token, BASELINE + count, BASELINE))
    notes = f"reading subscriber latency {busy * 1000:.1f} ms (idle {idle * 1000:.1f} ms){growth}"
    if busy > 2 * idle + LATENCY_FLOOR:
        raise CaseFailed([f"median latency within {2 * idle + LATENCY_FLOOR:.3f} s (2 x idle + floor)"],
                         f"{busy:.3f} s while a subscriber stalls (idle {idle:.3f} s)")
    return Verdict(actual=f"the non-reader got {got} of {count} events ({got * SIZE / 2**20:.1f} MiB) then "
                          f"the end of its stream; {notes}",
                   measurements=(Measurement("latency_s", busy, "s"),
                                 Measurement("latency_idle_s", idle, "s"), *curve.measurements()))


async def _median_latency(ctx: SseContext, reader: Subscription, token: str, first: int, count: int) -> float:
    """Publish events ``first`` to ``first + count - 1`` one after another, each once ``reader`` has the
    one before; the median latency. Skip when the case's time runs out first (a slow target)."""
    latencies: list[float] = []
    for i in range(first, first + count):
        if ctx.left() < DELIVERY + 2.0:
            raise Skip(f"only {i - first} of {count} events published in the case's time (median latency "
                       f"{statistics.median(latencies or [0.0]):.3f} s)")
        latencies.append(await _timed_publish(ctx, reader, token, i))
    check_clean(reader, reader.of_type(token))
    return statistics.median(latencies)


def _growth(curve: Curve, when: str) -> str:
    """"; target memory +X MiB <when>" (last reading minus first) where the target's memory is sampled,
    else ""."""
    if len(curve.samples) < 2:
        return ""
    return f"; target memory {(curve.samples[-1] - curve.samples[0]) / 2**20:+.1f} MiB {when}"


async def _read_on(ctx: SseContext, stalled: Subscription, token: str, count: int) -> int:
    """Let the stalled subscriber read: how many events it gets (a gap-free prefix of the ``count``
    published to it), until they all came or its stream ended; CaseFailed if it stalls or skips."""
    stalled.exchange.resume_reading()
    seen = -1
    parser = stalled.parser
    while seen < parser.event_count < count and not stalled.exchange.done:
        seen = parser.event_count  # until all came, the stream ended, or no progress for DELIVERY s
        await stalled.exchange.wait(lambda n=seen: parser.event_count > n, ctx.left(DELIVERY))
    kept = [int(e.data[:6]) - BASELINE for e in stalled.of_type(token)]  # the first ones, in order
    if kept != list(range(len(kept))) or len(stalled.events) != len(kept):
        raise CaseFailed(["a gap-free prefix of the published events"], f"received {kept[:8]}...")
    if parser.event_count < count and not stalled.exchange.done:
        raise CaseFailed(["every event, or a prefix then the end of the stream"],
                         f"{parser.event_count} of {count} events, then nothing for {DELIVERY:.0f} s")
    check_clean(stalled, stalled.of_type(token))
    return parser.event_count


@G.case("subscriber-churn", level=STRICT, timeout=60.0, exclusive=True,
        desc="Subscribes and resets the connection (TCP RST) churn-count times in a row, then subscribes "
             "and publishes",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): subscribers "
                    "that vanish leak nothing the server needs: each new one gets its stream within "
                    f"{CHURN_HEAD:.0f} s, and after the churn an event still reaches a new subscriber.",
        quote=_RESOURCES)
async def subscriber_churn(ctx: SseContext) -> Verdict:
    count = max(1, int(ctx.number("churn-count", DEFAULT_CHURN) or DEFAULT_CHURN))
    start = _now()
    async with Curve(ctx.memory) as curve:
        for i in range(count):
            try:
                sub = await ctx.subscribe(head_timeout=CHURN_HEAD)
            except CaseFailed as exc:
                raise CaseFailed([f"{count} subscribers served one after another"],
                                 f"subscriber {i + 1} of {count}: {exc.actual}") from None
            sub.exchange.reset()
            sub.exchange.release()
    took = _now() - start
    token = ctx.token()
    sub = await ctx.subscribe(head_timeout=CHURN_HEAD)
    await ctx.publish("after-churn", event=token)
    (event,) = await wait_own(ctx, sub, token, 1)
    check_clean(sub, [event])
    return Verdict(actual=f"{count} subscribers connected and reset in {took:.2f} s; a new one still gets "
                          f"events{_growth(curve, 'after the churn')}",
                   measurements=(Measurement("subscribers_per_s", count / max(took, 1e-6), "/s",
                                             lower_is_better=False), *curve.measurements()))
