"""RFC 6202 §5.1, §5.2 (connections), §3.2 (framing) and §6 (security): held polls in company."""

from __future__ import annotations

import asyncio
import contextlib

from conformance.catalog.poll.context import PollContext
from conformance.model import MUST, SHOULD, STRICT, CaseFailed, Skip, Verdict, group

G = group("poll", "5", "HTTP best practices")


@G.case("publish-while-held", exclusive=True, level=STRICT, section="5.2",
        desc="Holds a poll on one connection and publishes on another",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a request "
                    "on another connection is served at once while a poll is held, and the held poll "
                    "answered with the message.",
        quote="The server defers its response until an update is available or until a particular status "
              "or timeout has occurred (RFC 6202 §2.1).")
async def publish_while_held(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    ex = await ctx.start_poll(cursor)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await ctx.publish(token + "-p")
    took = loop.time() - t0
    poll = await ctx.finish(ex)
    if took > 2.0:
        raise CaseFailed(["the publish answered within 2 s"], f"it took {took:.2f} s")
    if token + "-p" not in poll.own(token) and poll.answer.messages == ():
        raise CaseFailed(["the held poll answered with the message"], "answered empty")
    return Verdict(actual=f"publish took {took:.3f} s; poll answered after {poll.held:.2f} s")


@G.case("duplicate-poll-released", exclusive=True, level=SHOULD, section="5.1",
        desc="Two concurrent polls with the same client=ID",
        requirement="The server SHOULD NOT hold both: it answers the older one when the newer one "
                    "comes, before the older one's hold timer could fire (within 90% of the hold timeout).",
        quote="Servers SHOULD use cookies to detect multiple long poll requests from the same browser and "
              "avoid deferring both requests (RFC 6202 §5.1).")
async def duplicate_poll_released(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    first = await ctx.start_poll(cursor, extra=f"client={token}")
    await first.wait(lambda: first.done, min(0.1, 0.1 * ctx.hold))
    if first.done:
        return Verdict(actual="the first poll was answered before the second (news arrived)")
    await ctx.start_poll(cursor, extra=f"client={token}")
    # Released, not answered by its own hold timer: a timer cannot fire before the hold timeout after the
    # send (the target got the request later), 10% below it allows for coarse timers.
    within = 0.9 * ctx.hold
    await first.wait(lambda: first.done, ctx.left(max(0.0, first.sent_at + within - _now())))
    if not first.done or first.last_arrival - first.sent_at >= within:
        raise CaseFailed([f"the older poll answered within {within:.2f} s of being sent"], "both polls held")
    return Verdict(actual=f"the older poll was released after {first.last_arrival - first.sent_at:.2f} s")


def _now() -> float:
    """The event loop's clock (the one ``sent_at`` and ``last_arrival`` use)."""
    return asyncio.get_running_loop().time()


@G.case("request-rechunked", exclusive=True, level=MUST, section="3.2",
        desc="Sends the poll request in 1-byte TCP segments",
        requirement="The server MUST NOT depend on how the request is cut: the answer is the same.",
        quote="The normal procedure for parsing an HTTP message is to read the start-line into a structure, "
              "read each header field line into a hash table by field name until the empty line, and then "
              "use the parsed data to determine if a message body is expected. ... A recipient MUST parse "
              "an HTTP message as a sequence of octets in an encoding that is a superset of US-ASCII "
              "[USASCII]. (RFC 9112 §2.2)")
async def request_rechunked(ctx: PollContext) -> Verdict:
    token = ctx.token()
    cursor = await ctx.cursor_after(token)
    await ctx.publish(token + "-c")
    poll = await ctx.poll(cursor, chop=1)
    if token + "-c" not in poll.own(token):
        raise CaseFailed(["the message"], f"{poll.own(token)}")
    return Verdict(actual="same answer with a 1-byte-chunked request")


@G.case("malformed-cursor-400", exclusive=True, level=STRICT, section="6",
        desc="Publishes a message (so one is retained), then polls with cursor=abc",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): a "
                    "malformed request is refused with 400 (not held, not a crash); the quoted text "
                    "defines 400, it does not require it.",
        quote="The 400 (Bad Request) status code indicates that the server cannot or will not process the "
              "request due to something that is perceived to be a client error (RFC 9110 §15.5.1).")
async def malformed_cursor_400(ctx: PollContext) -> Verdict:
    # A message retained first, so the answer does not depend on whether other runs published before.
    with contextlib.suppress(Skip):
        await ctx.publish(ctx.token() + "-retained")
    response, _ = await ctx.request("GET", ctx.resource(None, "cursor=abc"), timeout=5.0)
    if response.status != 400:
        raise CaseFailed(["400"], f"status {response.status} {response.reason}")
    return Verdict(actual="400")


@G.case("oversized-publish-refused", exclusive=True, level=STRICT, section="6", timeout=20.0,
        desc="Publishes an 8 MiB body",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the server"
                    " bounds what it accepts: 413 (or another 4xx).",
        quote="The 413 (Content Too Large) status code indicates that the server is refusing to process a "
              "request because the request content is larger than the server is willing or able to process "
              "(RFC 9110 §15.5.14).")
async def oversized_publish_refused(ctx: PollContext) -> Verdict:
    ep = ctx.publish_endpoint()
    try:
        response, _ = await ctx.request("POST", ep.resource, body=b"x" * (8 << 20), endpoint=ep, timeout=10.0)
    except (ConnectionError, asyncio.IncompleteReadError):
        return Verdict(actual="connection closed during the upload")
    except CaseFailed as exc:  # refused mid-upload: the answer may be lost to the reset
        if "reset" not in exc.actual and "pipe" not in exc.actual.lower():
            raise
        return Verdict(actual=f"connection closed during the upload: {exc.actual}")
    if not 400 <= response.status < 500:
        raise CaseFailed(["413 or another 4xx"], f"status {response.status} {response.reason}")
    return Verdict(actual=f"{response.status} {response.reason}")
