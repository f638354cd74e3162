"""RFC 6202 §2.1 "Definition" and §2.2 "HTTP Long Polling Issues": no loss, no duplicate, batching,
caching, header overhead."""

from __future__ import annotations

import asyncio

from conformance.catalog.poll.context import PollContext, PollUnanswered, lost
from conformance.model import STRICT, CaseFailed, Verdict, group

G = group("poll", "2.2", "Long polling issues")

_LATENCY = ("Graceful Degradation: A long polling client or server that is under load has a natural "
            "tendency to gracefully degrade in performance at a cost of message latency. ... If multiple "
            "messages are queued for a client, they might be delivered in a batch within a single long poll "
            "response (RFC 6202 §2.2).")


async def _collect(ctx: PollContext, cursor: int, token: str, count: int,
                   polls: int = 40) -> tuple[list[str], int]:
    """Follow the cursor until ``count`` own messages arrived, a whole hold passes without news or a poll
    is not answered in time; returns the own messages and the number of answers."""
    got: list[str] = []
    answers = 0
    while len(got) < count and answers < polls:
        try:
            poll = await ctx.poll(cursor)
        except PollUnanswered:
            break
        answers += 1
        got += poll.own(token)
        if not poll.answer.messages:  # a whole hold without news: nothing more is coming
            break
        if poll.answer.cursor < cursor:
            raise CaseFailed(["a cursor that never goes back"], f"{cursor} then {poll.answer.cursor}")
        cursor = poll.answer.cursor
    return got, answers


def _check_delivered(want: list[str], got: list[str], answers: int, since: float) -> None:
    """Every message of ``want`` in ``got``, once each and in order; a missing one is reported lost."""
    missing = [m for m in want if m not in got]
    if missing:
        raise lost(missing, answers, asyncio.get_running_loop().time() - since)
    if got != want:
        raise CaseFailed([f"{len(want)} messages, in order, once each"], f"received {got[:6]}")


@G.case("batched-in-order", exclusive=True, level=STRICT, section="2.2",
        desc="Publishes three messages while no poll is pending, then polls",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): messages "
                    "published between polls are queued and delivered in the next answers, in order, "
                    "once each (RFC 6202 is an Informational RFC).",
        quote=_LATENCY)
async def batched_in_order(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    want = [f"{token}-{i}" for i in range(3)]
    since = asyncio.get_running_loop().time()
    for data in want:
        await ctx.publish(data)
    got, answers = await _collect(ctx, cursor, token, 3)
    _check_delivered(want, got, answers, since)
    return Verdict(actual=f"3 messages in {answers} answer(s)")


@G.case("no-loss-across-polls", exclusive=True, level=STRICT, section="2.1",
        desc="Publishes 20 messages while a client polls continuously",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a client "
                    "following the cursor receives every message exactly once, in order.",
        quote="The server defers its response until an update is available or until a particular status "
              "or timeout has occurred (RFC 6202 §2.1).")
async def no_loss_across_polls(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    want = [f"{token}-{i:02d}" for i in range(20)]
    since = asyncio.get_running_loop().time()
    collector = asyncio.ensure_future(_collect(ctx, cursor, token, 20, polls=200))
    try:
        for data in want:
            await ctx.publish(data)
    except BaseException:
        collector.cancel()
        raise
    got, answers = await collector  # bounded: every poll waits at most until shortly before the deadline
    _check_delivered(want, got, answers, since)
    return Verdict(actual=f"20 messages in {answers} answers")


@G.case("cursor-survives-gap", exclusive=True, level=STRICT, section="2.1",
        desc="Publishes, waits 1 s without polling, then polls with the old cursor",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a poll "
                    "with an older cursor gets the messages published since.",
        quote="The client typically sends a new long poll request, either immediately upon receiving a "
              "response or after a pause to allow an acceptable latency period (RFC 6202 §2.1).")
async def cursor_survives_gap(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    since = asyncio.get_running_loop().time()
    await ctx.publish(token + "-gap")
    await asyncio.sleep(min(1.0, ctx.left() / 4))  # the stimulus: a client away between polls
    got, answers = await _collect(ctx, cursor, token, 1)
    _check_delivered([token + "-gap"], got, answers, since)
    return Verdict(actual="delivered after the gap")


@G.case("many-held-polls", exclusive=True, level=STRICT, section="2.2",
        desc="Holds 50 polls at once (fewer if the target declares a lower max-held-polls), then publishes "
             "one message",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): every held"
                    " poll is answered with news when it is published, before its hold timer could have"
                    " fired (within 90% of the hold timeout): none is forgotten until its timeout.",
        quote="Allocated Resources: Operating systems will allocate resources to TCP/IP connections and to "
              "HTTP requests outstanding on those connections (RFC 6202 §2.2).")
async def many_held_polls(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    loop = asyncio.get_running_loop()
    count = min(50, int(ctx.number("max-held-polls", 50) or 50))  # past its declared limit a poll is refused
    polls = await asyncio.gather(*(ctx.start_poll(cursor) for _ in range(max(1, count))))
    await ctx.publish(token + "-all")
    stored = loop.time()  # the target stored the message before it answered the publish
    # Judged: the polls sent at most half the hold timeout before the message was stored, so their hold
    # timers cannot fire before 90% of the hold timeout after the send while the message is there.
    judged = [p for p in polls if p.sent_at >= stored - 0.5 * ctx.hold]
    if not judged:
        took = stored - max(p.sent_at for p in polls)
        raise CaseFailed([f"the publish answered within half the hold timeout ({0.5 * ctx.hold:.2f} s) "
                          f"while {len(polls)} polls are held"], f"it took {took:.2f} s")
    answers = await asyncio.gather(*(ctx.finish(p, timeout=ctx.hold + 2.0) for p in judged),
                                   return_exceptions=True)
    # Woken by the message, not by its timer: answered with news within 90% of the hold timeout.
    woken = 0.9 * ctx.hold
    missing = [a for a in answers if isinstance(a, BaseException) or not a.answer.messages or a.held >= woken]
    if missing:
        first = next((a for a in missing if isinstance(a, BaseException)), None)
        why = f"; first: {first}" if first else ""
        raise CaseFailed([f"every held poll answered with news within {woken:.2f} s"],
                         f"{len(missing)} of {len(judged)} were not{why}")
    slowest = max(a.held for a in answers if not isinstance(a, BaseException))
    return Verdict(actual=f"{len(judged)} of {len(polls)} held polls judged, all answered with news, the "
                          f"last after {slowest:.3f} s")


@G.case("no-caching", exclusive=True, level=STRICT, section="2.2",
        desc="Reads Cache-Control of a poll answer",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): poll "
                    "answers are not cacheable (Cache-Control no-cache, no-store or max-age=0).",
        quote="Caching: Caching mechanisms implemented by intermediate entities can interfere with long "
              "poll requests (RFC 6202 §2.2).")
async def no_caching(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    await ctx.publish(token + "-x")
    poll = await ctx.poll(cursor)
    tokens = poll.response.tokens("cache-control")
    if not {"no-cache", "no-store", "max-age=0"} & set(tokens):
        raise CaseFailed(["cache-control no-cache, no-store or max-age=0"], f"cache-control {tokens or None}")
    return Verdict(actual=f"cache-control {', '.join(tokens)}")


@G.case("cache-buster-accepted", exclusive=True, level=STRICT, section="2.2",
        desc="Polls with an extra query parameter t=<random>",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the server"
                    " accepts (ignores) an unknown cache-busting query parameter.",
        quote="Caching: Caching mechanisms implemented by intermediate entities can interfere with long "
              "poll requests (RFC 6202 §2.2).")
async def cache_buster_accepted(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    await ctx.publish(token + "-t")
    poll = await ctx.poll(cursor, extra=f"t={token}")
    if token + "-t" not in poll.own(token):
        raise CaseFailed(["the message, with t= ignored"], f"{poll.own(token)}")
    return Verdict(actual="t= ignored")


@G.case("header-overhead", exclusive=True, level=STRICT, section="2.2",
        desc="Measures the response head size per delivered message",
        requirement="Recorded, not judged: the header bytes each message costs.",
        quote="Header Overhead: With the long polling technique, every long poll request and long poll "
              "response is a complete HTTP message and thus contains a full set of HTTP headers in the "
              "message framing (RFC 6202 §2.2).")
async def header_overhead(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    await ctx.publish(token + "-h")
    poll = await ctx.poll(cursor)
    per = poll.head_size / max(1, len(poll.answer.messages))
    return Verdict.informational(f"response head {poll.head_size} bytes, {per:.0f} bytes per message")
