"""Autobahn 6.x (UTF-8 Handling): empty fragments, valid and invalid text, fail-fast, the Kuhn corpus.

RFC 6455 §8.1 and §5.6. Fail-fast is split in two: the MUST cases (with Autobahn's 6.4.x ids) pass when
the target fails with 1007 at any point after the invalid octets (index.json says NON-STRICT for a late
failure, as Autobahn does); the STRICT cases (Autobahn's preference: RFC 6455 has no fail-fast sentence)
pass only when it fails while the rest of the message is still pending. Autobahn's 1 s markers become
0.1 s (valid prefix must not fail) and at most 0.5 s (invalid part, ends on failure).
"""

from __future__ import annotations

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.catalog.ws.utf8_corpus import SEQUENCES, SUBCATEGORIES
from conformance.model import MUST, STRICT, Level, Verdict, group
from conformance.wire.ws import Message, WsClient
from conformance.wire.wsframes import CONT, TEXT

UTF8 = group("ws", "8.1", "Handling Errors in UTF-8-Encoded Data")

QUOTE_VALID = "Clients and servers MUST support receiving both fragmented and unfragmented messages. ... " \
              "The \"Payload data\" is text data encoded as UTF-8."
QUOTE_INVALID = "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is " \
                "not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_."
QUOTE_1007 = "1007 indicates that an endpoint is terminating the connection because it has received data " \
             "within a message that was not consistent with the type of the message (e.g., non-UTF-8 " \
             "[RFC3629] data within a text message)."
HELLO_UTF8 = "Hello-µ@ßöäüàá-UTF-8!!".encode()
KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")       # κόσμε
SURROGATE = KOSME + b"\xed\xa0\x80" + b"edited"      # invalid at octet 12 (0xA0 after 0xED)
OUT_OF_RANGE = KOSME + b"\xf4\x90\x80\x80" + b"edited"  # U+110000, invalid at octet 12 (0x90 after 0xF4)


def _echo(slug: str, autobahn: str, frames: list[tuple[int, bytes, bool]], what: str, message: bytes, *,
          section: str = "8.1") -> None:
    @UTF8.case(slug, level=MUST, autobahn=autobahn, section=section, desc=f"Sends {what}",
               requirement="The server MUST accept the valid text and echo the whole message.",
               quote=QUOTE_VALID)
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await _steps.send_frames(ws, frames)
        return await expect.echo(ws, [Message(message, False)])


def _octets(data: bytes) -> list[tuple[int, bytes, bool]]:
    """``data`` as a text message fragmented into frames of one octet each."""
    return [(TEXT if i == 0 else CONT, data[i:i + 1], i == len(data) - 1) for i in range(len(data))]


_echo("utf8-empty-text", "6.1.1", [(TEXT, b"", True)], "an empty text message", b"", section="5.6")
_echo("utf8-empty-fragments", "6.1.2", [(TEXT, b"", False), (CONT, b"", False), (CONT, b"", True)],
      "a text message in 3 empty fragments", b"", section="5.6")
_echo("utf8-empty-first-and-last-fragment", "6.1.3",
      [(TEXT, b"", False), (CONT, b"middle frame payload", False), (CONT, b"", True)],
      "a text message in 3 fragments, the first and last empty", b"middle frame payload", section="5.6")
_echo("utf8-valid-one-frame", "6.2.1", [(TEXT, HELLO_UTF8, True)],
      "a valid UTF-8 text message in one frame", HELLO_UTF8)
_echo("utf8-valid-split-on-code-point", "6.2.2",
      [(TEXT, "Hello-µ@ßöä".encode(), False), (CONT, "üàá-UTF-8!!".encode(), True)],
      "a valid UTF-8 text message in 2 fragments split on a code point boundary", HELLO_UTF8)
_echo("utf8-valid-1-octet-frames", "6.2.3", _octets(HELLO_UTF8),
      "a valid UTF-8 text message in 1-octet fragments (frames end inside code points)", HELLO_UTF8)
_echo("utf8-kosme-1-octet-frames", "6.2.4", _octets(KOSME),
      "the valid UTF-8 text 'κόσμε' in 1-octet fragments (frames end inside code points)", KOSME)


def _invalid(slug: str, autobahn: str, frames: list[tuple[int, bytes, bool]], what: str) -> None:
    @UTF8.case(slug, level=MUST, autobahn=autobahn, desc=f"Sends {what}",
               requirement="The server MUST fail the connection with close 1007 (or a TCP close); it must "
                           "not close normally first.",
               quote=QUOTE_INVALID)
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await _steps.send_frames(ws, frames)
        return await expect.fail(ws, 1007)


_invalid("utf8-surrogate-one-frame", "6.3.1", [(TEXT, SURROGATE, True)],
         "a text message with a UTF-16 surrogate (ED A0 80) in one frame")
_invalid("utf8-surrogate-1-octet-frames", "6.3.2", _octets(SURROGATE),
         "a text message with a UTF-16 surrogate (ED A0 80) in 1-octet fragments")

# 6.4.x: part 1 valid, part 2 makes the message invalid, part 3 completes it. (payload cuts, kind)
PARTS = {"frames": (11, 15), "cut-frame": (12, 13), "chops": (11, 15), "cut-chops": (12, 13)}
WHAT = {"frames": "3 frames: valid κόσμε, then F4 90 80 80 (U+110000), then the rest",
        "cut-frame": "3 frames: κόσμε + F4 (a valid prefix), then only 90 (the invalid octet), then the rest",
        "chops": "one frame written in 3 TCP chops: valid κόσμε, then F4 90 80 80, then the rest",
        "cut-chops": "one frame written in 3 TCP chops: κόσμε + F4, then 90, then the rest"}


def _fail_fast(kind: str, level: Level, autobahn: str | None) -> None:
    strict = level is STRICT
    b_wait = _steps.FAST_WAIT if strict else 0.05

    @UTF8.case(
        f"utf8-fail-fast-{kind}" if strict else f"utf8-out-of-range-{kind}", level=level, autobahn=autobahn,
        desc=f"Sends invalid UTF-8 text in {WHAT[kind]}, pausing {_steps.QUIET_WAIT} s after the valid part "
             f"and up to {b_wait} s after the invalid part",
        requirement="Stricter than RFC 6455 (Autobahn's fail-fast preference; no RFC sentence asks for it): "
                    "the server fails the connection (1007 or TCP close) as soon as it finds the byte stream "
                    "invalid, before the message is complete; failing only after it is not accepted here."
                    if strict else
                    "The server MUST fail the connection with 1007 (or a TCP close), not before the invalid "
                    "octets; failing only once the message is complete is allowed here.",
        quote=QUOTE_INVALID,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        cut1, cut2 = PARTS[kind]
        waits = (("A", _steps.QUIET_WAIT), ("B", b_wait))
        if kind.endswith("chops"):
            await _steps.send_chopped_frame(ws, _steps.frame_bytes(TEXT, OUT_OF_RANGE), (cut1, cut2), waits)
        else:
            parts = (OUT_OF_RANGE[:cut1], OUT_OF_RANGE[cut1:cut2], OUT_OF_RANGE[cut2:])
            for i, (opcode, part) in enumerate(zip((TEXT, CONT, CONT), parts, strict=True)):
                await ws.send_frame(opcode, part, fin=i == 2)
                if i < 2 and not await ws.checkpoint(*waits[i]):
                    break
        return await _steps.fail_fast(ws, 1007, strict=strict)


for _n, _kind in enumerate(PARTS, start=1):
    _fail_fast(_kind, MUST, f"6.4.{_n}")
for _kind in PARTS:
    _fail_fast(_kind, STRICT, None)


def _corpus_case(autobahn: str, valid: bool, payload: bytes) -> None:
    sub = autobahn.rsplit(".", 1)[0]
    title = SUBCATEGORIES[sub]
    shown = payload.hex(" ") if len(payload) <= 16 else f"{payload[:16].hex(' ')} ... ({len(payload)} octets)"

    @UTF8.case(
        f"utf8-{autobahn.replace('.', '-')}", level=MUST, autobahn=autobahn,
        desc=f"Sends a text message in one frame with {'valid' if valid else 'invalid'} UTF-8 from "
             f"Kuhn's UTF-8 test ({title}): {shown}",
        requirement="The server MUST echo the message." if valid else
                    "The server MUST fail the connection with close 1007 (or a TCP close).",
        quote=QUOTE_VALID if valid else QUOTE_1007 + " ... " + QUOTE_INVALID,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await ws.send_frame(TEXT, payload)
        if valid:
            return await expect.echo(ws, [Message(payload, False)])
        return await expect.fail(ws, 1007)


for _autobahn, _valid, _payload in SEQUENCES:
    _corpus_case(_autobahn, _valid, _payload)
