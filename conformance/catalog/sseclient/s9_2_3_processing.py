"""The processing model (WHATWG HTML §9.2.2-§9.2.4): reconnecting, the reconnection time, Last-Event-ID,
failing the connection, redirects and CORS.

Reconnection cases first serve ``retry: 50`` so the client's reconnection time is short and known
(:data:`~conformance.catalog.sseclient.flows.PRIME`); a client that does not reconnect at all fails
``reconnect-after-end`` and skips the cases that need a reconnection to judge anything. Times are judged
one-sided, with room (:mod:`conformance.catalog.sseclient.flows`).
"""

from __future__ import annotations

from conformance.catalog.sseclient.context import END, ClientCase
from conformance.catalog.sseclient.flows import (
    RECONNECT_WAIT,
    expect_events,
    primed_reconnection,
    quiet_window,
    watch_quiet,
)
from conformance.catalog.sseclient.s9_2_6_interpretation import Q_FIELDS
from conformance.model import MUST, CaseFailed, Skip, Verdict, group

G = group("sseclient", "9.2.3", "Processing model")

#: Reconnection cases: the first stream, a reconnection (at most RECONNECT_WAIT) and a watched window.
RECONNECT_TIMEOUT = 15.0
#: Cases that watch a first answer for events that must not come (seconds).
LEAK_WINDOW = 1.0

Q_CTOR = "The EventSource(url, eventSourceInitDict) constructor, when invoked, must run these steps:"
Q_REESTABLISH = ("When a user agent is to reestablish the connection, the user agent must run the following "
                 "steps.")
Q_FAIL = (f"{Q_CTOR} ... Otherwise, if res's status is not 200, or if res's `Content-Type` is not "
          "`text/event-stream`, then fail the connection. ... When a user agent is to fail the connection, "
          "the user agent must queue a task which, if the readyState attribute is set to a value other than "
          "CLOSED, sets the readyState attribute to CLOSED and fires an event named error at the EventSource "
          "object. Once the user agent has failed the connection, it does not attempt to reconnect.")
Q_LAST_EVENT_ID = (f"{Q_REESTABLISH} ... If the EventSource object's last event ID string is not the empty "
                   "string: Let lastEventIDValue be the EventSource object's last event ID string, encoded "
                   "as "
                   "UTF-8. Set (`Last-Event-ID`, lastEventIDValue) in request's header list.")
LEAK = b"data: leaked\n\n"


# -- reconnecting ----------------------------------------------------------------------------------------

@G.case("reconnect-after-end", level=MUST, timeout=RECONNECT_TIMEOUT,
        desc="Serves 'retry: 50' and event 'a', ends the stream; serves event 'b' on the reconnection",
        requirement=f"The client MUST reconnect when the stream ends (within {RECONNECT_WAIT:.0f} s of a "
                    "50 ms reconnection time) and read the new stream: events 'a' then 'b'.",
        quote=f"{Q_CTOR} ... Let processEventSourceEndOfBody given response res be the following step: if "
              "res "
              "is not a network error, then reestablish the connection.")
async def reconnect_after_end(ctx: ClientCase) -> Verdict:
    incoming = await ctx.accept()
    await ctx.stream(incoming, b"retry: 50\ndata: a\n\n", end=True)
    again = await ctx.accept(f"a reconnection within {RECONNECT_WAIT:.0f} s", RECONNECT_WAIT)
    await ctx.stream(again, b"data: b\n\n", END)
    expect_events(await ctx.events_until_end(), [("message", "a", ""), ("message", "b", "")])
    assert incoming.ended_at is not None
    return Verdict(actual=f"reconnected after {again.at - incoming.ended_at:.2f} s")


@G.case("retry-sets-reconnection-time", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.6",
        desc="Serves 'retry: 50' and ends the stream; on the reconnection serves 'retry: 30000' and ends it",
        requirement="The client MUST wait the reconnection time the stream set: no new connection within a "
                    "window of max(1.5 s, 3 times its first reconnection delay) after 'retry: 30000'.",
        quote=f"{Q_FIELDS} ... If the field name is \"retry\" If the field value consists of only ASCII "
              "digits, then interpret the field value as an integer in base ten, and set the event stream's "
              "reconnection time to that integer.")
async def retry_sets_reconnection_time(ctx: ClientCase) -> Verdict:
    again, delay = await primed_reconnection(ctx)
    await ctx.stream(again, b"retry: 30000\ndata: b\n\n", end=True)
    window = quiet_window(delay)
    await watch_quiet(ctx, again, window, "retry: 30000")
    return Verdict(actual=f"first reconnection after {delay:.2f} s (retry: 50); none within {window:.1f} s "
                          "of retry: 30000")


@G.case("retry-only-digits", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.6",
        desc="Sets 'retry: 30000' on the reconnection, then 'retry: 40ms', 'retry:  40', 'retry: +40', "
             "'retry: 4e1', 'retry: 40.0', 'retry: -40', and ends the stream",
        requirement="The client MUST ignore retry values that are not only ASCII digits: the reconnection "
                    "time stays 30 s, no new connection within the watched window.",
        quote=f"{Q_FIELDS} ... If the field name is \"retry\" If the field value consists of only ASCII "
              "digits, then interpret the field value as an integer in base ten, and set the event stream's "
              "reconnection time to that integer. Otherwise, ignore the field.")
async def retry_only_digits(ctx: ClientCase) -> Verdict:
    again, delay = await primed_reconnection(ctx)
    await ctx.stream(again, b"retry: 30000\n\nretry: 40ms\nretry:  40\nretry: +40\nretry: 4e1\n"
                            b"retry: 40.0\nretry: -40\n\ndata: b\n\n", end=True)
    window = quiet_window(delay)
    await watch_quiet(ctx, again, window, "the last digits-only retry was 30000")
    return Verdict(actual=f"none within {window:.1f} s")


# -- Last-Event-ID ---------------------------------------------------------------------------------------

async def _reconnection_after(ctx: ClientCase, stream: bytes, wanted: str) -> str | None:
    again, _ = await primed_reconnection(ctx, stream, required=f"a reconnection with {wanted}")
    await ctx.stream(again, END)
    return again.request.utf8_header("last-event-id")


@G.case("last-event-id-sent", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.4",
        desc="Serves 'retry: 50', 'id: 42' with event 'a', ends the stream",
        requirement="The client MUST send Last-Event-ID: 42 when it reconnects.",
        quote=Q_LAST_EVENT_ID)
async def last_event_id_sent(ctx: ClientCase) -> Verdict:
    value = await _reconnection_after(ctx, b"retry: 50\nid: 42\ndata: a\n\n", "Last-Event-ID: 42")
    if value != "42":
        raise CaseFailed(["Last-Event-ID: 42"], f"Last-Event-ID {value!r}" if value is not None else
                         "no Last-Event-ID header")
    return Verdict(actual="Last-Event-ID: 42")


@G.case("last-event-id-utf8", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.4",
        desc="Serves 'id: \u00e9\u2211-1' (UTF-8) with event 'a', ends the stream",
        requirement="The client MUST send the last event ID encoded as UTF-8 in Last-Event-ID.",
        quote=Q_LAST_EVENT_ID)
async def last_event_id_utf8(ctx: ClientCase) -> Verdict:
    value = await _reconnection_after(ctx, "retry: 50\nid: \u00e9\u2211-1\ndata: a\n\n".encode(),
                                     "Last-Event-ID: \u00e9\u2211-1 in UTF-8")
    if value != "\u00e9\u2211-1":
        raise CaseFailed(["Last-Event-ID: \u00e9\u2211-1 in UTF-8"],
                         f"Last-Event-ID {value!r} (read as UTF-8)" if value is not None else
                         "no Last-Event-ID header")
    return Verdict(actual="Last-Event-ID in UTF-8")


@G.case("last-event-id-absent-when-empty", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.4",
        desc="Serves 'id: 1' with event 'a', then 'id' alone with event 'b', ends the stream",
        requirement="The client MUST NOT send Last-Event-ID when the last event ID is empty.",
        quote=Q_LAST_EVENT_ID)
async def last_event_id_absent_when_empty(ctx: ClientCase) -> Verdict:
    value = await _reconnection_after(ctx, b"retry: 50\nid: 1\ndata: a\n\nid\ndata: b\n\n",
                                     "no Last-Event-ID header")
    if value is not None:
        raise CaseFailed(["no Last-Event-ID header"], f"Last-Event-ID {value!r}")
    return Verdict(actual="no Last-Event-ID header")


# -- failing the connection ------------------------------------------------------------------------------

async def _no_reconnection_after(ctx: ClientCase, status: int, content_type: str, body: bytes, why: str
                                 ) -> Verdict:
    again, delay = await primed_reconnection(ctx)
    await again.respond(status, [("Content-Type", content_type)], body)
    window = quiet_window(delay)
    await watch_quiet(ctx, again, window, why)
    leaked = [e for e in ctx.events if e.data == "leaked"]
    if leaked:
        raise CaseFailed(["no event from that response"], f"dispatched {leaked[0]}")
    return Verdict(actual=f"no reconnection within {window:.1f} s (its first took {delay:.2f} s)")


@G.case("no-reconnect-after-204", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.2",
        desc="Ends a 'retry: 50' stream; answers the reconnection 204 No Content",
        requirement="The client MUST fail the connection on a 204 and not reconnect (watched for max(1.5 s, "
                    "3 times its first reconnection delay)).",
        quote=Q_FAIL)
async def no_reconnect_after_204(ctx: ClientCase) -> Verdict:
    return await _no_reconnection_after(ctx, 204, "text/event-stream", b"", "204 No Content")


@G.case("no-reconnect-after-500", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.2",
        desc="Ends a 'retry: 50' stream; answers the reconnection 500 with an event-stream body",
        requirement="The client MUST fail the connection on a status other than 200: no reconnection, and "
                    "no event from the 500's body.",
        quote=Q_FAIL)
async def no_reconnect_after_500(ctx: ClientCase) -> Verdict:
    return await _no_reconnection_after(ctx, 500, "text/event-stream", LEAK, "status 500")


@G.case("no-reconnect-after-wrong-type", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.2",
        desc="Ends a 'retry: 50' stream; answers the reconnection 200 text/plain with 'data: leaked'",
        requirement="The client MUST fail the connection on a Content-Type other than text/event-stream: no "
                    "reconnection, and no event from that body.",
        quote=Q_FAIL)
async def no_reconnect_after_wrong_type(ctx: ClientCase) -> Verdict:
    return await _no_reconnection_after(ctx, 200, "text/plain", LEAK, "Content-Type text/plain")


async def _nothing_dispatched_from(ctx: ClientCase, status: int, content_type: str) -> Verdict:
    incoming = await ctx.accept()
    await incoming.respond(status, [("Content-Type", content_type)], LEAK)
    got = await ctx.printed_after(LEAK_WINDOW, 1)
    if got:
        raise CaseFailed(["no event"], f"dispatched {got[0]} from a {status} {content_type} response")
    return Verdict(actual=f"no event within {LEAK_WINDOW:.0f} s")


@G.case("wrong-type-not-dispatched", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.2",
        desc="Answers the first request 200 text/plain with 'data: leaked' and a blank line",
        requirement=f"The client MUST fail the connection, not read the body: no event (watched for "
                    f"{LEAK_WINDOW:.0f} s).",
        quote=Q_FAIL)
async def wrong_type_not_dispatched(ctx: ClientCase) -> Verdict:
    return await _nothing_dispatched_from(ctx, 200, "text/plain")


@G.case("non-200-not-dispatched", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.2",
        desc="Answers the first request 500 text/event-stream with 'data: leaked' and a blank line",
        requirement=f"The client MUST fail the connection on a status other than 200, not read the body: no "
                    f"event (watched for {LEAK_WINDOW:.0f} s).",
        quote=Q_FAIL)
async def non_200_not_dispatched(ctx: ClientCase) -> Verdict:
    return await _nothing_dispatched_from(ctx, 500, "text/event-stream")


# -- redirects and CORS ----------------------------------------------------------------------------------

Q_REDIRECT = ("Event stream requests can be redirected using HTTP 301 and 307 redirects as with normal HTTP "
              f"requests. ... {Q_CTOR} ... Fetch request, with processResponseEndOfBody set to "
              "processEventSourceEndOfBody")


async def _redirected(ctx: ClientCase, status: int) -> Verdict:
    incoming = await ctx.accept()
    target = f"/moved-{status}"
    await incoming.respond(status, [("Location", target)], b"")
    moved = await ctx.accept(f"a request for {target}", RECONNECT_WAIT)
    if moved.request.target != target:
        raise CaseFailed([f"GET {target}"], f"GET {moved.request.target}")
    await ctx.stream(moved, b"data: a\n\n", END)
    expect_events(await ctx.events_until_end(), [("message", "a", "")])
    return Verdict(actual=f"followed the {status} and read the stream")


@G.case("redirect-307-followed", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.2",
        desc="Answers the first request 307 with a Location on the same server, which serves event 'a'",
        requirement="The client MUST follow the redirect (Fetch's redirect mode is \"follow\") and read the "
                    "stream it leads to.",
        quote=Q_REDIRECT)
async def redirect_307_followed(ctx: ClientCase) -> Verdict:
    return await _redirected(ctx, 307)


@G.case("redirect-301-followed", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.2",
        desc="Answers the first request 301 with a Location on the same server, which serves event 'a'",
        requirement="The client MUST follow the redirect (Fetch's redirect mode is \"follow\") and read the "
                    "stream it leads to.",
        quote=Q_REDIRECT)
async def redirect_301_followed(ctx: ClientCase) -> Verdict:
    return await _redirected(ctx, 301)


@G.case("cors-without-allow-origin", level=MUST, timeout=RECONNECT_TIMEOUT, section="9.2.2",
        desc="A client that sends Origin (a page's EventSource on another origin) gets a stream without "
             "Access-Control-Allow-Origin carrying 'data: leaked'",
        requirement="A CORS client MUST NOT expose the stream: no event (watched for 1 s). Skipped for a "
                    "client that sends no Origin (a command-line client is not a CORS client).",
        quote=f"{Q_CTOR} ... Let request be the result of creating a potential-CORS request given urlRecord, "
              "the empty string, and corsAttributeState.")
async def cors_without_allow_origin(ctx: ClientCase) -> Verdict:
    incoming = await ctx.accept()
    origin = incoming.request.header("origin")
    if origin is None:
        raise Skip("the client sent no Origin header: not a CORS client (a browser's EventSource on a page "
                   "of "
                   "another origin is one)")
    await incoming.respond(200, [("Content-Type", "text/event-stream")], LEAK + END, cors=False)
    got = await ctx.printed_after(LEAK_WINDOW, 1)
    if got:
        raise CaseFailed(["no event"], f"dispatched {got[0]} from a response without "
                                       f"Access-Control-Allow-Origin (request Origin: {origin})")
    return Verdict(actual=f"no event within {LEAK_WINDOW:.0f} s")



