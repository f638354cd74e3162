"""Interpreting an event stream (WHATWG HTML §9.2.6): line ends, the BOM, fields, dispatch.

Each case serves one stream and compares the events the client printed with the ones the standard's
steps dispatch. The dispatch steps quoted are the standard's steps "for web browsers"; other user agents'
dispatch is "implementation dependent" (docs/client-mode-sse.md says how those clients' results read).
"""

from __future__ import annotations

import asyncio

from conformance.catalog.sseclient.context import END, ClientCase, Printed
from conformance.catalog.sseclient.flows import RECONNECT_WAIT, expect_events, stream_events
from conformance.model import MUST, CaseFailed, Verdict, group

G = group("sseclient", "9.2.6", "Interpreting an event stream")

#: Parsing cases finish in milliseconds for a client that passes; the time is for the client to start.
PARSE_TIMEOUT = 10.0

Q_LINES = "Lines must be processed, in the order they are received, as follows:"
Q_LINE_ENDS = ("The stream must then be parsed by reading everything line by line, with a U+000D CARRIAGE "
               "RETURN U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character not "
               "preceded by a U+000D CARRIAGE RETURN (CR) character, and a single U+000D CARRIAGE RETURN "
               "(CR) character not followed by a U+000A LINE FEED (LF) character being the ways in which a "
               "line can end.")
Q_BOM = ("Streams must be decoded using the UTF-8 decode algorithm. The UTF-8 decode algorithm strips one "
         "leading UTF-8 Byte Order Mark (BOM), if any.")
Q_FIELDS = ("The steps to process the field given a field name and a field value depend on the field name, "
            "as given in the following list. Field names must be compared literally, with no case folding "
            "performed.")
Q_DISPATCH = ("When the user agent is required to dispatch the event, the user agent must process the data "
              "buffer, the event type buffer, and the last event ID buffer using steps appropriate for the "
              "user agent. For web browsers, the appropriate steps to dispatch the event are as follows:")
Q_COLON = ("If the line contains a U+003A COLON character (:) Collect the characters on the line before the "
           "first U+003A COLON character (:), and let field be that string.")


def _message(data: str, last_event_id: str = "") -> tuple[str, str, str]:
    return ("message", data, last_event_id)


# -- line ends -----------------------------------------------------------------------------------------

@G.case("line-end-lf", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves two events whose lines end with LF",
        requirement="The client MUST end lines at LF: two message events, 'one' and 'two'.",
        quote=Q_LINE_ENDS)
async def line_end_lf(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data: one\n\ndata: two\n\n"), [_message("one"), _message("two")])
    return Verdict(actual="two message events")


@G.case("line-end-cr", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves two events whose lines end with a lone CR",
        requirement="The client MUST end lines at a CR not followed by LF: two message events.",
        quote=Q_LINE_ENDS)
async def line_end_cr(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data: one\r\rdata: two\r\r"), [_message("one"), _message("two")])
    return Verdict(actual="two message events")


@G.case("line-end-crlf", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves two events whose lines end with CRLF",
        requirement="The client MUST end lines at CRLF (one line end, not two): two message events.",
        quote=Q_LINE_ENDS)
async def line_end_crlf(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data: one\r\n\r\ndata: two\r\n\r\n"),
                  [_message("one"), _message("two")])
    return Verdict(actual="two message events")


@G.case("line-end-mixed", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data: a' CRLF 'data: b' CR 'data: c' LF CRLF 'data: d' LF CR",
        requirement="The client MUST read CRLF, CR and LF line ends mixed in one stream: 'a\\nb\\nc', "
                    "then 'd'.",
        quote=Q_LINE_ENDS)
async def line_end_mixed(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\r"),
                  [_message("a\nb\nc"), _message("d")])
    return Verdict(actual="two message events")


@G.case("line-end-crlf-split", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data: a' CR in one chunk and LF 'data: b' CRLF CRLF in the next, 50 ms later",
        requirement="The client MUST read a CRLF split across two reads as one line end: one event 'a\\nb' "
                    "(a CR that ends a read, then an LF, is not an empty line).",
        quote=Q_LINE_ENDS)
async def line_end_crlf_split(ctx: ClientCase) -> Verdict:
    incoming = await ctx.accept()
    await ctx.stream(incoming, b"data: a\r")
    await asyncio.sleep(0.05)  # the stimulus: the CRLF arrives in two TCP segments
    await incoming.send(b"\ndata: b\r\n\r\n")
    await incoming.send(END)
    expect_events(await ctx.events_until_end(), [_message("a\nb")])
    return Verdict(actual="one message event 'a\\nb'")


async def _in_pieces(ctx: ClientCase, *pieces: bytes) -> list[Printed]:
    """Serve ``pieces`` as separate chunks, 50 ms apart (each arrives in its own read), then END."""
    incoming = await ctx.accept()
    await ctx.stream(incoming)
    for piece in pieces:
        await incoming.send(piece)
        await asyncio.sleep(0.05)  # the stimulus: one TCP segment per piece
    await incoming.send(END)
    return await ctx.events_until_end()


@G.case("line-split-across-reads", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'da', 'ta: a', 'b' LF, LF as four chunks 50 ms apart",
        requirement="The client MUST read a line that spans several reads as one line: one event 'ab'.",
        quote=Q_LINE_ENDS)
async def line_split_across_reads(ctx: ClientCase) -> Verdict:
    expect_events(await _in_pieces(ctx, b"da", b"ta: a", b"b\n", b"\n"), [_message("ab")])
    return Verdict(actual="one message event 'ab'")


# -- decoding --------------------------------------------------------------------------------------------

@G.case("utf8-split-across-reads", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data: ' and the first byte of '\u00e9' in one chunk, its second byte and LF LF in the "
             "next, 50 ms later",
        requirement="The client MUST decode the stream, not each read, as UTF-8: one event '\u00e9'.",
        quote="Streams must be decoded using the UTF-8 decode algorithm.")
async def utf8_split_across_reads(ctx: ClientCase) -> Verdict:
    expect_events(await _in_pieces(ctx, b"data: \xc3", b"\xa9\n\n"), [_message("\u00e9")])
    return Verdict(actual="one message event '\u00e9'")


@G.case("invalid-utf8-replaced", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data: a', a byte 0xFF, 'b' in one event",
        requirement="The client MUST decode as UTF-8 decode does: the invalid byte becomes U+FFFD, the "
                    "event is 'a\ufffdb' (not dropped, not cut).",
        quote="Streams must be decoded using the UTF-8 decode algorithm.")
async def invalid_utf8_replaced(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data: a\xffb\n\n"), [_message("a\ufffdb")])
    return Verdict(actual="one message event 'a\ufffdb'")


# -- the byte order mark ---------------------------------------------------------------------------------

@G.case("bom-leading-stripped", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves a stream that starts with a UTF-8 BOM, then 'data: a'",
        requirement="The client MUST strip the leading BOM: the field is 'data', one message event 'a'.",
        quote=Q_BOM)
async def bom_leading_stripped(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"\xef\xbb\xbf", b"data: a\n\n"), [_message("a")])
    return Verdict(actual="one message event 'a'")


@G.case("bom-stripped-once", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves two BOMs then 'data: x', then 'data: a', then a BOM before 'data: b', then 'data: c'",
        requirement="The client MUST strip one leading BOM only: a second BOM, or one at a later line's "
                    "start, is part of the field name, which then is not 'data': events 'a' and 'c' only.",
        quote=Q_BOM)
async def bom_stripped_once(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: a\n\n"
                                           b"\xef\xbb\xbfdata: b\n\ndata: c\n\n"),
                  [_message("a"), _message("c")])
    return Verdict(actual="events 'a' and 'c'")


# -- fields ----------------------------------------------------------------------------------------------

@G.case("field-without-colon", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data' alone, a blank line, then 'data' twice and a blank line",
        requirement="The client MUST take a line without a colon as a field name with an empty value: an "
                    "event with data '' and one with data '\\n'.",
        quote=f"{Q_LINES} ... Otherwise, the string is not empty but does not contain a U+003A COLON "
              "character (:) Process the field using the steps described below, using the whole line as the "
              "field name, and the empty string as the field value.")
async def field_without_colon(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data\n\ndata\ndata\n\n"), [_message(""), _message("\n")])
    return Verdict(actual="events '' and '\\n'")


@G.case("event-without-colon", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'event: add', then 'event' alone, then 'data: x' and a blank line",
        requirement="The client MUST take 'event' without a colon as an empty event type: a 'message' event.",
        quote=f"{Q_LINES} ... Otherwise, the string is not empty but does not contain a U+003A COLON "
              "character (:) Process the field using the steps described below, using the whole line as the "
              "field name, and the empty string as the field value.")
async def event_without_colon(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"event: add\nevent\ndata: x\n\n"), [_message("x")])
    return Verdict(actual="one message event 'x'")


@G.case("space-after-colon-once", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data:a', 'data: a' and 'data:  a' (two spaces), each as its own event",
        requirement="The client MUST remove one space after the colon, no more: 'a', 'a', ' a'.",
        quote=f"{Q_LINES} ... Collect the characters on the line after the first U+003A COLON character (:), "
              "and let value be that string. If value starts with a U+0020 SPACE character, remove it from "
              "value.")
async def space_after_colon_once(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data:a\n\ndata: a\n\ndata:  a\n\n"),
                  [_message("a"), _message("a"), _message(" a")])
    return Verdict(actual="'a', 'a', ' a'")


@G.case("value-after-first-colon", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data: a: b:c'",
        requirement="The client MUST split the line at the first colon only: data 'a: b:c'.",
        quote=f"{Q_LINES} ... {Q_COLON}")
async def value_after_first_colon(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data: a: b:c\n\n"), [_message("a: b:c")])
    return Verdict(actual="one message event 'a: b:c'")


@G.case("unknown-field-ignored", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'foo: bar', 'data: x', 'dat: y', 'retr: 1' in one event",
        requirement="The client MUST ignore fields it does not know: one event 'x'.",
        quote=f"{Q_FIELDS} ... Otherwise The field is ignored.")
async def unknown_field_ignored(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"foo: bar\ndata: x\ndat: y\nretr: 1\n\n"), [_message("x")])
    return Verdict(actual="one message event 'x'")


@G.case("field-names-case-sensitive", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'Data: no', 'DATA: no', 'data: yes', 'Event: add', 'ID: 3' in one event",
        requirement="The client MUST compare field names literally: one 'message' event 'yes', id ''.",
        quote=Q_FIELDS)
async def field_names_case_sensitive(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"Data: no\nDATA: no\ndata: yes\nEvent: add\nID: 3\n\n"),
                  [_message("yes")])
    return Verdict(actual="one message event 'yes'")


@G.case("comment-ignored", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves ': hello', 'data: x', ':data: y' in one event, then a block of one comment",
        requirement="The client MUST ignore lines starting with a colon: one event 'x'; the comment-only "
                    "block dispatches nothing.",
        quote=f"{Q_LINES} ... If the line starts with a U+003A COLON character (:) Ignore the line.")
async def comment_ignored(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b": hello\ndata: x\n:data: y\n\n: only a comment\n\n"),
                  [_message("x")])
    return Verdict(actual="one message event 'x'")


# -- data ------------------------------------------------------------------------------------------------

@G.case("data-lines-joined-lf", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data: a', 'data: b', 'data: c' in one event",
        requirement="The client MUST join data lines with LF: one event 'a\\nb\\nc'.",
        quote=f"{Q_FIELDS} ... If the field name is \"data\" Append the field value to the data buffer, then "
              "append a single U+000A LINE FEED (LF) character to the data buffer.")
async def data_lines_joined_lf(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data: a\ndata: b\ndata: c\n\n"), [_message("a\nb\nc")])
    return Verdict(actual="one message event 'a\\nb\\nc'")


@G.case("trailing-lf-removed-once", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'data: a' then an empty 'data:' in one event",
        requirement="The client MUST remove only the last LF of the data buffer: one event 'a\\n'.",
        quote=f"{Q_DISPATCH} ... If the data buffer's last character is a U+000A LINE FEED (LF) character, "
              "then remove the last character from the data buffer.")
async def trailing_lf_removed_once(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"data: a\ndata:\n\n"), [_message("a\n")])
    return Verdict(actual="one message event 'a\\n'")


@G.case("empty-data-not-dispatched", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves blocks without data ('id: 5'; blank lines; a comment), then 'data: x'",
        requirement="The client MUST NOT dispatch an event whose data buffer is empty: one event 'x' "
                    "(with lastEventId '5').",
        quote=f"{Q_DISPATCH} ... If the data buffer is an empty string, set the data buffer and the event "
              "type buffer to the empty string and return.")
async def empty_data_not_dispatched(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"id: 5\n\n\n\n: c\n\ndata: x\n\n"), [_message("x", "5")])
    return Verdict(actual="one message event 'x'")


# -- event types -----------------------------------------------------------------------------------------

@G.case("event-type-named", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'event: add' with 'data: 1', then 'event: remove' with 'data: 2'",
        requirement="The client MUST give the event the type the stream names: 'add' then 'remove'.",
        quote=f"{Q_DISPATCH} ... If the event type buffer has a value other than the empty string, change "
              "the type of the newly created event to equal the value of the event type buffer.")
async def event_type_named(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"event: add\ndata: 1\n\nevent: remove\ndata: 2\n\n"),
                  [("add", "1", ""), ("remove", "2", "")])
    return Verdict(actual="'add' then 'remove'")


@G.case("event-type-last-wins", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'event: add', 'event: remove' and 'data: x' in one event",
        requirement="The client MUST take the last event field: one 'remove' event 'x'.",
        quote=f"{Q_FIELDS} ... If the field name is \"event\" Set the event type buffer to the field value.")
async def event_type_last_wins(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"event: add\nevent: remove\ndata: x\n\n"), [("remove", "x", "")])
    return Verdict(actual="one 'remove' event 'x'")


@G.case("event-type-reset-after-dispatch", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'event: add' with 'data: 1', then 'data: 2' without an event field",
        requirement="The client MUST reset the event type after a dispatch: 'add', then 'message'.",
        quote=f"{Q_DISPATCH} ... Set the data buffer and the event type buffer to the empty string.")
async def event_type_reset_after_dispatch(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"event: add\ndata: 1\n\ndata: 2\n\n"),
                  [("add", "1", ""), _message("2")])
    return Verdict(actual="'add' then 'message'")


@G.case("event-type-reset-without-data", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'event: add' alone in a block, then 'data: x'",
        requirement="The client MUST reset the event type when a block without data ends: one 'message' "
                    "event 'x'.",
        quote=f"{Q_DISPATCH} ... If the data buffer is an empty string, set the data buffer and the event "
              "type buffer to the empty string and return.")
async def event_type_reset_without_data(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"event: add\n\ndata: x\n\n"), [_message("x")])
    return Verdict(actual="one message event 'x'")


@G.case("event-type-empty-is-message", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'event:' with an empty value and 'data: x'",
        requirement="The client MUST dispatch an event with an empty type as 'message'.",
        quote=f"{Q_DISPATCH} ... Initialize event's type attribute to \"message\"")
async def event_type_empty_is_message(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"event:\ndata: x\n\n"), [_message("x")])
    return Verdict(actual="one message event 'x'")


# -- ids -------------------------------------------------------------------------------------------------

@G.case("id-persists", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'id: 7' with 'data: a', then 'data: b' without an id",
        requirement="The client MUST keep the last event ID across events: both events have lastEventId '7'.",
        quote=f"{Q_DISPATCH} Set the last event ID string of the event source to the value of the last event "
              "ID buffer. The buffer does not get reset, so the last event ID string of the event source "
              "remains set to this value until the next time it is set by the server.")
async def id_persists(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"id: 7\ndata: a\n\ndata: b\n\n"),
                  [_message("a", "7"), _message("b", "7")])
    return Verdict(actual="both events with lastEventId '7'")


@G.case("id-without-data", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'id: 9' alone in a block, then 'data: a'",
        requirement="The client MUST set the last event ID even when the block dispatches no event: 'a' has "
                    "lastEventId '9'.",
        quote=f"{Q_DISPATCH} Set the last event ID string of the event source to the value of the last event "
              "ID buffer. ... If the data buffer is an empty string, set the data buffer and the event type "
              "buffer to the empty string and return.")
async def id_without_data(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"id: 9\n\ndata: a\n\n"), [_message("a", "9")])
    return Verdict(actual="one event 'a' with lastEventId '9'")


@G.case("id-empty-resets", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'id: 7' with 'data: a', then 'id' alone with 'data: b'",
        requirement="The client MUST set the last event ID to '' for an empty id: 'a' has '7', 'b' has ''.",
        quote=f"{Q_FIELDS} ... If the field name is \"id\" If the field value does not contain U+0000 NULL, "
              "then set the last event ID buffer to the field value.")
async def id_empty_resets(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"id: 7\ndata: a\n\nid\ndata: b\n\n"),
                  [_message("a", "7"), _message("b")])
    return Verdict(actual="'a' with '7', 'b' with ''")


@G.case("id-with-nul-ignored", level=MUST, timeout=PARSE_TIMEOUT,
        desc="Serves 'id: 1' with 'data: a', then 'id: 2' NUL '3' with 'data: b'",
        requirement="The client MUST ignore an id containing NUL: both events have lastEventId '1'.",
        quote=f"{Q_FIELDS} ... If the field name is \"id\" If the field value does not contain U+0000 NULL, "
              "then set the last event ID buffer to the field value. Otherwise, ignore the field.")
async def id_with_nul_ignored(ctx: ClientCase) -> Verdict:
    expect_events(await stream_events(ctx, b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"),
                  [_message("a", "1"), _message("b", "1")])
    return Verdict(actual="both events with lastEventId '1'")


# -- the end of the stream -------------------------------------------------------------------------------

@G.case("pending-data-discarded", level=MUST, timeout=PARSE_TIMEOUT + RECONNECT_WAIT,
        desc="Serves 'retry: 50', event 'a', then 'data: partial' without a blank line, and ends the stream; "
             "on a reconnection serves a blank line first",
        requirement="The client MUST discard the incomplete event at the end of the stream: only 'a' (not "
                    "'partial', neither at the end nor after the next stream's first blank line).",
        quote="Once the end of the file is reached, any pending data must be discarded. (If the file ends in "
              "the middle of an event, before the final empty line, the incomplete event is not dispatched.)")
async def pending_data_discarded(ctx: ClientCase) -> Verdict:
    incoming = await ctx.accept()
    await ctx.stream(incoming, b"retry: 50\ndata: a\n\ndata: partial\n", end=True)
    again = await ctx.reconnection(RECONNECT_WAIT)
    if again is None:  # a client that does not reconnect: judge what it printed by then
        got = await ctx.printed_after(1.0, 2)
        expect_events(got, [_message("a")])
        return Verdict(actual="only 'a' (the client did not reconnect)")
    await ctx.stream(again, b"\n", END)
    got = await ctx.events_until_end()
    if len(got) > 1 and got[1].data == "partial":
        raise CaseFailed(["only 'a'"], f"'partial' dispatched (at the end of the stream or after the "
                                       f"reconnection's blank line): {got[1]}")
    expect_events(got, [_message("a")])
    return Verdict(actual="only 'a'")

