"""Autobahn 3.x (Reserved Bits) and 4.x (Opcodes): non-zero RSV bits and reserved opcodes must fail.

RFC 6455 §5.2. Autobahn's "RSV = n" is the 3-bit field value: 1 = RSV3, 2 = RSV2, 4 = RSV1. Where a
valid message precedes the bad frame, echoing it first is passed and failing before the echo is
non-strict (Autobahn's OK / NON-STRICT lists); a pong for the ping sent after the bad frame fails.
"""

from __future__ import annotations

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.catalog.ws.verify import text
from conformance.model import MUST, Verdict, group
from conformance.wire.ws import WsClient
from conformance.wire.wsframes import BINARY, CLOSE, PING, TEXT, frame

FRAMING = group("ws", "5.2", "Base Framing Protocol")

QUOTE_RSV = "If a nonzero value is received and none of the negotiated extensions defines the meaning of " \
            "such a nonzero value, the receiving endpoint MUST _Fail the WebSocket Connection_."
QUOTE_OPCODE = "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket " \
               "Connection_."
HELLO = b"Hello, world!"


def _bits(value: int) -> dict[str, bool]:
    """Autobahn's 3-bit RSV field value as frame() flags (4 = RSV1, 2 = RSV2, 1 = RSV3)."""
    return {"rsv1": bool(value & 4), "rsv2": bool(value & 2), "rsv3": bool(value & 1)}


@FRAMING.case(
    "rsv1-without-extension", level=MUST, autobahn="3.1",
    desc="Sends a text frame with RSV1 set; no extension was negotiated",
    requirement="The server MUST fail the connection: close 1002 or TCP close.",
    quote=QUOTE_RSV,
)
async def rsv1_without_extension(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(TEXT, HELLO, rsv1=True)  # 0xC1 0x8D: FIN=1 RSV1=1 op=TEXT, MASK=1 len=13
    return await expect.fail(ws, 1002)


@FRAMING.case(
    "rsv3-without-extension", level=MUST,
    desc="Sends a text frame with only RSV3 set (Autobahn's 3.1 bit pattern, 'RSV = 1'); no extension "
         "was negotiated",
    requirement="The server MUST fail the connection: close 1002 or TCP close.",
    quote=QUOTE_RSV,
)
async def rsv3_without_extension(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(TEXT, HELLO, rsv3=True)  # 0x91 0x8D: FIN=1 RSV3=1 op=TEXT, MASK=1 len=13
    return await expect.fail(ws, 1002)


def _after_echo(slug: str, autobahn: str, bad: dict[str, object], what: str, quote: str, *,
                chop: int | None = None, frame_chops: bool = False) -> None:
    how = " (each frame one TCP write)" if frame_chops else " (one octet per TCP write)" if chop else ""

    @FRAMING.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Sends a valid text message, then {what}, then a ping{how}",
        requirement="The server MUST fail the connection (close 1002 or TCP close) without answering the "
                    "ping; echoing the valid message first is preferred (failing before it is non-strict).",
        quote=quote,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        frames = [frame(TEXT, HELLO), frame(**bad), frame(PING, b"")]  # type: ignore[arg-type]
        await _steps.send_raw(ws, frames, "frame" if frame_chops else chop)
        return await expect.fail(ws, 1002, ok=[text(HELLO.decode())], non_strict=[])


def _alone(slug: str, autobahn: str | None, bad: dict[str, object], what: str, quote: str) -> None:
    @FRAMING.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Sends {what}",
        requirement="The server MUST fail the connection: close 1002 or TCP close.",
        quote=quote,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await ws.send_frame(**bad)  # type: ignore[arg-type]
        verdict = await expect.fail(ws, 1002)
        # an empty close in reply to a close frame is a normal close, not the failure §5.2 demands
        if bad["opcode"] != CLOSE:
            return verdict
        return _steps.code_required(verdict, ws, [1002], empty_stimulus=not bad["payload"])


# 3.2-3.4: 0xA1 (RSV2), 0xB1 (RSV2+RSV3), 0xC1 (RSV1) text frames after a valid message
_after_echo("rsv2-text-after-echo", "3.2", {"opcode": TEXT, "payload": HELLO, **_bits(2)},
            "the same text with RSV2 set", QUOTE_RSV)
_after_echo("rsv2-rsv3-text-after-echo-frame-chops", "3.3", {"opcode": TEXT, "payload": HELLO, **_bits(3)},
            "the same text with RSV2 and RSV3 set", QUOTE_RSV, frame_chops=True)
_after_echo("rsv1-text-after-echo-octet-chops", "3.4", {"opcode": TEXT, "payload": HELLO, **_bits(4)},
            "the same text with RSV1 set", QUOTE_RSV, chop=1)
# 3.5: 0xD2 binary with RSV1+RSV3
_alone("rsv1-rsv3-binary", "3.5", {"opcode": BINARY, "payload": b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff",
                                   **_bits(5)}, "a binary frame with RSV1 and RSV3 set", QUOTE_RSV)
# 3.6: Autobahn's text says "Ping" but its wire bytes are a binary frame 0xE2 (RSV1+RSV2): kept as sent
_alone("rsv1-rsv2-binary", "3.6", {"opcode": BINARY, "payload": HELLO, **_bits(6)},
       "a binary frame with RSV1 and RSV2 set (Autobahn's 3.6 bytes)", QUOTE_RSV)
_alone("rsv1-rsv2-ping", None, {"opcode": PING, "payload": HELLO, **_bits(6)},
       "a ping with RSV1 and RSV2 set (what Autobahn's 3.6 describes)", QUOTE_RSV)
# 3.7: 0xF8 close with all RSV bits
_alone("rsv-all-close", "3.7", {"opcode": CLOSE, "payload": b"", **_bits(7)},
       "a close frame with RSV1, RSV2 and RSV3 set", QUOTE_RSV)

# 4.1.x: reserved non-control opcodes 3-7; 4.2.x: reserved control opcodes 0xB-0xF
_alone("opcode-3-reserved", "4.1.1", {"opcode": 3, "payload": b""}, "a frame with reserved opcode 3",
       QUOTE_OPCODE)
_alone("opcode-4-reserved-payload", "4.1.2", {"opcode": 4, "payload": b"reserved opcode payload"},
       "a frame with reserved opcode 4 and a payload", QUOTE_OPCODE)
_after_echo("opcode-5-after-echo", "4.1.3", {"opcode": 5, "payload": b""}, "a frame with reserved opcode 5",
            QUOTE_OPCODE)
_after_echo("opcode-6-after-echo", "4.1.4", {"opcode": 6, "payload": HELLO},
            "a frame with reserved opcode 6 and a payload", QUOTE_OPCODE)
_after_echo("opcode-7-after-echo-octet-chops", "4.1.5", {"opcode": 7, "payload": HELLO},
            "a frame with reserved opcode 7 and a payload", QUOTE_OPCODE, chop=1)
_alone("opcode-11-reserved", "4.2.1", {"opcode": 11, "payload": b""},
       "a frame with reserved control opcode 11", QUOTE_OPCODE)
_alone("opcode-12-reserved-payload", "4.2.2", {"opcode": 12, "payload": b"reserved opcode payload"},
       "a frame with reserved control opcode 12 and a payload", QUOTE_OPCODE)
_after_echo("opcode-13-after-echo", "4.2.3", {"opcode": 13, "payload": b""},
            "a frame with reserved control opcode 13", QUOTE_OPCODE)
_after_echo("opcode-14-after-echo", "4.2.4", {"opcode": 14, "payload": HELLO},
            "a frame with reserved control opcode 14 and a payload", QUOTE_OPCODE)
_after_echo("opcode-15-after-echo-octet-chops", "4.2.5", {"opcode": 15, "payload": HELLO},
            "a frame with reserved control opcode 15 and a payload", QUOTE_OPCODE, chop=1)
