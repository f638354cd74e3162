"""Held polls as a resource (RFC 6202 §2.2 "Allocated Resources"): a bound on how many are held, and the
places of clients that vanish mid-hold.

RFC 6202 is an Informational RFC and the quoted text describes the cost, it does not require a bound:
every case here is STRICT ("not an RFC requirement"). The bound a target promises comes from the profile
(``--profile max-held-polls=N``); without it the cases measure what they can and say so.

Each case holds several polls at once and relies on nothing else publishing: exclusive, like every poll
case (see the package docstring).
"""

from __future__ import annotations

import asyncio

from conformance.catalog.poll.context import PollContext
from conformance.model import STRICT, CaseFailed, Verdict, group
from conformance.wire.httpclient import HttpExchange
from conformance.wire.relay import Relay

G = group("poll", "2.2", "Long polling issues")

_RESOURCES = ("Operating systems will allocate resources to TCP/IP connections and to HTTP requests "
              "outstanding on those connections. ... the resources allocated to HTTP requests can be "
              "significant, and scaling the total number of requests outstanding can be limited on some "
              "gateways, proxies, and servers (RFC 6202 §2.2).")
#: Polls held at once when the target declares no limit (the measurement of ``held-polls-bounded``).
PROBE_POLLS = 64
#: The share of the hold timeout a first look at fresh polls waits for an early answer (as
#: ``poll/5.1/duplicate-poll-released``): long enough for a refusal, far shorter than the hold.
SETTLE = 0.1
#: Seconds between tries to take a place again after the vanished clients' resets.
RETRY_PAUSE = 0.05


def _now() -> float:
    return asyncio.get_running_loop().time()


def _limit(ctx: PollContext) -> int | None:
    value = ctx.number("max-held-polls")
    return None if value is None else max(1, int(value))


async def _hold(ctx: PollContext, cursor: int, count: int) -> list[HttpExchange]:
    """``count`` polls at ``cursor`` (nothing newer exists), sent at once, left held."""
    return list(await asyncio.gather(*(ctx.start_poll(cursor) for _ in range(count))))


async def _early(ctx: PollContext, polls: list[HttpExchange]) -> list[HttpExchange]:
    """The polls answered within the first ``SETTLE`` of the hold timeout (refused or answered at once):
    an observation window, left early once every poll is answered."""
    window = ctx.left(min(SETTLE, SETTLE * ctx.hold))
    await asyncio.gather(*(p.wait_done(window) for p in polls))
    return [p for p in polls if p.done]


def _status(ex: HttpExchange) -> str:
    if ex.response is None:
        return ex.head_error or "the connection closed without an answer"
    return f"{ex.response.status} {ex.response.reason}".strip()


async def _news_answers(ctx: PollContext, polls: list[HttpExchange], token: str) -> None:
    """Publish news: every poll in ``polls`` must be answered with it (held, not forgotten)."""
    news = token + "-news"
    await ctx.publish(news)
    for i, ex in enumerate(polls):
        poll = await ctx.finish(ex)
        if news not in poll.own(token):
            raise CaseFailed(["every held poll answered with the news"],
                             f"held poll {i + 1} of {len(polls)} answered {poll.own(token) or 'empty'}")


@G.case("held-polls-bounded", exclusive=True, level=STRICT, timeout=20.0,
        desc="Holds as many polls as the declared max-held-polls, then sends one more; without a "
             f"declared limit holds {PROBE_POLLS} and reports how many were held",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a poll past "
                    "the limit the target declares is answered or refused at once (before 90% of the hold "
                    "timeout: a held poll is not answered that early), never queued behind the held ones; "
                    "the held ones are answered with the next message.",
        quote=_RESOURCES)
async def held_polls_bounded(ctx: PollContext) -> Verdict:
    token = ctx.token()
    limit = _limit(ctx)
    cursor = await ctx.cursor_after(token)
    held = await _hold(ctx, cursor, limit or PROBE_POLLS)
    early = await _early(ctx, held)
    if limit is None:
        held = [p for p in held if not p.done]
        await _news_answers(ctx, held, token)
        return Verdict.informational(f"no max-held-polls declared: {len(held)} of {PROBE_POLLS} polls held, "
                                     f"{len(early)} answered at once ({_status(early[0]) if early else '-'})")
    if early:
        raise CaseFailed([f"{limit} polls held (the declared max-held-polls)"],
                         f"{len(early)} of them answered at once: {_status(early[0])}")
    extra = await ctx.start_poll(cursor)
    within = 0.9 * ctx.hold
    await extra.wait(lambda: extra.done, ctx.left(max(0.0, extra.sent_at + within - _now())))
    if not extra.done:
        raise CaseFailed([f"poll {limit + 1} answered or refused within {within:.2f} s"],
                         f"no answer after {_now() - extra.sent_at:.2f} s: queued behind the held polls")
    took = extra.last_arrival - extra.sent_at
    await _news_answers(ctx, held, token)
    return Verdict(actual=f"poll {limit + 1} answered {_status(extra)} after {took:.3f} s; the {limit} held "
                          "polls answered with the news")


@G.case("vanished-poller-freed", exclusive=True, level=STRICT, timeout=20.0,
        desc="Holds as many polls as the declared max-held-polls (else one), resets their connections "
             "(TCP RST), then holds as many again",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a client "
                    "that vanishes mid-hold frees its place before its hold would have ended (within 90% "
                    "of the hold timeout after the reset): as many new polls are held again, and answered "
                    "with the next message.",
        quote=_RESOURCES)
async def vanished_poller_freed(ctx: PollContext) -> Verdict:
    token = ctx.token()
    limit = _limit(ctx)
    count = limit or 1
    cursor = await ctx.cursor_after(token)
    gone = await _hold(ctx, cursor, count)
    early = await _early(ctx, gone)
    if early:
        raise CaseFailed([f"{count} polls held"], f"{len(early)} answered at once: {_status(early[0])}")
    for ex in gone:
        ex.reset()
    held, took = await _hold_again(ctx, cursor, count, 0.9 * ctx.hold)
    await _news_answers(ctx, held, token)
    return Verdict(actual=f"{count} place(s) held again by polls sent {took:.3f} s after the reset, answered "
                          "with the news")


@G.case("blackholed-poller-freed", exclusive=True, level=STRICT, timeout=30.0,
        desc="Holds as many polls as the declared max-held-polls (else one) through a relay, then the "
             "relay goes silent both ways (no FIN, no RST: a vanished network); then holds as many "
             "again directly",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a client "
                    "whose network vanished mid-hold frees its place at the latest when its hold ends: as "
                    "many new polls are held again within 1.5 x the hold timeout + 1 s, and answered with "
                    "the next message.",
        quote=_RESOURCES)
async def blackholed_poller_freed(ctx: PollContext) -> Verdict:
    token = ctx.token()
    count = _limit(ctx) or 1
    cursor = await ctx.cursor_after(token)
    async with Relay(ctx.endpoint.host, ctx.endpoint.port) as relay:
        via = ctx.endpoint.with_options(host=relay.host, port=relay.port)
        gone = list(await asyncio.gather(*(ctx.start_poll(cursor, endpoint=via) for _ in range(count))))
        if not await relay.wait_connections(count, ctx.left(5.0)):
            connected = sum(c.upstream_connected for c in relay.connections)
            raise CaseFailed([f"{count} connections through the relay"],
                             f"{connected} connected to the target")
        early = await _early(ctx, gone)
        if early:
            raise CaseFailed([f"{count} polls held through the relay"],
                             f"{len(early)} answered at once: {_status(early[0])}")
        relay.blackhole()
        held, took = await _hold_again(ctx, cursor, count, 1.5 * ctx.hold + 1.0)
        await _news_answers(ctx, held, token)
    return Verdict(actual=f"{count} place(s) held again by polls sent {took:.2f} s after the network "
                          f"vanished (hold timeout {ctx.hold:g} s), answered with the news")


async def _hold_again(ctx: PollContext, cursor: int, count: int,
                      within: float) -> tuple[list[HttpExchange], float]:
    """``count`` polls held at once; the refused ones are sent again (one at a time until one is held) while
    less than ``within`` seconds have passed. Returns the held polls and when (seconds from now) the last
    of them was sent."""
    since = _now()
    until = since + within
    held: list[HttpExchange] = []
    batch = count
    while True:
        sent = _now()
        fresh = await _hold(ctx, cursor, batch)
        refused = await _early(ctx, fresh)
        held += [p for p in fresh if not p.done]
        if len(held) == count:
            return held, sent - since
        if _now() + RETRY_PAUSE >= until or ctx.left() <= RETRY_PAUSE:
            raise CaseFailed([f"{count} polls held again within {within:.2f} s"],
                             f"{len(held)} held; the others still answered at once: {_status(refused[0])}")
        # While polls are refused, one probe at a time (not a flood of refusals); all the rest once held.
        batch = 1 if refused else count - len(held)
        await asyncio.sleep(RETRY_PAUSE)
