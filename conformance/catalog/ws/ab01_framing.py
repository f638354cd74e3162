"""Autobahn 1.x (Framing: text and binary echo at the 7/16/64-bit length boundaries) and 10.1.1.

RFC 6455 §5.2 (payload length encodings) and §5.6 (data frames). The runner also checks every frame
the target sends: a non-minimal length encoding or a masked server frame fails any case (§5.1, §5.2).
"""

from __future__ import annotations

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.catalog.ws.verify import binary, text
from conformance.model import MUST, Verdict, group
from conformance.wire.ws import WsClient
from conformance.wire.wsframes import BINARY, CONT, TEXT

DATA = group("ws", "5.6", "Data Frames")

QUOTE_RECEIVE = "Clients and servers MUST support receiving both fragmented and unfragmented messages."
QUOTE_TEXT = QUOTE_RECEIVE + " ... The \"Payload data\" is text data encoded as UTF-8."
QUOTE_BINARY = QUOTE_RECEIVE + " ... The \"Payload data\" is arbitrary binary data whose " \
               "interpretation is solely up to the application layer."
QUOTE_LENGTH = "Payload length: 7 bits, 7+16 bits, or 7+64 bits ... the minimal number of bytes MUST be " \
               "used to encode the length"


@DATA.case(
    "echo-text-empty", level=MUST, autobahn="1.1.1",
    desc="Sends a text message with an empty payload, then closes with 1000",
    requirement="The echo server MUST send the same (empty) text message back and answer the close.",
    quote=QUOTE_TEXT,
)
async def echo_text_empty(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(TEXT, b"")  # 0x81 0x80 <mask>: FIN=1 op=TEXT, MASK=1 len=0
    return await expect.echo(ws, [text("")])


def _echo_case(kind: str, size: int, autobahn: str, chop: int | None = None) -> None:
    opcode, fill = (TEXT, b"*") if kind == "text" else (BINARY, b"\xfe")
    slug = f"echo-{kind}-{size}" + (f"-chops-{chop}" if chop else "")
    how = f", written in TCP chops of {chop} octets" if chop else ""

    @DATA.case(
        slug, level=MUST, autobahn=autobahn, section="5.2",
        desc=f"Sends a {kind} message of {size} octets{how}, then closes with 1000",
        requirement=f"The echo server MUST send the same {kind} message back, encoding the length minimally, "
                    "and answer the close.",
        quote=QUOTE_LENGTH,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        payload = fill * size
        await ws.send_frame(opcode, payload, chop=chop, pause=_steps.CHOP_PAUSE if chop else 0.0)
        return await expect.echo(ws, [text(payload.decode()) if opcode == TEXT else binary(payload)])


for _n, (_size, _chop) in enumerate(((125, None), (126, None), (127, None), (128, None), (65535, None),
                                     (65536, None), (65536, 997)), start=2):
    _echo_case("text", _size, f"1.1.{_n}", _chop)


@DATA.case(
    "echo-binary-empty", level=MUST, autobahn="1.2.1",
    desc="Sends a binary message with an empty payload, then closes with 1000",
    requirement="The echo server MUST send the same (empty) binary message back and answer the close.",
    quote=QUOTE_BINARY,
)
async def echo_binary_empty(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(BINARY, b"")  # 0x82 0x80 <mask>: FIN=1 op=BINARY, MASK=1 len=0
    return await expect.echo(ws, [binary(b"")])


for _n, (_size, _chop) in enumerate(((125, None), (126, None), (127, None), (128, None), (65535, None),
                                     (65536, None), (65536, 997)), start=2):
    _echo_case("binary", _size, f"1.2.{_n}", _chop)


FRAGMENTS = group("ws", "5.4", "Fragmentation")


@FRAGMENTS.case(
    "text-65536-in-1300-byte-fragments", level=MUST, autobahn="10.1.1",
    desc="Sends a 65536-octet text message as 51 fragments of at most 1300 octets (Autobahn's "
         "autoFragmentSize = 1300)",
    requirement="The echo server MUST reassemble the fragments and send the whole message back.",
    quote=QUOTE_RECEIVE,
)
async def text_auto_fragmented(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    payload = b"*" * 65536
    pieces = [payload[i:i + 1300] for i in range(0, len(payload), 1300)]
    for i, piece in enumerate(pieces):
        await ws.send_frame(TEXT if i == 0 else CONT, piece, fin=i == len(pieces) - 1)
    return await expect.echo(ws, [text(payload.decode())])
