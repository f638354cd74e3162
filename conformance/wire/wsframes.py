"""WebSocket frames for the runner: a builder that can write ANY frame, and a strict incremental reader.

The builder takes overrides for every header field so malformed input is easy to write::

    frame(TEXT, b"Hello", rsv1=True)                 # FIN=1 RSV1=1 op=TEXT, MASK=1 len=5
    frame(PING, b"x" * 126)                          # control frame too long (126 > 125)
    frame(BINARY, b"", length=2**63 + 1)             # 64-bit length with the MSB set, no payload
    frame(TEXT, b"hi", length_bytes=8)               # non-minimal length encoding
    frame(TEXT, b"hi", mask=False)                   # unmasked client frame
    frame(0x3, b"")                                  # reserved opcode

The reader decodes what the target sends without trusting it: every frame's flags are kept (RSV bits,
mask bit, declared length, whether the length encoding was minimal) and judged elsewhere; a declared
length above ``max_payload`` raises :class:`FrameTooLarge` before any payload is buffered.
"""

from __future__ import annotations

import enum
import os
import struct
from dataclasses import dataclass

__all__ = [
    "BINARY",
    "CLOSE",
    "CONT",
    "PING",
    "PONG",
    "TEXT",
    "Frame",
    "FrameReader",
    "FrameTooLarge",
    "Op",
    "apply_mask",
    "close_payload",
    "frame",
]


class Op(enum.IntEnum):
    """Opcodes, RFC 6455 §5.2 (3-7 and 0xB-0xF are reserved)."""

    CONT = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


CONT, TEXT, BINARY, CLOSE, PING, PONG = Op.CONT, Op.TEXT, Op.BINARY, Op.CLOSE, Op.PING, Op.PONG
DEFINED_OPCODES = frozenset(int(op) for op in Op)


def apply_mask(data: bytes | bytearray | memoryview, key: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` repeated (RFC 6455 §5.3); masking and unmasking are the same."""
    n = len(data)
    if n == 0:
        return b""
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv1: bool = False, rsv2: bool = False,
          rsv3: bool = False, mask: bool = True, mask_key: bytes | None = None, length: int | None = None,
          length_bytes: int | None = None) -> bytes:
    """Serialize one frame, legal or not.

    Args:
        opcode: 0-15, reserved ones included.
        payload: the unmasked payload; masked with ``mask_key`` when ``mask`` is true.
        mask: set the MASK bit and mask the payload (clients MUST mask, §5.1).
        mask_key: 4 bytes; random when omitted.
        length: the declared payload length, when it must differ from ``len(payload)``.
        length_bytes: force the length encoding: 0 (7-bit field), 2 (126 + 16-bit) or 8 (127 + 64-bit);
            the minimal encoding when omitted.

    Raises:
        ValueError: a field does not fit its encoding (the message shows the value).
    """
    if not 0 <= opcode <= 0xF:
        raise ValueError(f"opcode must be 0-15, not {opcode}")
    declared = len(payload) if length is None else length
    if not 0 <= declared < 2**64:
        raise ValueError(f"length must fit in 64 bits, not {declared}")
    minimal = 0 if declared <= 125 else 2 if declared < 2**16 else 8
    size = minimal if length_bytes is None else length_bytes
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0) | (0x10 if rsv3 else 0) | opcode
    m = 0x80 if mask else 0
    if size == 0:
        if declared > 125:
            raise ValueError(f"length {declared} does not fit the 7-bit field")
        head = bytes((b0, m | declared))
    elif size == 2:
        if declared >= 2**16:
            raise ValueError(f"length {declared} does not fit 16 bits")
        head = bytes((b0, m | 126)) + struct.pack("!H", declared)
    elif size == 8:
        head = bytes((b0, m | 127)) + struct.pack("!Q", declared)
    else:
        raise ValueError(f"length_bytes must be 0, 2 or 8, not {length_bytes}")
    if not mask:
        return head + payload
    key = os.urandom(4) if mask_key is None else mask_key
    if len(key) != 4:
        raise ValueError(f"mask key must be 4 bytes, not {key!r}")
    return head + key + apply_mask(payload, key)


def close_payload(code: int | None = 1000, reason: str | bytes = b"") -> bytes:
    """A close frame's payload: a 2-byte status code then the reason (UTF-8 if given as str), §5.5.1.

    ``code=None`` gives an empty payload (and then ``reason`` must be empty).
    """
    raw = reason.encode() if isinstance(reason, str) else reason
    if code is None:
        if raw:
            raise ValueError(f"a close reason needs a code, got reason {raw!r}")
        return b""
    return struct.pack("!H", code) + raw


class FrameTooLarge(Exception):
    """A frame header declared more payload than the reader may buffer.

    Attributes:
        declared: the declared payload length.
        limit: the reader's ``max_payload``.
        frames: the frames completed earlier in the same :meth:`FrameReader.feed` call, in order: the
            caller handles them before the error, so what it sees does not depend on how TCP split the
            bytes (found by ``fuzz/fuzz_wire_reader.py``).
    """

    def __init__(self, declared: int, limit: int, frames: tuple[Frame, ...] = ()) -> None:
        super().__init__(f"frame declares {declared} bytes of payload, over the runner's limit of {limit}")
        self.declared = declared
        self.limit = limit
        self.frames = frames


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame exactly as received (the payload unmasked if it was masked).

    Attributes:
        length_bytes: the length encoding used: 0 (7-bit), 2 or 8.
        minimal: whether that encoding was the shortest possible (§5.2 requires it).
    """

    opcode: int
    payload: bytes
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    masked: bool = False
    length_bytes: int = 0
    minimal: bool = True

    @property
    def is_control(self) -> bool:
        """Control frames have the high opcode bit set (§5.5)."""
        return self.opcode >= 0x8

    def describe(self) -> str:
        """A short one-line description for transcripts."""
        try:
            name = Op(self.opcode).name
        except ValueError:
            name = f"op={self.opcode:#x}"
        flags = "".join(f" rsv{i}=1" for i, bit in ((1, self.rsv1), (2, self.rsv2), (3, self.rsv3)) if bit)
        extra = "" if self.minimal else f" non-minimal-length({self.length_bytes})"
        return f"{name} fin={int(self.fin)}{flags} masked={int(self.masked)} len={len(self.payload)}{extra}"


class FrameReader:
    """Incremental frame decoder over any chunking. Feed bytes, take frames; buffers at most one frame.

    Args:
        max_payload: the largest declared payload length accepted; more raises :class:`FrameTooLarge`.
    """

    def __init__(self, max_payload: int) -> None:
        self.max_payload = max_payload
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        """Bytes held that do not make a whole frame yet."""
        return len(self._buf)

    def discard(self) -> None:
        """Drop the bytes held: nothing more will be read (the connection is over)."""
        self._buf.clear()

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        """Add received bytes; return every frame now complete, in order.

        Raises:
            FrameTooLarge: a header declared more than ``max_payload`` bytes (checked before buffering them).
                The frames completed before it in this call are in the exception's ``frames``; the
                oversized header stays buffered, so every later call raises again (with no frames).
        """
        self._buf += data
        frames: list[Frame] = []
        start = 0
        try:
            while (parsed := self._parse_one(start)) is not None:
                frame_, start = parsed
                frames.append(frame_)
        except FrameTooLarge as exc:
            exc.frames = tuple(frames)
            raise
        finally:
            del self._buf[:start]
        return frames

    def _parse_one(self, start: int) -> tuple[Frame, int] | None:
        buf = self._buf
        avail = len(buf) - start
        if avail < 2:
            return None
        b0, b1 = buf[start], buf[start + 1]
        masked = bool(b1 & 0x80)
        n = b1 & 0x7F
        pos, length_bytes = 2, 0
        if n == 126:
            if avail < 4:
                return None
            (n,), pos, length_bytes = struct.unpack_from("!H", buf, start + 2), 4, 2
        elif n == 127:
            if avail < 10:
                return None
            (n,), pos, length_bytes = struct.unpack_from("!Q", buf, start + 2), 10, 8
        if n > self.max_payload:
            raise FrameTooLarge(n, self.max_payload)
        key_end = pos + (4 if masked else 0)
        end = key_end + n
        if avail < end:
            return None
        payload = bytes(buf[start + key_end:start + end])
        if masked:
            payload = apply_mask(payload, bytes(buf[start + pos:start + key_end]))
        # RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length"
        minimal = length_bytes == (0 if n <= 125 else 2 if n < 2**16 else 8)
        return Frame(b0 & 0x0F, payload, bool(b0 & 0x80), bool(b0 & 0x40), bool(b0 & 0x20), bool(b0 & 0x10),
                     masked, length_bytes, minimal), start + end
