"""Framing rules Autobahn never fuzzes: masking (§5.1, §5.3) and payload length encodings (§5.2).

Every case of the catalog already fails when a server frame is masked, uses a non-minimal length or
carries a close code that must not be on the wire (``conformance.wire.wsrecv``); the dedicated cases
here make each of those a named requirement of its own.
"""

from __future__ import annotations

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.catalog.ws.verify import binary
from conformance.model import MUST, CaseFailed, Verdict, group
from conformance.wire.ws import Pong, WsClient
from conformance.wire.wsframes import BINARY, PING, TEXT

MASKING = group("ws", "5.1", "Overview (masking)")
LENGTHS = group("ws", "5.2", "Base Framing Protocol (lengths)")

QUOTE_CLIENT_MASK = "The server MUST close the connection upon receiving a frame that is not masked.  In " \
                    "this case, a server MAY send a Close frame with a status code of 1002 (protocol " \
                    "error) as defined in Section 7.4.1."
QUOTE_SERVER_MASK = "A server MUST NOT mask any frames that it sends to the client."
QUOTE_MINIMAL = "Note that in all cases, the minimal number of bytes MUST be used to encode the length, " \
                "for example, the length of a 124-byte-long string can't be encoded as the sequence 126, " \
                "0, 124."


@MASKING.case(
    "unmasked-text", level=MUST,
    desc="Sends a text message without the MASK bit",
    requirement="The server MUST close the connection (close 1002 or TCP close) and not echo the message.",
    quote=QUOTE_CLIENT_MASK,
)
async def unmasked_text(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(TEXT, b"Hello, world!", mask=False)  # 0x81 0x0D: FIN=1 op=TEXT, MASK=0 len=13
    return await expect.fail(ws, 1002)


@MASKING.case(
    "unmasked-ping", level=MUST,
    desc="Sends a ping without the MASK bit",
    requirement="The server MUST close the connection (close 1002 or TCP close) and not answer with a pong.",
    quote=QUOTE_CLIENT_MASK,
)
async def unmasked_ping(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(PING, b"ping", mask=False)  # 0x89 0x04: FIN=1 op=PING, MASK=0 len=4
    return await expect.fail(ws, 1002)


@MASKING.case(
    "server-frames-unmasked", level=MUST,
    desc="Sends a text message, a binary message and a ping (each after the previous answer), then closes",
    requirement="The server MUST NOT set the MASK bit on any frame it sends (echoes, pong, close).",
    quote=QUOTE_SERVER_MASK,
)
async def server_frames_unmasked(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_text("mask?")
    await ws.wait(lambda: len(ws.events) >= 1 or not ws.is_open, ws.close_timeout)
    await ws.send_binary(b"\x00\x01")
    await ws.wait(lambda: len(ws.events) >= 2 or not ws.is_open, ws.close_timeout)
    await ws.ping(b"p")
    verdict = await expect.echo(ws, [expect.text("mask?"), binary(b"\x00\x01"), Pong(b"p")])
    if masked := [f.describe() for f in ws.frames if f.masked]:
        raise CaseFailed(["every server frame with MASK=0"], "masked: " + "; ".join(masked[:3]))
    return verdict


@LENGTHS.case(
    "length-64-bit-msb-set", level=MUST,
    desc="Sends a binary frame header whose 64-bit payload length has the most significant bit set "
         "(2^63 + 8), followed by 8 payload octets",
    requirement="The server MUST fail the connection (close 1002 or TCP close) instead of waiting for "
                "2^63 octets.",
    quote="Payload length: ... If 127, the following 8 bytes interpreted as a 64-bit unsigned integer (the "
          "most significant bit MUST be 0) are the payload length.",
)
async def length_64_bit_msb_set(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    # 0x82 0xFF 80 00 00 00 00 00 00 08 <mask>: FIN=1 op=BINARY, MASK=1, 64-bit len with MSB=1
    await ws.send_frame(BINARY, b"\x00" * 8, length=2**63 + 8)
    return await expect.fail(ws, 1002, 1009)


@LENGTHS.case(
    "minimal-length-in-echoes", level=MUST,
    desc="Sends binary messages of 125, 126, 65535 and 65536 octets (the length encoding boundaries)",
    requirement="The server MUST encode each echo's length minimally: 7 bits up to 125, 16 bits up to 65535, "
                "64 bits above.",
    quote=QUOTE_MINIMAL,
)
async def minimal_length_in_echoes(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    sizes = (125, 126, 65535, 65536)
    for size in sizes:
        await ws.send_binary(b"\xab" * size)
    verdict = await expect.echo(ws, [binary(b"\xab" * size) for size in sizes])
    if loose := [f.describe() for f in ws.frames if not f.minimal]:
        raise CaseFailed(["minimal length encodings"], "; ".join(loose[:4]))
    return verdict

