"""RFC 6455 §5.4 and §5.5 for clients: pings answered with identical pongs (Autobahn 2.x), fragmented
messages with control frames between their fragments, and fragments that break the rules (Autobahn 5.x)."""

from __future__ import annotations

from conformance.catalog.ws.ab02_pings import QUOTE_PONG, QUOTE_SAME
from conformance.catalog.ws.ab05_fragmentation import QUOTE_CONTROL, QUOTE_INJECT, QUOTE_RECEIVE, QUOTE_STRAY
from conformance.catalog.wsclient import judge
from conformance.catalog.wsclient.context import ClientCase
from conformance.model import MUST, Verdict, group
from conformance.wire.wsframes import CONT, PING, PONG, TEXT, frame
from conformance.wire.wsrecv import Message, Pong

PINGS = group("wsclient", "5.5.2", "Ping")


@PINGS.case(
    "ping-empty",
    level=MUST,
    autobahn="2.1",
    desc="Sends a ping with an empty payload",
    requirement="The client MUST answer with a pong carrying the same (empty) payload.",
    quote=QUOTE_PONG,
)
async def ping_empty(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(PING, b"")
    return await judge.conversation(ctx, side, [Pong(b"")])


def _ping(slug: str, autobahn: str, payload: bytes, what: str, chop: int | None = None) -> None:
    how = " written one octet per TCP write" if chop else ""

    @PINGS.case(
        slug,
        level=MUST,
        autobahn=autobahn,
        section="5.5.3",
        desc=f"Sends a ping with {what}{how}",
        requirement="The client MUST answer with a pong carrying the identical payload.",
        quote=QUOTE_SAME,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        if chop:
            raw = frame(PING, payload, mask=False)
            for i in range(len(raw)):
                side.write(raw[i : i + 1], "" if i else f"ping of {len(payload)} octets, one octet per write")
        else:
            side.send(PING, payload)
        return await judge.conversation(ctx, side, [Pong(payload)])


_ping("ping-text-payload", "2.2", b"Hello, world!", "a 13-octet text payload")
_ping("ping-binary-payload", "2.3", b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", "an 8-octet binary payload")
_ping("ping-125-bytes", "2.4", b"\xfe" * 125, "a 125-octet payload (the largest allowed)")
_ping("ping-125-bytes-octet-chops", "2.6", b"\xfe" * 125, "a 125-octet payload", chop=1)

CONTROL = group("wsclient", "5.5", "Control Frames")


@CONTROL.case(
    "ping-126-bytes",
    level=MUST,
    autobahn="2.5",
    desc="Sends a ping with a 126-byte payload (over the 125-byte limit for control frames)",
    requirement="The client MUST fail the connection: close 1002 or TCP close, and send no pong.",
    quote=QUOTE_CONTROL,
)
async def ping_126_bytes(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(PING, b"\xfe" * 126)
    return await judge.fails(ctx, side)


def _fragmented_control(slug: str, autobahn: str, opcode: int) -> None:
    kind = "ping" if opcode == PING else "pong"

    @CONTROL.case(
        slug,
        level=MUST,
        autobahn=autobahn,
        desc=f"Sends a {kind} fragmented into 2 frames",
        requirement="The client MUST fail the connection: close 1002 or TCP close"
        + (", and send no pong." if opcode == PING else "."),
        quote=QUOTE_CONTROL,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        side.send(opcode, b"fragment1", fin=False)
        side.send(CONT, b"fragment2")
        return await judge.fails(ctx, side)


_fragmented_control("fragmented-ping", "5.1", PING)
_fragmented_control("fragmented-pong", "5.2", PONG)

FRAGMENTS = group("wsclient", "5.4", "Fragmentation")


@FRAGMENTS.case(
    "text-in-2-fragments",
    level=MUST,
    autobahn="5.3",
    desc="Sends a text message in 2 fragments",
    requirement="The client MUST receive the fragmented message (the contract: it echoes it).",
    quote=QUOTE_RECEIVE,
)
async def text_in_2_fragments(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, b"fragment1", fin=False)
    side.send(CONT, b"fragment2")
    return await judge.conversation(ctx, side, [Message(b"fragment1fragment2")])


@FRAGMENTS.case(
    "ping-between-fragments",
    level=MUST,
    autobahn="5.6",
    desc="Sends a text message in 2 fragments with a ping between them",
    requirement="The client MUST answer the ping (a pong), then receive the message (it echoes it).",
    quote=QUOTE_INJECT,
)
async def ping_between_fragments(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, b"fragment1", fin=False)
    side.send(PING, b"ping payload")
    side.send(CONT, b"fragment2")
    return await judge.conversation(ctx, side, [Pong(b"ping payload"), Message(b"fragment1fragment2")])


@FRAGMENTS.case(
    "continuation-without-start",
    level=MUST,
    autobahn="5.9",
    desc="Sends a continuation frame (FIN set) with no message to continue, then a text message",
    requirement="The client MUST fail the connection at the stray frame (close 1002 or TCP close), "
    "echoing nothing.",
    quote=QUOTE_STRAY,
)
async def continuation_without_start(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(CONT, b"fragment1")
    side.send(TEXT, b"Hello")
    return await judge.fails(ctx, side)


@FRAGMENTS.case(
    "text-opcode-on-second-fragment",
    level=MUST,
    autobahn="5.18",
    desc="Sends a text message in 2 fragments whose second frame carries the text opcode, not 0",
    requirement="The client MUST fail the connection (close 1002 or TCP close), echoing nothing.",
    quote=QUOTE_STRAY,
)
async def text_opcode_on_second_fragment(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, b"fragment1", fin=False)
    side.send(TEXT, b"fragment2")
    return await judge.fails(ctx, side)
