"""WHATWG HTML §9.2.3 "Processing model": the response that opens a stream."""

from __future__ import annotations

import asyncio

from conformance.catalog.sse.context import SseContext, stream_problem
from conformance.catalog.sse.verify import wait_own
from conformance.model import MUST, STRICT, CaseFailed, Verdict, group

G = group("sse", "9.2.3", "Processing model: the response")


@G.case("content-type-event-stream", level=MUST,
        desc="GET the stream URL with Accept: text/event-stream",
        requirement="The server MUST answer 200 with Content-Type text/event-stream (parameters allowed).",
        quote="if res's status is not 200, or if res's `Content-Type` is not `text/event-stream`, then "
              "fail the connection.")
async def content_type_event_stream(ctx: SseContext) -> Verdict:
    sub = await ctx.subscribe(ready=False)
    assert sub.exchange.response is not None
    problem = stream_problem(sub.exchange.response)
    if problem:
        raise CaseFailed(["200 text/event-stream"], problem)
    return Verdict(actual=f"200 {sub.exchange.response.header('content-type')}")


@G.case("request-rechunked", level=MUST,
        desc="Sends the stream request in 1-byte TCP segments, then publishes",
        requirement="The server MUST NOT depend on how the request is cut: the stream opens and delivers.",
        quote="The normal procedure for parsing an HTTP message is to read the start-line into a structure, "
              "read each header field line into a hash table by field name until the empty line, and then "
              "use the parsed data to determine if a message body is expected. ... A recipient MUST parse "
              "an HTTP message as a sequence of octets in an encoding that is a superset of US-ASCII "
              "[USASCII]. (RFC 9112 §2.2)")
async def request_rechunked(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe(chop=1)
    await ctx.publish("chopped", event=token)
    await wait_own(ctx, sub, token, 1)
    return Verdict(actual="stream opened from a 1-byte-chunked request")


@G.case("no-caching", level=STRICT, section="9.2.3",
        desc="GET the stream; read Cache-Control",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the stream"
                    " is not cacheable: Cache-Control no-cache or no-store (the quoted step is the "
                    "client's).",
        quote="Set request's cache mode to \"no-store\".")
async def no_caching(ctx: SseContext) -> Verdict:
    sub = await ctx.subscribe()
    assert sub.exchange.response is not None
    tokens = sub.exchange.response.tokens("cache-control")
    if not {"no-cache", "no-store"} & set(tokens):
        raise CaseFailed(["cache-control: no-cache or no-store"], f"cache-control {tokens or None}")
    return Verdict(actual=f"cache-control {', '.join(tokens)}")


@G.case("streamed-not-length-delimited", level=STRICT,
        desc="GET the stream; read the framing headers",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): the stream"
                    " carries no Content-Length: it is chunked or close-delimited.",
        quote="announce the connection and interpret res's body line by line.")
async def streamed_not_length_delimited(ctx: SseContext) -> Verdict:
    sub = await ctx.subscribe()
    assert sub.exchange.response is not None
    length = sub.exchange.response.header("content-length")
    if length is not None:
        raise CaseFailed(["no content-length"], f"content-length {length}")
    coding = sub.exchange.response.header("transfer-encoding") or "close-delimited"
    return Verdict(actual=f"transfer-encoding {coding}")


@G.case("event-flushed-promptly", level=STRICT,
        desc="Publishes one event and measures when a subscriber gets it",
        requirement="Recommended, not a spec requirement (the quoted text is descriptive): each event"
                    " is flushed at once (within 1 s), not buffered.",
        quote="HTTP chunking can have unexpected negative effects on the reliability of this protocol, "
              "in particular if the chunking is done by a different layer unaware of the timing "
              "requirements.")
async def event_flushed_promptly(ctx: SseContext) -> Verdict:
    token = ctx.token()
    sub = await ctx.subscribe()
    start = asyncio.get_running_loop().time()
    await ctx.publish("flush", event=token)
    await wait_own(ctx, sub, token, 1)
    arrived = next(t for t, n_events, _ in sub.arrivals if any(
        e.type == token for e in sub.events[:n_events]))
    delay = arrived - start
    if delay > 1.0:  # a SHOULD: failing it fails the run only with --fail-on should
        raise CaseFailed(["event within 1 s"], f"event after {delay:.2f} s")
    return Verdict(actual=f"event after {delay:.3f} s")


@G.case("content-coding", level=STRICT,
        desc="GET the stream with Accept-Encoding: gzip",
        requirement="Recorded, not judged: a content coding is fine only if flushed per event.",
        quote="HTTP chunking can have unexpected negative effects on the reliability of this protocol.")
async def content_coding(ctx: SseContext) -> Verdict:
    sub = await ctx.subscribe([("Accept-Encoding", "gzip")])
    assert sub.exchange.response is not None
    return Verdict.informational(f"content-encoding {sub.exchange.response.header('content-encoding')}")
