"""RFC 6455 §8.1 for clients: valid UTF-8 text echoed whatever the fragmentation, invalid UTF-8 failed with
1007 (Autobahn 6.2 and 6.3), and failed fast (Autobahn 6.4).

Fail-fast (6.4.1-6.4.4): the server sends a valid prefix, then the octets that make the text invalid, then
waits (:attr:`~.context.ClientCase.fail_wait`) before it sends the rest of the message. RFC 6455 makes
failing the connection a MUST but says nothing about when; failing while the message is still incomplete is
Autobahn's preference (it calls a late failure NON-STRICT), so these cases are STRICT: a client that fails
only once the message is complete fails them (and the 6.3 MUST cases still pass it).
"""

from __future__ import annotations

from conformance.catalog.ws._steps import QUIET_WAIT
from conformance.catalog.ws.ab06_utf8 import (
    HELLO_UTF8,
    OUT_OF_RANGE,
    PARTS,
    QUOTE_INVALID,
    QUOTE_VALID,
    SURROGATE,
    WHAT,
)
from conformance.catalog.wsclient import judge
from conformance.catalog.wsclient.context import ClientCase
from conformance.catalog.wsclient.peer import Closed, ServerSide
from conformance.model import MUST, STRICT, Outcome, Verdict, group
from conformance.wire.wsframes import CONT, TEXT, frame
from conformance.wire.wsrecv import CloseFrame, Message, Ping

UTF8 = group("wsclient", "8.1", "Handling Errors in UTF-8-Encoded Data")


def _send_octets(side: ServerSide, data: bytes) -> None:
    """``data`` as one text message, one octet per frame."""
    for i in range(len(data)):
        side.send(TEXT if i == 0 else CONT, data[i : i + 1], fin=i == len(data) - 1)


def _valid(slug: str, autobahn: str, octets: bool) -> None:
    how = " one octet per frame (frames end inside code points)" if octets else " in one frame"

    @UTF8.case(
        slug,
        level=MUST,
        autobahn=autobahn,
        section="5.6",
        desc=f"Sends a valid UTF-8 text message{how}",
        requirement="The client MUST receive the text message (the contract: it echoes it).",
        quote=QUOTE_VALID,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        if octets:
            _send_octets(side, HELLO_UTF8)
        else:
            side.send(TEXT, HELLO_UTF8)
        return await judge.conversation(ctx, side, [Message(HELLO_UTF8)])


def _invalid(slug: str, autobahn: str, octets: bool) -> None:
    how = ", one octet per frame" if octets else " in one frame"

    @UTF8.case(
        slug,
        level=MUST,
        autobahn=autobahn,
        desc=f"Sends a text message that is not UTF-8 (ED A0 80 after valid text){how}",
        requirement="The client MUST fail the connection: close 1007 (another code is non-strict) or "
        "TCP close, echoing nothing.",
        quote=QUOTE_INVALID,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        if octets:
            _send_octets(side, SURROGATE)
        else:
            side.send(TEXT, SURROGATE)
        return await judge.fails(ctx, side, codes=(1007,))


@UTF8.case("empty-fragments", level=MUST, autobahn="6.1.2", section="5.6",
           desc="Sends a text message in 3 empty fragments",
           requirement="The client MUST receive the empty text message (the contract: it echoes it).",
           quote=QUOTE_VALID)
async def empty_fragments(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, b"", fin=False)
    side.send(CONT, b"", fin=False)
    side.send(CONT, b"")
    return await judge.conversation(ctx, side, [Message(b"")])


@UTF8.case("empty-first-and-last-fragment", level=MUST, autobahn="6.1.3", section="5.6",
           desc="Sends a text message in 3 fragments, the first and the last empty",
           requirement="The client MUST receive the text message (the contract: it echoes it).",
           quote=QUOTE_VALID)
async def empty_first_and_last_fragment(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, b"", fin=False)
    side.send(CONT, b"middle", fin=False)
    side.send(CONT, b"")
    return await judge.conversation(ctx, side, [Message(b"middle")])


@UTF8.case("utf8-split-at-code-point", level=MUST, autobahn="6.2.2", section="5.6",
           desc="Sends a valid UTF-8 text message in 2 fragments split at a code point boundary",
           requirement="The client MUST receive the text message (the contract: it echoes it).",
           quote=QUOTE_VALID)
async def utf8_split_at_code_point(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, HELLO_UTF8[:11], fin=False)  # after "ß": a code point boundary
    side.send(CONT, HELLO_UTF8[11:])
    return await judge.conversation(ctx, side, [Message(HELLO_UTF8)])


_valid("valid-utf8-text", "6.2.1", octets=False)
_valid("valid-utf8-octet-fragments", "6.2.3", octets=True)
_invalid("invalid-utf8-text", "6.3.1", octets=False)
_invalid("invalid-utf8-octet-fragments", "6.3.2", octets=True)


async def _ended(side: ServerSide, within: float) -> CloseFrame | Closed | Message | None:
    """The close frame or TCP close that came within ``within`` seconds, or a message the client sent
    instead (it went on), or None (the connection is still open). Pings are answered and skipped."""
    end = side.window(within)
    while True:
        ev = await side.event_by(end)
        if ev is None or isinstance(ev, (CloseFrame, Closed, Message)):
            return ev
        if not isinstance(ev, Ping):  # a pong nobody asked for: the client went on
            return Message(str(ev).encode())


def _shown(ended: CloseFrame | Closed) -> str:
    return str(ended) if isinstance(ended, Closed) else f"close {ended.code}"


def _fail_fast(kind: str, autobahn: str) -> None:
    chops = kind.endswith("chops")

    @UTF8.case(
        f"utf8-fail-fast-{kind}",
        level=STRICT,
        autobahn=autobahn,
        desc=f"Sends invalid UTF-8 text in {WHAT[kind]}: pauses {QUIET_WAIT:g} s after the valid part and "
             "up to the fail wait (2 s at least) after the invalid part before it sends the rest",
        requirement="Stricter than RFC 6455 (Autobahn's fail-fast preference; the RFC's MUST says nothing "
                    "of when): the client fails the connection (close 1007 or TCP close) once the invalid "
                    "octets arrive, while the message is incomplete; failing only after the rest is sent "
                    "fails here (Autobahn: NON-STRICT).",
        quote=QUOTE_INVALID,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        cut1, cut2 = PARTS[kind]
        if chops:  # one frame, its bytes cut into three writes (the header is 2 octets)
            raw = frame(TEXT, OUT_OF_RANGE, mask=False)
            parts = [raw[: 2 + cut1], raw[2 + cut1 : 2 + cut2], raw[2 + cut2 :]]
            steps = [lambda p=p, i=i: side.write(p, f"chop {i + 1} of a text frame")
                     for i, p in enumerate(parts)]
        else:
            pieces = (OUT_OF_RANGE[:cut1], OUT_OF_RANGE[cut1:cut2], OUT_OF_RANGE[cut2:])
            steps = [lambda p=p, i=i: side.send(TEXT if i == 0 else CONT, p, fin=i == 2)
                     for i, p in enumerate(pieces)]
        expected = ("close 1007 or TCP close while the message is incomplete, nothing echoed",)
        steps[0]()
        if (early := await _ended(side, QUIET_WAIT)) is not None:
            side.close_tcp()
            return Verdict(Outcome.FAILED, Outcome.FAILED, expected=expected, close_detail="FAILED",
                           actual=f"{early} after the valid prefix, before any invalid octet")
        steps[1]()
        ended = await _ended(side, ctx.fail_wait)
        if ended is None:
            steps[2]()
            late = await _ended(side, ctx.fail_wait)
            side.close_tcp()
            actual = f"no failure within {ctx.fail_wait:g}s of the invalid octets; after the rest: "
            if late is None or isinstance(late, Message):
                return Verdict(Outcome.FAILED, Outcome.FAILED, expected=expected, close_detail="FAILED",
                               actual=actual + ("still open" if late is None else f"it went on: {late}"))
            return Verdict(Outcome.FAILED, Outcome.PASSED, expected=expected,
                           actual=actual + f"{_shown(late)} (a late failure)",
                           autobahn_behavior="NON-STRICT")
        if isinstance(ended, Message):
            side.close_tcp()
            return Verdict(Outcome.FAILED, Outcome.FAILED, expected=expected, close_detail="FAILED",
                           actual=f"it went on: {ended}")
        if isinstance(ended, Closed):
            return Verdict(expected=expected, actual=f"{ended} while the message was incomplete")
        if not side.sent_close:
            side.send_close(ended.code)
        side.close_tcp()
        if ended.code == 1007:
            return Verdict(expected=expected, actual="close 1007 while the message was incomplete",
                           remote_close_code=1007)
        return Verdict(Outcome.PASSED, Outcome.NON_STRICT, expected=expected, close_detail="WRONG CODE",
                       actual=f"close {ended.code} while the message was incomplete",
                       remote_close_code=ended.code)


for _n, _kind in enumerate(PARTS, start=1):
    _fail_fast(_kind, f"6.4.{_n}")
