"""RFC 6455 §5.5.1, §7.1.1 and §7.4 for clients: answering the server's close (Autobahn 7.1, 7.3, 7.7),
failing on a malformed one (7.3.2, 7.3.6, 7.5.1, 7.9), and the TCP close after the closing handshake.

§5.5.1 makes the reply to a close a MUST and its code only what an endpoint "typically" echoes: a reply
with another code is non-strict, as in the server catalog.
"""

from __future__ import annotations

from conformance.catalog.ws.ab06_utf8 import QUOTE_INVALID
from conformance.catalog.ws.ab07_close import QUOTE_ANSWER, QUOTE_BODY, QUOTE_ECHO, QUOTE_RANGE, _bad_quote
from conformance.catalog.wsclient import judge
from conformance.catalog.wsclient.context import ClientCase
from conformance.catalog.wsclient.peer import Closed, ServerSide
from conformance.model import MUST, SHOULD, Outcome, Verdict, group
from conformance.wire.wsframes import CLOSE, CONT, TEXT, close_payload
from conformance.wire.wsrecv import CloseFrame, Message

CLOSING = group("wsclient", "5.5.1", "Close")

QUOTE_VALIDATE = "Incoming data MUST always be validated by both clients and servers."
QUOTE_CONTROL = (
    "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
)


@CLOSING.case(
    "close-after-echo",
    level=MUST,
    autobahn="7.1.1",
    desc="Sends a text message, then a close frame with 1000",
    requirement="The client MUST echo the message, then answer with a close frame (1000).",
    quote=QUOTE_ANSWER,
)
async def close_after_echo(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, b"Hello World!")
    return await judge.conversation(ctx, side, [Message(b"Hello World!")])


def _close_payload(
    slug: str,
    autobahn: str,
    payload: bytes,
    what: str,
    *,
    valid: bool,
    quote: str = QUOTE_ANSWER,
    section: str | None = None,
) -> None:
    @CLOSING.case(
        slug,
        level=MUST,
        autobahn=autobahn,
        section=section,
        desc=f"Sends a close frame with {what}",
        requirement=(
            "The client MUST answer with a close frame (1000 or the code received; another code is "
            "non-strict)."
            if valid
            else "The client MUST fail the connection: close 1002 (another code is non-strict) or TCP close."
        ),
        quote=quote,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        if valid:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            return await judge.conversation(
                ctx,
                side,
                [],
                close_code=code,
                close_reason=payload[2:],
                echo=(None, 1000, code) if code is None else (1000, code),
            )
        side.send(CLOSE, payload)
        return await judge.fails(ctx, side, bad_close=payload)


_close_payload("close-empty-payload", "7.3.1", b"", "an empty payload (no status code)", valid=True)
_close_payload(
    "close-1-byte-payload",
    "7.3.2",
    b"a",
    "a 1-octet payload (half a status code)",
    valid=False,
    quote=QUOTE_BODY + " ... " + QUOTE_VALIDATE,
)
_close_payload("close-code-only", "7.3.3", close_payload(1000), "status code 1000 and no reason", valid=True)
_close_payload(
    "close-code-and-reason",
    "7.3.4",
    close_payload(1000, "Hello World!"),
    "status code 1000 and a reason",
    valid=True,
)
_close_payload(
    "close-reason-123-bytes",
    "7.3.5",
    close_payload(1000, "*" * 123),
    "status code 1000 and a 123-octet reason (125 octets, the maximum)",
    valid=True,
)
_close_payload(
    "close-payload-126-bytes",
    "7.3.6",
    close_payload(1000, "*" * 124),
    "status code 1000 and a 124-octet reason (126 octets, over the control frame limit)",
    valid=False,
    section="5.5",
    quote=QUOTE_CONTROL,
)


@CLOSING.case(
    "close-reason-invalid-utf8",
    level=MUST,
    autobahn="7.5.1",
    section="8.1",
    desc="Sends a close frame with code 1000 and a reason that is not UTF-8 (contains ED A0 80)",
    requirement="The client MUST fail the connection: close 1002 or 1007 (another code is non-strict) or TCP "
    "close.",
    quote="the body ... MAY contain UTF-8-encoded data with value /reason/ ... " + QUOTE_INVALID,
)
async def close_reason_invalid_utf8(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(CLOSE, close_payload(1000, bytes.fromhex("cebae1bdb9cf83cebcceb5eda080") + b"edited"))
    return await judge.fails(ctx, side, codes=(1002, 1007), bad_close=close_payload(1000))


#: How long the server looks for data frames after the client's close frame before it closes TCP.
LINGER = 0.5


def _data_after_close(slug: str, autobahn: str, steps: list[tuple[int, bytes, bool]], what: str) -> None:
    @CLOSING.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Sends {what}",
        requirement="The client MUST answer the close with a close frame and send no data frame after it "
                    f"(the server looks for one during {LINGER:g}s before it closes TCP).",
        quote="The application MUST NOT send any more data frames after sending a Close frame.",
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        for op, payload, fin in steps:
            side.send(op, payload, fin=fin)
        expected = ("a close frame, then no data frame",)
        end = side.window(ctx.close_timeout)
        seen: list[str] = []
        closed: CloseFrame | None = None
        ev = await side.event_by(end)
        while ev is not None and not isinstance(ev, Closed):
            if isinstance(ev, CloseFrame) and closed is None:
                closed, end = ev, side.window(LINGER)
            elif isinstance(ev, Message):
                seen.append(f"{ev}{' after its close' if closed else ''}")
            ev = await side.event_by(end)
        side.close_tcp()
        if closed is None:
            return Verdict(Outcome.FAILED, Outcome.FAILED, expected=expected, close_detail="FAILED",
                           actual=f"no close frame ({ev or 'timeout'}); sent: {', '.join(seen) or 'nothing'}")
        if seen:
            return Verdict(Outcome.FAILED, Outcome.PASSED, expected=expected, remote_close_code=closed.code,
                           actual=f"close {closed.code}, and data: {', '.join(seen)}")
        return Verdict(expected=expected, actual=f"close {closed.code}, no data frame",
                       remote_close_code=closed.code)


_data_after_close("text-after-close", "7.1.4", [(CLOSE, close_payload(1000), True), (TEXT, b"Hello", True)],
                  "a close frame with 1000, then a text message")
_data_after_close("fragment-close-fragment", "7.1.5",
                  [(TEXT, b"fragment1", False), (CLOSE, close_payload(1000), True),
                   (CONT, b"fragment2", True)],
                  "the first fragment of a text message, a close frame with 1000, then the last fragment")

CODES = group("wsclient", "7.4.1", "Defined Status Codes")


def _valid_code(code: int, autobahn: str) -> None:
    @CODES.case(
        f"close-code-{code}",
        level=MUST,
        autobahn=autobahn,
        section="7.4.2" if code >= 3000 else "7.4.1",
        desc=f"Sends a close frame with the valid status code {code}",
        requirement=f"The client MUST answer with a close frame ({code} or 1000; another code is "
        "non-strict).",
        quote=QUOTE_ECHO + " ... " + QUOTE_RANGE[code // 1000 if code >= 3000 else 1],
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        return await judge.conversation(ctx, side, [], close_code=code, echo=(1000, code))


def _invalid_code(code: int, autobahn: str) -> None:
    @CODES.case(
        f"invalid-close-code-{code}",
        level=MUST,
        autobahn=autobahn,
        section="7.4.2" if code >= 1016 else "7.4.1",
        desc=f"Sends a close frame with the invalid status code {code}",
        requirement="The client MUST fail the connection: close 1002 (another code is non-strict) or TCP "
        "close.",
        quote=_bad_quote(code),
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        side.send(CLOSE, close_payload(code))
        return await judge.fails(ctx, side, bad_close=close_payload(code))


for _n, _code in enumerate(
    (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999), start=1
):
    _valid_code(_code, f"7.7.{_n}")
for _n, _code in enumerate((0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999), start=1):
    _invalid_code(_code, f"7.9.{_n}")

TCP = group("wsclient", "7.1.1", "Close the WebSocket Connection")

#: How long the server holds TCP open after the closing handshake before it closes its side.
HOLD = 0.5


async def _handshake_closed(ctx: ClientCase) -> tuple[Verdict | None, ServerSide]:
    """Open, let the server close with 1000 and read the client's close frame: (a verdict if that went
    wrong, the server side)."""
    side = await ctx.open()
    side.send_close(1000)
    end = side.window(ctx.close_timeout)
    while True:
        ev = await side.event_by(end)
        if isinstance(ev, CloseFrame):
            return None, side
        if ev is None or isinstance(ev, Closed):
            side.close_tcp()
            what = "no close frame" if ev is None else f"{ev} without a close frame"
            return Verdict(
                Outcome.FAILED,
                Outcome.FAILED,
                expected=(judge.ANSWER_CLOSE,),
                actual=what,
                close_detail="FAILED",
            ), side


@TCP.case(
    "waits-for-server-tcp-close",
    level=SHOULD,
    desc=f"Closes with 1000, reads the client's close frame, then holds TCP open for {HOLD:g}s",
    requirement=f"After the closing handshake the client SHOULD leave the TCP close to the server (it did "
    f"not close TCP within {HOLD:g}s).",
    quote="The underlying TCP connection, in most normal cases, SHOULD be closed first by the server, so "
    "that "
    "it holds the TIME_WAIT state and not the client",
)
async def waits_for_server_tcp_close(ctx: ClientCase) -> Verdict:
    failed, side = await _handshake_closed(ctx)
    if failed is not None:
        return failed
    end = side.window(HOLD)
    ev = await side.event_by(end)
    while ev is not None and not isinstance(ev, Closed):
        ev = await side.event_by(end)
    side.close_tcp()
    if isinstance(ev, Closed):
        return Verdict(
            Outcome.FAILED,
            Outcome.PASSED,
            expected=("TCP still open until the server closes it",),
            actual=f"the client closed TCP first, within {HOLD:g}s of the closing handshake",
        )
    return Verdict(
        expected=("TCP still open until the server closes it",),
        actual=f"TCP still open {HOLD:g}s after the closing handshake; the server closed it",
    )


@TCP.case(
    "closes-tcp-after-handshake",
    level=MUST,
    section="5.5.1",
    desc="Closes with 1000, reads the client's close frame, then shuts down its sending side of TCP",
    requirement="After sending and receiving a close frame the client MUST close TCP (the server sees the "
    "end "
    "of the stream).",
    quote="After both sending and receiving a Close message, an endpoint considers the WebSocket connection "
    "closed and MUST close the underlying TCP connection.",
)
async def closes_tcp_after_handshake(ctx: ClientCase) -> Verdict:
    failed, side = await _handshake_closed(ctx)
    if failed is not None:
        return failed
    side.half_close()
    end = side.window(ctx.fail_wait)
    ev = await side.event_by(end)
    while ev is not None and not isinstance(ev, Closed):
        ev = await side.event_by(end)
    side.close_tcp()
    expected = ("the client closes TCP after the closing handshake",)
    if ev is None:
        return Verdict(
            Outcome.PASSED,
            Outcome.FAILED,
            expected=expected,
            close_detail="FAILED",
            actual=f"TCP still open {ctx.fail_wait:g}s after the closing handshake and the server's FIN",
        )
    return Verdict(expected=expected, actual=str(ev))
