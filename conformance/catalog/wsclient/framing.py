"""RFC 6455 §5.1-§5.3 and §5.6 for clients: masking, echoing data frames (Autobahn 1.x), reserved bits
(Autobahn 3.x) and reserved opcodes (Autobahn 4.x).

Autobahn's client cases share the server cases' numbers and stimuli with the roles reversed: the fuzzing
server sends, the client under test echoes (or fails the connection).
"""

from __future__ import annotations

from conformance.catalog.ws.ab01_framing import QUOTE_BINARY, QUOTE_LENGTH, QUOTE_TEXT
from conformance.catalog.ws.ab03_04_rsv_opcodes import QUOTE_OPCODE, QUOTE_RSV
from conformance.catalog.wsclient import judge
from conformance.catalog.wsclient.context import ClientCase
from conformance.model import MUST, Outcome, Verdict, group
from conformance.wire.wsframes import BINARY, CLOSE, PING, TEXT, frame
from conformance.wire.wsrecv import Message, Pong

MASKING = group("wsclient", "5.1", "Masking")

HELLO = b"Hello, world!"


@MASKING.case(
    "client-frames-masked",
    level=MUST,
    desc="Sends a text message, a binary message and a ping, then closes",
    requirement="Every frame of the client (echoes, pong, close) MUST be masked.",
    quote="a client MUST mask all frames that it sends to the server",
)
async def client_frames_masked(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, HELLO)
    side.send(BINARY, b"\x00\xff" * 8)
    side.send(PING, b"ping")
    verdict = await judge.conversation(
        ctx, side, [Message(HELLO), Message(b"\x00\xff" * 8, True), Pong(b"ping")]
    )
    unmasked = [f.describe() for f, k in zip(side.frames, side.keys, strict=True) if k is None]
    if unmasked:
        return Verdict(
            Outcome.FAILED,
            verdict.close,
            expected=("every client frame masked",),
            actual=f"{len(unmasked)} unmasked: {', '.join(unmasked[:4])}",
            close_detail=verdict.close_detail,
            remote_close_code=verdict.remote_close_code,
        )
    return verdict


FRESH_COUNT = 8


@MASKING.case(
    "fresh-mask-keys",
    level=MUST,
    section="5.3",
    desc=f"Sends {FRESH_COUNT} text messages and compares the mask keys of the {FRESH_COUNT} echoes",
    requirement=f"The client MUST pick a fresh masking key for each frame: {FRESH_COUNT} echoes, "
    f"{FRESH_COUNT} different keys (two equal random 32-bit keys among {FRESH_COUNT}: about 1 in "
    "600 million).",
    quote="When preparing a masked frame, the client MUST pick a fresh masking key from the set of allowed "
    "32-bit values. The masking key needs to be unpredictable; thus, the masking key MUST be derived "
    "from a strong source of entropy",
)
async def fresh_mask_keys(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    messages = [f"message {i}".encode() for i in range(FRESH_COUNT)]
    for data in messages:
        side.send(TEXT, data)
    verdict = await judge.conversation(ctx, side, [Message(m) for m in messages])
    keys = [k for f, k in zip(side.frames, side.keys, strict=True) if f.opcode == TEXT and k is not None]
    if len(keys) >= 2 and len(set(keys)) < len(keys):
        shown = ", ".join(k.hex() for k in keys)
        return Verdict(
            Outcome.FAILED,
            verdict.close,
            expected=("a different mask key on every frame",),
            actual=f"{len(set(keys))} different keys on {len(keys)} frames: {shown}",
            close_detail=verdict.close_detail,
            remote_close_code=verdict.remote_close_code,
        )
    return verdict


@MASKING.case(
    "masked-server-frame",
    level=MUST,
    desc="Sends a text message with the MASK bit set (a masked server frame)",
    requirement="The client MUST close the connection (close 1002 or TCP close) and not echo the message.",
    quote="A client MUST close a connection if it detects a masked frame. In this case, it MAY use the "
    "status "
    "code 1002 (protocol error) as defined in Section 7.4.1.",
)
async def masked_server_frame(ctx: ClientCase) -> Verdict:
    side = await ctx.open()
    side.send(TEXT, HELLO, mask=True)
    return await judge.fails(ctx, side)


DATA = group("wsclient", "5.6", "Data Frames")


def _echo(slug: str, autobahn: str, opcode: int, size: int, chop: int | None = None) -> None:
    kind = "text" if opcode == TEXT else "binary"
    how = f", written {chop} octets at a time" if chop else ""

    @DATA.case(
        slug,
        level=MUST,
        autobahn=autobahn,
        section="5.2" if 126 <= size <= 128 or size >= 65535 else "5.6",
        desc=f"Sends a {kind} message of {size} octets{how}",
        requirement=f"The client MUST receive the {kind} message (the contract: it echoes it).",
        quote=(QUOTE_TEXT if opcode == TEXT else QUOTE_BINARY) if size < 126 else QUOTE_LENGTH,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        payload = (b"*" if opcode == TEXT else b"\xfe") * size
        if chop:
            raw = _raw(opcode, payload)
            for i in range(0, len(raw), chop):
                side.write(raw[i : i + chop], "" if i else f"{kind} {size} octets in {chop}-octet writes")
        else:
            side.send(opcode, payload)
        return await judge.conversation(ctx, side, [Message(payload, opcode == BINARY)])


def _raw(opcode: int, payload: bytes) -> bytes:
    return frame(opcode, payload, mask=False)


for _i, _size in enumerate((0, 125, 126, 127, 128, 65535, 65536), start=1):
    _echo(f"echo-text-{_size}", f"1.1.{_i}", TEXT, _size)
    _echo(f"echo-binary-{_size}", f"1.2.{_i}", BINARY, _size)
_echo("echo-text-65536-in-997-octet-chops", "1.1.8", TEXT, 65536, chop=997)
_echo("echo-binary-65536-in-997-octet-chops", "1.2.8", BINARY, 65536, chop=997)

RESERVED = group("wsclient", "5.2", "Base Framing Protocol")


def _bits(value: int) -> dict[str, bool]:
    """Autobahn's 3-bit RSV value as frame() flags (4 = RSV1, 2 = RSV2, 1 = RSV3)."""
    return {"rsv1": bool(value & 4), "rsv2": bool(value & 2), "rsv3": bool(value & 1)}


#: Autobahn 3.1-3.7: (case, rsv value, opcode, what precedes / follows the bad frame)
RSV_CASES = (
    ("3.1", 4, TEXT, False),
    ("3.2", 2, TEXT, True),
    ("3.3", 6, TEXT, True),
    ("3.4", 1, TEXT, True),
    ("3.5", 5, BINARY, False),
    ("3.6", 3, PING, False),
    ("3.7", 7, CLOSE, False),
)


def _rsv(autobahn: str, rsv: int, opcode: int, around: bool) -> None:
    kinds: dict[int, str] = {TEXT: "text message", BINARY: "binary message", PING: "ping",
                             CLOSE: "close frame"}
    kind = kinds[opcode]
    bits = "+".join(f"RSV{i}" for i, on in ((1, rsv & 4), (2, rsv & 2), (3, rsv & 1)) if on)
    story = (
        f"Sends a text message, then a {kind} with {bits} set, then a ping"
        if around
        else f"Sends a {kind} with {bits} set"
    )

    @RESERVED.case(
        f"rsv-{rsv}-on-{kind.split()[0]}",
        level=MUST,
        autobahn=autobahn,
        desc=f"{story} (no extension agreed)",
        requirement="The client MUST fail the connection at the frame (close 1002 or TCP close): "
        + (
            "the first message may be echoed, the bad frame and the ping after it must not be answered."
            if around
            else "no echo, no pong."
        ),
        quote=QUOTE_RSV,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        payload = close_1000() if opcode == CLOSE else HELLO
        if around:
            side.send(TEXT, HELLO)
        side.send(opcode, payload, **_bits(rsv))
        if around:
            side.send(PING, HELLO)
        bad_close = payload if opcode == CLOSE else None  # a reply with 1000 took the close as valid
        return await judge.fails(ctx, side, before=[Message(HELLO)] if around else [], bad_close=bad_close)


def close_1000() -> bytes:
    return (1000).to_bytes(2, "big")


for _ab, _value, _op, _around in RSV_CASES:
    _rsv(_ab, _value, _op, _around)


def _opcode(autobahn: str, opcode: int, payload: bytes, around: bool) -> None:
    kind = "data" if opcode < 8 else "control"
    story = (
        f"Sends a text message, then a frame with the reserved {kind} opcode {opcode}, then a ping"
        if around
        else f"Sends a frame with the reserved {kind} opcode {opcode}"
    )

    @RESERVED.case(
        f"reserved-opcode-{opcode}",
        level=MUST,
        autobahn=autobahn,
        desc=story + (" and a payload" if payload else ""),
        requirement="The client MUST fail the connection at the frame (close 1002 or TCP close)"
        + (": the first message may be echoed, the ping after the frame must not be answered."
           if around else "."),
        quote=QUOTE_OPCODE,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        if around:
            side.send(TEXT, HELLO)
        side.send(opcode, payload)
        if around:
            side.send(PING, HELLO)
        return await judge.fails(ctx, side, before=[Message(HELLO)] if around else [])


for _n, _reserved in enumerate((3, 4, 5, 6, 7), start=1):
    _opcode(f"4.1.{_n}", _reserved, b"reserved" if _n in (2, 4) else b"", _n >= 3)
for _n, _reserved in enumerate((11, 12, 13, 14, 15), start=1):
    _opcode(f"4.2.{_n}", _reserved, b"reserved" if _n in (2, 4) else b"", _n >= 3)
