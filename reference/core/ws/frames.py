"""WebSocket frames (RFC 6455 §5): the ``Frame`` record, an incremental parser and the serializer.

``FrameParser`` takes bytes in any chunking and returns complete frames. It checks everything that one
frame header can tell (§5.2, §5.5) and raises ``LocalProtocolError`` (``PayloadTooBig`` for the size
limit) at the first byte that breaks a rule, before it buffers the payload. Rules that need context
(fragmentation, UTF-8, close payloads) belong to ``protocol.Connection``.

Decision on non-minimal length encodings (e.g. a length of 5 sent with the 16-bit form): RFC 6455 §5.2
says "in all cases, the minimal number of bytes MUST be used to encode the length", a MUST on the
sender with no exception for receivers. A reference server is strict on receipt, so they fail the
connection with 1002 like any other malformed header.

Hot path notes: the parser keeps the unread input as one ``bytes``/``bytearray`` plus an offset, reads
the header with integer indexing and ``struct``, and unmasks payloads through ``mask.apply_mask`` (the C
speedup when built), reading big payloads through a ``memoryview`` so they are not copied first.

Accelerated frame path: when the C extension is built (``speedups.FRAME_PATH`` says), ``next_frame`` first
asks ``_speedups.read_simple_frame`` for the frame. That C function accepts only a complete frame that breaks
none of the rules below and returns None for everything else, so this Python code still reads (and
rejects, with its error) every incomplete, reserved-bit or malformed frame: the checks live here, once.
The two paths are compared on random and mutated input by tests/reference/core/test_ws_speedups.py and
fuzz/fuzz_ws_speedups.py.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from reference.core.errors import LocalProtocolError, PayloadTooBig
from reference.core.ws.mask import BytesLike, apply_mask
from reference.core.ws.opcodes import Opcode
from reference.core.ws.speedups import C_READ_SIMPLE_FRAME

__all__ = ["Frame", "FrameParser", "message_frame", "serialize_frame"]

#: RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
MAX_CONTROL_PAYLOAD = 125
#: Payload length codes in the 7-bit field (§5.2): 126 means a 16-bit length follows, 127 a 64-bit one.
_LEN16, _LEN64 = 126, 127
_FIN, _RSV_BITS, _RSV1, _MASK = 0x80, 0x70, 0x40, 0x80
#: Opcode by number; None for the reserved opcodes 0x3-0x7 and 0xB-0xF.
_OPCODES: tuple[Opcode | None, ...] = tuple(Opcode(n) if n in Opcode._value2member_map_ else None
                                            for n in range(16))
_U16 = struct.Struct("!H")
_U64 = struct.Struct("!Q")
#: Payloads of at least this size are unmasked from a memoryview instead of a sliced copy.
_VIEW_ABOVE = 1024


@dataclass(frozen=True, slots=True)
class Frame:
    """One WebSocket frame, unmasked (RFC 6455 §5.2).

    Attributes:
        opcode: The frame's opcode.
        payload: The application data (already unmasked).
        fin: True on the last frame of a message.
        rsv1: Reserved bit 1 (only meaningful with a negotiated extension).
        rsv2: Reserved bit 2.
        rsv3: Reserved bit 3.
    """

    opcode: Opcode
    payload: bytes = b""
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False


class FrameParser:
    """Incremental frame parser; feed it bytes in any chunking and take the frames out.

    Args:
        mask: True (server role) to require masked frames, False (client role) to require unmasked ones.
        max_size: Largest message payload accepted, or None for no limit: a data frame may bring what is
            left of it after ``message_received``. May be changed between frames. Control frames are
            limited to 125 bytes by RFC 6455 §5.5 instead.

    Attributes:
        message_received: Payload bytes of the current message that came in earlier frames; the
            connection sets it between frames (0 outside a fragmented message).
        rsv1_allowed: True once an extension that defines RSV1 was negotiated (permessage-deflate, RFC 7692
            §6); then RSV1 is accepted on the first frame of a data message and returned in ``Frame.rsv1``.
    """

    __slots__ = ("_data", "_fast", "_pending", "_pos", "mask", "max_size", "message_received", "rsv1_allowed")

    def __init__(self, *, mask: bool = True, max_size: int | None = None, accelerated: bool = True) -> None:
        self.mask = mask
        #: The C reader of well-formed complete frames, or None: this parser reads every frame itself.
        self._fast = C_READ_SIMPLE_FRAME if accelerated else None
        self.max_size = max_size
        self.message_received = 0
        self.rsv1_allowed = False
        self._data: bytes | bytearray = b""
        self._pos = 0
        # The frame whose header is parsed but whose payload is incomplete: opcode, header size
        # (with the masking key), payload length, masking key, RSV1.
        self._pending: tuple[Opcode, int, int, bytes, bool] | None = None

    @property
    def buffered(self) -> int:
        """Number of bytes received but not yet returned as part of a frame."""
        return len(self._data) - self._pos

    def feed(self, data: BytesLike) -> Iterator[Frame]:
        """Add received bytes and iterate over the frames that are now complete.

        The iterator raises ``LocalProtocolError`` (or ``PayloadTooBig``) where the input breaks a rule,
        after the frames that came before it; the parser must not be used after that.
        """
        if data:
            self._append(data)
        return iter(self.next_frame, None)

    def _append(self, data: BytesLike) -> None:
        buffered, pos = self._data, self._pos
        self._pos = 0
        if pos == len(buffered):
            # Nothing pending: keep the caller's bytes as they are (no copy for ``bytes``).
            self._data = data if type(data) is bytes else bytes(data)
        elif type(buffered) is bytearray:
            del buffered[:pos]  # cheap: CPython moves the start of a bytearray instead of copying
            buffered += data
        else:
            self._data = bytearray(memoryview(buffered)[pos:])
            self._data += data

    def feed_eof(self) -> None:
        """Signal the end of the input.

        Raises:
            LocalProtocolError: The input ended in the middle of a frame.
        """
        if self.buffered:
            raise LocalProtocolError(f"input ended in the middle of a frame ({self.buffered} bytes left)")

    def _too_big(self, length: int) -> PayloadTooBig:
        """The error for a data frame of ``length`` bytes that the message size limit has no room for."""
        if self.message_received:
            total = self.message_received + length
            return PayloadTooBig(f"message of at least {total} bytes exceeds the limit of {self.max_size}")
        return PayloadTooBig(f"frame payload of {length} bytes exceeds the limit of {self.max_size}")

    @property
    def pending_opcode(self) -> Opcode | None:
        """The opcode of the frame whose payload is still arriving, or None."""
        return None if self._pending is None else self._pending[0]

    @property
    def pending_rsv1(self) -> bool:
        """The RSV1 bit of the frame whose payload is still arriving (False if none)."""
        return self._pending is not None and self._pending[4]

    def partial_payload(self, start: int) -> bytes:
        """Return the unmasked payload of the frame still arriving, from offset ``start`` to what arrived.

        This lets a reader check a long text frame before it is complete (fail-fast UTF-8 validation).
        """
        if self._pending is None:
            return b""
        _, header, length, key, _ = self._pending
        first = self._pos + header
        stop = min(len(self._data), first + length)
        if first + start >= stop:
            return b""
        with memoryview(self._data) as view:
            chunk = view[first + start : stop]
            if not key:
                return bytes(chunk)
            phase = start & 3
            return apply_mask(chunk, key[phase:] + key[:phase])

    def next_frame(self) -> Frame | None:
        """Return the next complete frame, or None if more bytes are needed.

        Raises:
            LocalProtocolError: The frame breaks RFC 6455 §5.2 or §5.5 (close code 1002).
            PayloadTooBig: The payload is larger than ``max_size`` (close code 1009).
        """
        data, pos = self._data, self._pos
        available = len(data) - pos
        if available < 2:
            return None
        fast = self._fast
        if fast is not None:
            max_size = self.max_size
            room = -1 if max_size is None else max(0, max_size - self.message_received)
            if room > sys.maxsize:  # more than any buffer can hold: the same as no limit (C takes ssize_t)
                room = -1
            read = fast(data, pos, self.mask, room)
            if read is not None:
                opcode_number, fin, payload, end = read
                self._pending = None
                if end == len(data):
                    self._data, self._pos = b"", 0  # see below: let go of the buffer now
                else:
                    self._pos = end
                return Frame(_OPCODES[opcode_number], payload, fin)  # type: ignore[arg-type]
        b0, b1 = data[pos], data[pos + 1]
        # RFC 6455 §5.2: "MUST be 0 unless an extension is negotiated that defines meanings for non-zero
        # values. If a nonzero value is received and none of the negotiated extensions defines the meaning
        # of such a nonzero value, the receiving endpoint MUST _Fail the WebSocket Connection_."
        rsv = b0 & _RSV_BITS
        if rsv and (rsv != _RSV1 or not self.rsv1_allowed):
            raise LocalProtocolError(f"reserved bits must be 0, got rsv={rsv >> 4:#05b}")
        opcode = _OPCODES[b0 & 0x0F]
        # RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
        # WebSocket Connection_."
        if opcode is None:
            raise LocalProtocolError(f"reserved opcode {b0 & 0x0F:#x}")
        # RFC 7692 §6: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and
        # non-first fragments of a data message.  An endpoint receiving such a frame MUST _Fail the
        # WebSocket Connection_."
        if rsv and (opcode.is_control or opcode is Opcode.CONT):
            raise LocalProtocolError(f"rsv1 set on a {opcode.name} frame")
        fin = bool(b0 & _FIN)
        length = b1 & 0x7F
        is_control = opcode.is_control
        if is_control:
            # RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST
            # NOT be fragmented."
            if not fin:
                raise LocalProtocolError(f"fragmented control frame ({opcode.name})")
            if length > MAX_CONTROL_PAYLOAD:
                raise LocalProtocolError(f"control frame too long ({opcode.name}, length code {length})")
        masked = bool(b1 & _MASK)
        if masked != self.mask:
            # RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that is not
            # masked." / "A client MUST close a connection if it detects a masked frame."
            raise LocalProtocolError("frame is not masked" if self.mask else "frame is masked")
        header = 2
        if length == _LEN16:
            if available < 4:
                return None
            (length,) = _U16.unpack_from(data, pos + 2)
            header = 4
            # RFC 6455 §5.2: "in all cases, the minimal number of bytes MUST be used to encode the length"
            if length < _LEN16:
                raise LocalProtocolError(f"non-minimal length encoding: {length} in 16 bits")
        elif length == _LEN64:
            if available < 10:
                return None
            (length,) = _U64.unpack_from(data, pos + 2)
            header = 10
            # RFC 6455 §5.2: "the most significant bit MUST be 0"
            if length >> 63:
                raise LocalProtocolError(f"64-bit length with the most significant bit set: {length:#x}")
            # RFC 6455 §5.2: "in all cases, the minimal number of bytes MUST be used to encode the length"
            if length <= 0xFFFF:
                raise LocalProtocolError(f"non-minimal length encoding: {length} in 64 bits")
        # Checked before the payload is buffered, so an oversized frame costs no memory. Control frames
        # (<= 125 bytes) are not part of a message and do not count.
        if self.max_size is not None and not is_control and length > self.max_size - self.message_received:
            raise self._too_big(length)
        if masked:
            header += 4
        end = pos + header + length
        if len(data) < end:
            pending_key = bytes(data[pos + header - 4 : pos + header]) if masked else b""
            self._pending = (opcode, header, length, pending_key, bool(rsv))
            return None
        self._pending = None
        if end == len(data):
            # All input is consumed: let go of the buffer now, not at the next feed. A peer whose reading is
            # paused sends no next feed, and the buffer of its last (maybe 64 MiB) frame stayed pinned.
            self._data, self._pos = b"", 0
        else:
            self._pos = end
        if masked:
            start = end - length
            key = data[start - 4 : start]
            if length < _VIEW_ABOVE:
                payload = apply_mask(data[start:end], key)
            else:
                with memoryview(data) as view:
                    payload = apply_mask(view[start:end], key)
        else:
            payload = bytes(data[end - length : end])
        return Frame(opcode, payload, fin, bool(rsv)) if rsv else Frame(opcode, payload, fin)


def serialize_frame(frame: Frame, mask_key: bytes | None = None) -> bytes:
    """Encode a frame, using the minimal length encoding (RFC 6455 §5.2).

    Args:
        frame: The frame to encode.
        mask_key: 4-byte masking key (client role), or None for an unmasked frame. RFC 6455 §5.1: "A
            server MUST NOT mask any frames that it sends to the client."

    Returns:
        The frame as it goes on the wire.

    Raises:
        LocalProtocolError: A control frame is fragmented or longer than 125 bytes, or the key is not 4
            bytes long.
    """
    payload, opcode = frame.payload, frame.opcode
    length = len(payload)
    if opcode.is_control and (length > MAX_CONTROL_PAYLOAD or not frame.fin):
        raise LocalProtocolError(f"control frame must be final and <= 125 bytes: {opcode.name} of {length}")
    b0 = (frame.fin << 7) | (frame.rsv1 << 6) | (frame.rsv2 << 5) | (frame.rsv3 << 4) | opcode
    mask_bit = 0
    if mask_key is not None:
        if len(mask_key) != 4:
            raise LocalProtocolError(f"mask key must be 4 bytes, got {len(mask_key)}")
        mask_bit = _MASK
        payload = mask_key + apply_mask(payload, mask_key)
    if length < _LEN16:
        header = bytes((b0, mask_bit | length))
    elif length <= 0xFFFF:
        header = bytes((b0, mask_bit | _LEN16)) + _U16.pack(length)
    else:
        header = bytes((b0, mask_bit | _LEN64)) + _U64.pack(length)
    return header + payload


def message_frame(opcode: Opcode, payload: bytes, rsv1: bool = False) -> bytes:
    """Encode an unmasked final data frame (what a server sends, RFC 6455 §5.1), without a ``Frame``.

    The same bytes as ``serialize_frame(Frame(opcode, payload, rsv1=rsv1))`` for a TEXT or BINARY frame;
    the echo path sends one per message, so it skips the record and the control-frame checks.
    """
    length = len(payload)
    b0 = 0xC0 | opcode if rsv1 else 0x80 | opcode  # FIN, RSV1 when compressed (RFC 7692 §6)
    if length < _LEN16:
        return bytes((b0, length)) + payload
    if length <= 0xFFFF:
        return bytes((b0, _LEN16)) + _U16.pack(length) + payload
    return bytes((b0, _LEN64)) + _U64.pack(length) + payload
