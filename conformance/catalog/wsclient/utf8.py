"""RFC 6455 §8.1 for clients: valid UTF-8 text echoed whatever the fragmentation, invalid UTF-8 failed with
1007 (Autobahn 6.2 and 6.3)."""

from __future__ import annotations

from conformance.catalog.ws.ab06_utf8 import HELLO_UTF8, QUOTE_INVALID, QUOTE_VALID, SURROGATE
from conformance.catalog.wsclient import judge
from conformance.catalog.wsclient.context import ClientCase
from conformance.catalog.wsclient.peer import ServerSide
from conformance.model import MUST, Verdict, group
from conformance.wire.wsframes import CONT, TEXT
from conformance.wire.wsrecv import Message

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
