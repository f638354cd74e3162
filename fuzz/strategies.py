"""Hypothesis strategies for WebSocket client traffic, shared by the property tests and the harnesses.

Everything here produces what a *client* sends to a server (masked frames, RFC 6455 §5.1), built with
the runner's frame builder ``conformance.wire.wsframes.frame``, which can write any header field:

* ``valid_messages()`` / ``valid_traffic()``: conforming traffic (messages, fragmented or not, with
  pings and pongs between fragments, optionally a final Close) and the events a server must report;
* ``invalid_frames()``: one frame or frame pair breaking one named rule, with the close code a
  server must fail with (``None`` when the connection may fail with any code or just wait);
* ``chunkings(data)``: ways to cut a byte string into TCP reads.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.wire.wsframes import BINARY, CLOSE, CONT, PING, PONG, TEXT, frame

__all__ = [
    "Expected",
    "Invalid",
    "Traffic",
    "chunkings",
    "close_codes",
    "invalid_frames",
    "mask_keys",
    "valid_messages",
    "valid_traffic",
]

#: Close codes that may be sent on the wire (RFC 6455 §7.4.1, §7.4.2 and the IANA registry).
WIRE_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014)
#: Codes that must be refused when received: 0-999, 1004-1006, 1015, unassigned 1016-2999, 5000+.
BAD_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535)

mask_keys = st.binary(min_size=4, max_size=4)


def close_codes(valid: bool = True) -> st.SearchStrategy[int]:
    """Close codes that are valid on the wire (``valid``) or that a receiver must refuse."""
    if valid:
        return st.sampled_from(WIRE_CODES) | st.integers(3000, 4999)
    return st.sampled_from(BAD_CODES) | st.integers(1016, 2999) | st.integers(5000, 65535)


@dataclass(frozen=True, slots=True)
class Expected:
    """What a server reports for a piece of traffic: ("text", str), ("binary", bytes), ("ping", bytes),
    ("pong", bytes) or ("close", code or None, reason)."""

    kind: str
    value: object
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Traffic:
    """Client bytes, one entry per frame, and the events a conforming server reports for them."""

    frames: tuple[bytes, ...]
    events: tuple[Expected, ...]

    @property
    def data(self) -> bytes:
        """All frames back to back."""
        return b"".join(self.frames)


@dataclass(frozen=True, slots=True)
class Invalid:
    """Frames breaking the rule ``rule``; ``code`` is the close code a strict server fails with."""

    rule: str
    frames: tuple[bytes, ...]
    code: int


@st.composite
def _split(draw: st.DrawFn, payload: bytes, max_parts: int = 4) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(payload)), max_size=max_parts - 1)))
    bounds = [0, *cuts, len(payload)]
    return [payload[a:b] for a, b in itertools.pairwise(bounds)]


def _control(draw: st.DrawFn) -> tuple[bytes, Expected]:
    opcode = draw(st.sampled_from((PING, PONG)))
    payload = draw(st.binary(max_size=125))
    kind = "ping" if opcode == PING else "pong"
    return frame(opcode, payload, mask_key=draw(mask_keys)), Expected(kind, payload)


@st.composite
def valid_messages(draw: st.DrawFn) -> Traffic:
    """One text or binary message, maybe fragmented (§5.4), with control frames between fragments (§5.5)."""
    if draw(st.booleans()):
        text = draw(st.text(max_size=300))
        opcode, payload, event = TEXT, text.encode("utf-8"), Expected("text", text)
    else:
        payload = draw(st.binary(max_size=300))
        opcode, event = BINARY, Expected("binary", payload)
    parts = draw(_split(payload))
    frames: list[bytes] = []
    controls: list[Expected] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        frames.append(frame(opcode if i == 0 else CONT, part, fin=last, mask_key=draw(mask_keys)))
        # RFC 6455 §5.4: "An endpoint MUST be capable of handling control frames in the middle of a
        # fragmented message."
        if not last and draw(st.integers(0, 3)) == 0:
            control, expected = _control(draw)
            frames.append(control)
            controls.append(expected)
    return Traffic(tuple(frames), (*controls, event))


@st.composite
def valid_traffic(draw: st.DrawFn, max_messages: int = 5, close: bool | None = None) -> Traffic:
    """Several messages and control frames; a Close frame last when ``close`` (drawn when None)."""
    frames: list[bytes] = []
    events: list[Expected] = []
    for _ in range(draw(st.integers(0, max_messages))):
        if draw(st.integers(0, 4)) == 0:
            control, expected = _control(draw)
            frames.append(control)
            events.append(expected)
        else:
            message = draw(valid_messages())
            frames.extend(message.frames)
            events.extend(message.events)
    if close if close is not None else draw(st.booleans()):
        if draw(st.booleans()):
            frames.append(frame(CLOSE, b"", mask_key=draw(mask_keys)))
            events.append(Expected("close", None))
        else:
            code = draw(close_codes())
            reason = draw(st.text(max_size=20).filter(lambda r: len(r.encode("utf-8")) <= 123))
            frames.append(frame(CLOSE, struct.pack("!H", code) + reason.encode("utf-8"),
                                mask_key=draw(mask_keys)))
            events.append(Expected("close", code, reason))
    return Traffic(tuple(frames), tuple(events))


_INVALID_UTF8 = (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xce\xba\xe1", b"\x80")


@st.composite
def invalid_frames(draw: st.DrawFn) -> Invalid:
    """One rule of RFC 6455 broken once, by the frame(s) returned."""
    key = draw(mask_keys)
    payload = draw(st.binary(max_size=20))
    rule = draw(st.sampled_from(sorted(_RULES)))
    frames, code = _RULES[rule](draw, key, payload)
    return Invalid(rule, frames, code)


def _rsv(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    bits = draw(st.integers(1, 7))
    return (frame(BINARY, payload, rsv1=bool(bits & 4), rsv2=bool(bits & 2), rsv3=bool(bits & 1),
                  mask_key=key),), 1002


def _reserved_opcode(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    opcode = draw(st.sampled_from((3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)))
    return (frame(opcode, payload, mask_key=key),), 1002


def _unmasked(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    return (frame(draw(st.sampled_from((TEXT, BINARY, PING))), b"", mask=False),), 1002


def _long_control(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    size = draw(st.integers(126, 300))
    return (frame(draw(st.sampled_from((PING, PONG, CLOSE))), b"\x03\xe8" + b"a" * (size - 2),
                  mask_key=key),), 1002


def _fragmented_control(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    return (frame(draw(st.sampled_from((PING, PONG))), payload, fin=False, mask_key=key),), 1002


def _non_minimal(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    return (frame(BINARY, payload, length_bytes=draw(st.sampled_from((2, 8))), mask_key=key),), 1002


def _bad_utf8(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    text = draw(st.text(max_size=10)).encode("utf-8") + draw(st.sampled_from(_INVALID_UTF8))
    return (frame(TEXT, text, mask_key=key),), 1007


def _bad_close_code(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    return (frame(CLOSE, struct.pack("!H", draw(close_codes(valid=False))), mask_key=key),), 1002


def _one_byte_close(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    return (frame(CLOSE, b"\x03", mask_key=key),), 1002


def _bad_close_reason(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    reason = draw(st.sampled_from(_INVALID_UTF8))
    return (frame(CLOSE, b"\x03\xe8" + reason, mask_key=key),), 1007


def _lone_continuation(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    return (frame(CONT, payload, fin=draw(st.booleans()), mask_key=key),), 1002


def _interleaved(draw: st.DrawFn, key: bytes, payload: bytes) -> tuple[tuple[bytes, ...], int]:
    first = draw(st.sampled_from((TEXT, BINARY)))
    return (frame(first, b"ab", fin=False, mask_key=key),
            frame(draw(st.sampled_from((TEXT, BINARY))), payload, mask_key=key)), 1002


_RULES = {
    "rsv-bits": _rsv,
    "reserved-opcode": _reserved_opcode,
    "unmasked": _unmasked,
    "control-too-long": _long_control,
    "control-fragmented": _fragmented_control,
    "non-minimal-length": _non_minimal,
    "invalid-utf8-text": _bad_utf8,
    "invalid-close-code": _bad_close_code,
    "one-byte-close": _one_byte_close,
    "invalid-utf8-close-reason": _bad_close_reason,
    "continuation-without-start": _lone_continuation,
    "interleaved-data-frames": _interleaved,
}


@st.composite
def chunkings(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut into consecutive pieces (empty pieces included: a read may return nothing new)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]
