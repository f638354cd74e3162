"""Fuzz plans: what the wire fuzzer sends on one connection, and what a conforming echo server must do.

A plan is a list of *groups*: each group is the frames of one message (fragments and the control frames
between them), or of one control frame, and says what the target must echo for it. At most one group,
always the last, is a *violation*: it breaks one rule of RFC 6455, and the target must then fail the
connection with one of ``codes`` (a Close frame with that code, or just a TCP close: RFC 6455 §7.1.7,
"_Fail the WebSocket Connection_" may also be a drop when "the WebSocket connection is not established"
any longer) and must not echo the violating message.

``generate(rng)`` draws plans: mostly valid traffic, with mutations: bad lengths, RSV bit flips, reserved
opcodes, unmasked frames, split points (TCP writes of a few bytes), interleavings, oversized and
fragmented control frames, invalid UTF-8, random close codes. A plan is pure data (JSON in case files).
"""

from __future__ import annotations

import itertools
import random
import struct
from dataclasses import dataclass

from conformance.wire.wsframes import BINARY, CLOSE, CONT, PING, PONG, TEXT, frame

__all__ = ["MUTATIONS", "Group", "Plan", "generate"]

#: Close codes a client may send (RFC 6455 §7.4.1, §7.4.2, IANA registry).
_VALID_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000,
                4999)
_INVALID_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)
_BAD_UTF8 = (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xce\xba\xe1", b"\x80\x80")


@dataclass(frozen=True, slots=True)
class Group:
    """Frames sent together; ``echo`` is (binary, payload) for a message the target must echo.

    Attributes:
        label: what the frames are, for transcripts ("text 12 bytes in 3 fragments", "rsv-bits").
        frames: the frames' bytes, in order.
        echo: the message the target must send back, or None (control frames, violations).
        chop: write the frames in TCP segments of this many bytes (None: one write).
    """

    label: str
    frames: tuple[bytes, ...]
    echo: tuple[bool, bytes] | None = None
    chop: int | None = None

    @property
    def data(self) -> bytes:
        """The group's bytes."""
        return b"".join(self.frames)


@dataclass(frozen=True, slots=True)
class Plan:
    """One connection's traffic; ``violation`` names the rule the last group breaks (None: all valid).

    Attributes:
        codes: close codes allowed when the target fails the connection for the violation; for a valid
            Close frame sent by the runner, any valid code is allowed in the answer (empty tuple).
        closes: the last group is a Close frame (valid or not) sent by the runner.
        tolerated: for a rule that binds the sender only, the echo that shows the target accepted the
            violating message, which is conforming too.
    """

    groups: tuple[Group, ...]
    violation: str | None = None
    codes: tuple[int, ...] = ()
    closes: bool = False
    tolerated: tuple[bool, bytes] | None = None

    @property
    def echoes(self) -> list[tuple[bool, bytes]]:
        """The messages the target must send back, in order."""
        return [g.echo for g in self.groups if g.echo is not None]

    def without(self, index: int) -> Plan:
        """The plan minus one valid group (used to minimise findings)."""
        groups = self.groups[:index] + self.groups[index + 1:]
        return Plan(groups, self.violation, self.codes, self.closes, self.tolerated)

    def unchopped(self) -> Plan:
        """The plan with every group sent in one write."""
        groups = tuple(Group(g.label, g.frames, g.echo) for g in self.groups)
        return Plan(groups, self.violation, self.codes, self.closes, self.tolerated)


def _key(rng: random.Random) -> bytes:
    return rng.randbytes(4)


def _payload(rng: random.Random, text: bool) -> bytes:
    size = rng.choice((0, 1, 5, 20, 125, 126, 200, 1000, 65535, 65536, 70000)) if rng.random() < 0.3 \
        else rng.randint(0, 64)
    if not text:
        return rng.randbytes(size)
    chars = [c.encode("utf-8") for c in "abcxyz é€𝄞\u0800\U0010fffd"]
    out: list[bytes] = []
    length = 0
    while length < size:
        out.append(rng.choice(chars))
        length += len(out[-1])
    return b"".join(out)


def _split(rng: random.Random, payload: bytes, parts: int) -> list[bytes]:
    cuts = sorted(rng.randint(0, len(payload)) for _ in range(parts - 1))
    bounds = [0, *cuts, len(payload)]
    return [payload[a:b] for a, b in itertools.pairwise(bounds)]


def _message(rng: random.Random) -> Group:
    """A valid message: maybe fragmented (§5.4), maybe with pings between fragments (§5.5)."""
    text = rng.random() < 0.5
    opcode, payload = (TEXT if text else BINARY), _payload(rng, text)
    parts = _split(rng, payload, rng.choice((1, 1, 1, 2, 3, 5)))
    frames: list[bytes] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        frames.append(frame(opcode if i == 0 else CONT, part, fin=last, mask_key=_key(rng)))
        if not last and rng.random() < 0.3:
            frames.append(frame(rng.choice((PING, PONG)), rng.randbytes(rng.randint(0, 125)),
                                mask_key=_key(rng)))
    kind = "text" if text else "binary"
    return Group(f"{kind} {len(payload)} bytes in {len(parts)} frame(s)", tuple(frames), (not text, payload))




def generate(rng: random.Random, *, max_messages: int = 6) -> Plan:
    """Draw one plan: valid messages, then a violation (about 60%) or a valid Close (about 20%)."""
    groups = [_message(rng) for _ in range(rng.randint(0, max_messages))]
    if rng.random() < 0.2:
        groups.insert(rng.randint(0, len(groups)),
                      Group("ping", (frame(PING, rng.randbytes(rng.randint(0, 125)), mask_key=_key(rng)),)))
    roll = rng.random()
    if rng.random() < 0.25:  # split points: the same traffic in tiny TCP writes (small ones for big plans)
        size = sum(len(g.data) for g in groups)
        chop = rng.choice((1, 2, 3, 7) if size <= 4096 else (125, 1400))
        groups = [Group(g.label, g.frames, g.echo, chop) for g in groups]
    if roll < 0.6:
        name = rng.choice(sorted(MUTATIONS))
        frames, codes = MUTATIONS[name](rng)
        # RFC 6455 §5.2's minimal length encoding binds the sender; a receiver may accept the frame.
        tolerated = (True, _frame_payload(frames[0])) if name == "non-minimal-length" else None
        return Plan((*groups, Group(name, frames)), name, codes, name.startswith("close"), tolerated)
    if roll < 0.8:
        code = rng.choice(_VALID_CODES)
        close = frame(CLOSE, struct.pack("!H", code) + b"bye", mask_key=_key(rng))
        return Plan((*groups, Group(f"close {code}", (close,))), None, (), closes=True)
    return Plan(tuple(groups))


def _frame_payload(data: bytes) -> bytes:
    """The unmasked payload of one masked frame built by ``frame``."""
    size = data[1] & 0x7F
    start = 2 + {126: 2, 127: 8}.get(size, 0)
    key, masked = data[start:start + 4], data[start + 4:]
    return bytes(b ^ key[i % 4] for i, b in enumerate(masked))


# -- mutations: each returns the violating frames and the close codes a strict server fails with -------

_Mutation = tuple[tuple[bytes, ...], tuple[int, ...]]
_PROTOCOL = (1002,)


def _rsv_bits(rng: random.Random) -> _Mutation:
    bits = rng.randint(1, 7)
    # RFC 6455 §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated"
    return (frame(rng.choice((TEXT, BINARY, PING)), b"x", rsv1=bool(bits & 4), rsv2=bool(bits & 2),
                  rsv3=bool(bits & 1), mask_key=_key(rng)),), _PROTOCOL


def _reserved_opcode(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail_"
    return (frame(rng.choice((3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)), b"x", mask_key=_key(rng)),), _PROTOCOL


def _unmasked(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
    return (frame(rng.choice((TEXT, BINARY)), b"hello", mask=False),), _PROTOCOL


def _control_too_long(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less"
    return (frame(rng.choice((PING, PONG)), b"x" * rng.randint(126, 300), mask_key=_key(rng)),), _PROTOCOL


def _control_fragmented(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.5: control frames "MUST NOT be fragmented"
    return (frame(PING, b"a", fin=False, mask_key=_key(rng)),
            frame(CONT, b"b", mask_key=_key(rng))), _PROTOCOL


def _non_minimal_length(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length"
    size = rng.choice((2, 8))
    return (frame(BINARY, b"x" * rng.randint(0, 125), length_bytes=size, mask_key=_key(rng)),), _PROTOCOL


def _length_msb(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.2: 64-bit length, "the most significant bit MUST be 0"
    return (frame(BINARY, b"", length=2**63 + rng.randint(0, 2**16), mask_key=_key(rng)),), (1002, 1009)


def _invalid_utf8(rng: random.Random) -> _Mutation:
    # RFC 6455 §8.1: invalid UTF-8 in a text message "MUST _Fail the WebSocket Connection_" (1007, §7.4.1)
    bad = b"ok" + rng.choice(_BAD_UTF8) + b"!"
    if rng.random() < 0.5:
        return (frame(TEXT, bad, mask_key=_key(rng)),), (1007,)
    cut = rng.randint(0, len(bad))
    return (frame(TEXT, bad[:cut], fin=False, mask_key=_key(rng)),
            frame(CONT, bad[cut:], mask_key=_key(rng))), (1007,)


def _continuation_without_start(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.4: a fragmented message starts with a frame whose opcode is not 0
    return (frame(CONT, b"x", fin=rng.random() < 0.5, mask_key=_key(rng)),), _PROTOCOL


def _interleaved(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.4: "The fragments of one message MUST NOT be interleaved between the fragments of another"
    return (frame(TEXT, b"a", fin=False, mask_key=_key(rng)),
            frame(rng.choice((TEXT, BINARY)), b"b", mask_key=_key(rng))), _PROTOCOL


def _close_invalid_code(rng: random.Random) -> _Mutation:
    # RFC 6455 §7.4: codes 0-999, 1004-1006, 1015 and unassigned ones may not be sent
    return (frame(CLOSE, struct.pack("!H", rng.choice(_INVALID_CODES)), mask_key=_key(rng)),), _PROTOCOL


def _close_one_byte(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.5.1: "the first two bytes of the body MUST be a 2-byte unsigned integer"
    return (frame(CLOSE, b"\x03", mask_key=_key(rng)),), _PROTOCOL


def _close_invalid_reason(rng: random.Random) -> _Mutation:
    # RFC 6455 §5.5.1: the reason is UTF-8; §8.1 fails the connection otherwise (1007; 1002 is common)
    return (frame(CLOSE, b"\x03\xe8" + rng.choice(_BAD_UTF8), mask_key=_key(rng)),), (1007, 1002)


MUTATIONS = {
    "rsv-bits": _rsv_bits,
    "reserved-opcode": _reserved_opcode,
    "unmasked-frame": _unmasked,
    "control-too-long": _control_too_long,
    "control-fragmented": _control_fragmented,
    "non-minimal-length": _non_minimal_length,
    "length-msb-set": _length_msb,
    "invalid-utf8": _invalid_utf8,
    "continuation-without-start": _continuation_without_start,
    "interleaved-messages": _interleaved,
    "close-invalid-code": _close_invalid_code,
    "close-one-byte": _close_one_byte,
    "close-invalid-reason": _close_invalid_reason,
}
