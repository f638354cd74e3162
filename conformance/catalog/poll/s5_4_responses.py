"""RFC 6202 §5.4 "HTTP Responses" and §5.5 "Timeouts": what a held poll is answered with, and when."""

from __future__ import annotations

import asyncio

from conformance.catalog.poll.context import Poll, PollContext, PollUnanswered, lost
from conformance.model import STRICT, CaseFailed, Outcome, Verdict, group

G = group("poll", "5.4", "HTTP responses")

_RESPONSE = ("the server responds to a request it has successfully received by sending a 200 OK answer, but "
             "only when a particular event, status, or timeout has occurred (RFC 6202 §5.4).")
_TIMEOUT = ("Several experiments have shown success with timeouts as high as 120 seconds, but generally 30 "
            "seconds is a safer value (RFC 6202 §5.5).")


@G.case("answer-json-shape", exclusive=True, level=STRICT,
        desc="Publishes a marker and polls from cursor 0",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the server"
                    " answers 200 with {\"cursor\": M, \"messages\": [{\"id\", \"data\"}]} holding the marker"
                    " (the testee contract, docs/testee-contract.md).",
        quote=_RESPONSE)
async def answer_json_shape(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    return Verdict(actual=f"answers parse; cursor after the marker {cursor}")


@G.case("held-until-news", exclusive=True, level=STRICT,
        desc="Polls at the newest cursor, publishes 0.3 s later (or after 30% of the hold timeout)",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the poll "
                    "is held (no empty answer before 90% of the hold timeout) and answered with the new "
                    "message once it is published.",
        quote=_RESPONSE)
async def held_until_news(ctx: PollContext) -> Verdict:
    token = ctx.token()
    news = token + "-news"
    cursor = await ctx.cursor_after(token)
    loop = asyncio.get_running_loop()
    for _ in range(8):
        ex = await ctx.start_poll(cursor)
        await ex.wait(lambda ex=ex: ex.done, min(0.3, 0.3 * ctx.hold))
        if not ex.done:
            break
        early = await ctx.finish(ex)
        if not early.answer.messages:
            raise CaseFailed(["held until news or the hold timeout"],
                             f"empty answer after {early.held:.2f} s")
        cursor = early.answer.cursor  # someone else's news answered it: poll again after that
    else:
        raise CaseFailed(["a poll held while nothing is published"], "8 polls in a row answered at once")
    since = loop.time()
    await ctx.publish(news)
    first = poll = await ctx.finish(ex)
    # A hold timer cannot fire before the hold timeout (the target got the request after it was sent);
    # 10% below it allows for coarse timers.
    if not poll.answer.messages and poll.held < 0.9 * ctx.hold:
        raise CaseFailed(["held until news or the hold timeout"], f"empty answer after {poll.held:.2f} s")
    polls = 1
    while news not in poll.own(token) and polls < 8:  # answered before the publish landed: follow on
        try:
            poll = await ctx.poll(poll.answer.cursor)
        except PollUnanswered:
            break
        polls += 1
    if news not in poll.own(token):
        raise lost([news], polls, loop.time() - since)
    later = "" if polls == 1 else f"; the news came in answer {polls}"
    return Verdict(actual=f"answered after {first.held:.2f} s with {len(first.answer.messages)} "
                          f"message(s){later}")


async def _empty_answer(ctx: PollContext, token: str) -> tuple[int, Poll]:
    """Poll at the newest cursor until an answer comes back empty (others may publish meanwhile)."""
    cursor = await ctx.cursor_after(token)
    for _ in range(30):
        poll = await ctx.poll(cursor, timeout=min(ctx.left() - 1.0, 130.0))
        if not poll.answer.messages:
            return cursor, poll
        cursor = poll.answer.cursor
    raise CaseFailed(["an empty answer at the hold timeout"], "news kept arriving in 30 polls")


@G.case("timeout-answer-empty", exclusive=True, level=STRICT, section="5.5", timeout=140.0,
        desc="Polls at the newest cursor and publishes nothing",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): at the "
                    "hold timeout the target promises (--hold-timeout; not before 90% of it, not after "
                    "150% + 1 s) the server answers 200 with no messages and the same cursor.",
        quote=_TIMEOUT)
async def timeout_answer_empty(ctx: PollContext) -> Verdict:
    cursor, poll = await _empty_answer(ctx, ctx.token())
    if poll.answer.cursor != cursor:
        raise CaseFailed([f"cursor {cursor} unchanged"], f"cursor {poll.answer.cursor}")
    # The promised hold is a lower bound the target controls (its timer starts after the request was
    # sent), so only 10% below it is allowed; above it, a loaded machine adds delay: 50% + 1 s is allowed.
    low, high = 0.9 * ctx.hold, 1.5 * ctx.hold + 1.0
    if not low <= poll.held <= high:
        raise CaseFailed([f"the empty answer after the promised hold timeout of {ctx.hold:g} s "
                          f"({low:.2f} to {high:.2f} s)"], f"empty answer after {poll.held:.2f} s")
    return Verdict(actual=f"200, no messages, cursor {cursor} after {poll.held:.2f} s")


@G.case("hold-at-most-30s", exclusive=True, level=STRICT, section="5.5", timeout=140.0,
        desc="Measures how long a poll without news is held",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the hold "
                    "timeout is at most 30 s (non-strict up to 120 s).",
        quote=_TIMEOUT)
async def hold_at_most_30s(ctx: PollContext) -> Verdict:
    _, poll = await _empty_answer(ctx, ctx.token())
    if poll.held > 120.0:
        raise CaseFailed(["held at most 120 s"], f"held {poll.held:.1f} s")
    if poll.held > 30.5:
        return Verdict(behavior=Outcome.NON_STRICT, expected=("held at most 30 s",),
                       actual=f"held {poll.held:.1f} s")
    return Verdict(actual=f"held {poll.held:.2f} s")
