"""Judging and assembling what a WebSocket server sends: frames in, application events and deviations out.

Each rule quotes RFC 6455 at the line that enforces it. A *deviation* is a server-side violation observed
on the wire (a masked server frame, RSV bits without an extension, a bad close code...); verifiers fail the
behaviour axis when any was recorded.

A fragmented message is held until its last fragment; with ``max_message`` set, a message whose fragments
pass that many bytes raises :class:`MessageTooLarge` instead of being buffered further. With
permessage-deflate agreed (``Receiver.deflate``), a message whose first frame has RSV1 is inflated when its
last fragment arrives, never past ``max_message`` bytes either (RFC 7692 §6, §7.2.2).
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass, field

from conformance.wire.deflate import InflateError, InflateTooLarge, PerMessageDeflate
from conformance.wire.wsframes import BINARY, CLOSE, CONT, DEFINED_OPCODES, PING, PONG, TEXT, Frame

__all__ = [
    "CloseFrame",
    "Event",
    "Message",
    "MessageTooLarge",
    "Ping",
    "Pong",
    "Receiver",
    "Timeout",
    "close_code_problem",
]


@dataclass(frozen=True, slots=True)
class Message:
    """A whole data message from the target (fragments joined; inflated if it came compressed).

    ``compressed`` (RSV1 on its first frame, RFC 7692 §6) is recorded but not compared: an echo is equal
    to the message it echoes whether the target compressed it or not.
    """

    data: bytes
    binary: bool = False
    compressed: bool = field(default=False, compare=False)

    @classmethod
    def text(cls, text: str) -> Message:
        """A text message carrying ``text`` as UTF-8."""
        return cls(text.encode(), False)

    def __str__(self) -> str:
        kind = "binary" if self.binary else "text"
        shown = self.data[:24]
        return f"message({kind}, {len(self.data)} bytes, {shown!r}{'...' if len(self.data) > 24 else ''})"


@dataclass(frozen=True, slots=True)
class Ping:
    """A ping from the target (only reported when the case does not auto-answer pings)."""

    payload: bytes = b""

    def __str__(self) -> str:
        return f"ping({self.payload[:24]!r})"


@dataclass(frozen=True, slots=True)
class Pong:
    """A pong from the target."""

    payload: bytes = b""

    def __str__(self) -> str:
        return f"pong({self.payload[:24]!r})"


@dataclass(frozen=True, slots=True)
class Timeout:
    """Autobahn's timeout marker: the connection was still open when checkpoint ``tag`` expired."""

    tag: str

    def __str__(self) -> str:
        return f"timeout({self.tag})"


Event = Message | Ping | Pong | Timeout


@dataclass(frozen=True, slots=True)
class CloseFrame:
    """A close frame from the target: ``code`` is None when the payload was empty (or 1 byte)."""

    code: int | None
    reason: str
    payload: bytes


def close_code_problem(code: int) -> str | None:
    """Why ``code`` may not appear in a close frame on the wire, or None if it may (§7.4.1, §7.4.2, IANA)."""
    # RFC 6455 §7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control frame"
    if code in (1005, 1006, 1015):
        return f"close code {code} must never be sent on the wire (§7.4.1)"
    # §7.4.2: 0-999 not used; 1000-2999 reserved for the RFC and IANA (1004 reserved, 1016+ unassigned);
    # 3000-4999 for libraries and applications; 5000+ is outside the range of status codes.
    if 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999:
        return None
    return f"close code {code} is not a valid status code (§7.4.2)"


class MessageTooLarge(Exception):
    """The fragments of one message from the target passed the receiver's ``max_message`` bytes.

    Attributes:
        size: the message's size with the fragment that passed the limit (that fragment is not kept).
        limit: the receiver's ``max_message``.
    """

    def __init__(self, size: int, limit: int, what: str = "") -> None:
        super().__init__(what or f"fragmented message over the runner's limit of {limit} bytes ({size} bytes "
                                  "so far)")
        self.size = size
        self.limit = limit


class Receiver:
    """Turns the target's frames into events, recording every deviation from RFC 6455.

    Args:
        extensions: an extension was negotiated, so RSV bits are not judged here.
        max_message: the most bytes a message may assemble from its fragments (None: no limit); past it
            :meth:`feed` drops the message and raises :class:`MessageTooLarge`.

    Attributes:
        deflate: the permessage-deflate codec when the runner offered it and the target agreed (set after
            the handshake); then RSV1 is judged by RFC 7692 §6 and RSV2/RSV3 still by RFC 6455 §5.2.
    """

    #: the inflate limit when ``max_message`` is None
    INFLATE_LIMIT = 8 * 2**20

    def __init__(self, *, extensions: bool = False, max_message: int | None = None) -> None:
        self.extensions = extensions
        self.max_message = max_message
        self.deflate: PerMessageDeflate | None = None
        self._compressed = False
        self.deviations: list[str] = []
        self._parts: list[bytes] = []
        self._size = 0
        self._opcode: int | None = None
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._utf8_ok = True
        self.closed = False

    @property
    def pending(self) -> int:
        """Bytes held for a fragmented message whose last fragment has not come yet."""
        return self._size

    def _deviate(self, text: str) -> None:
        if len(self.deviations) < 100:
            self.deviations.append(text)

    def feed(self, fr: Frame) -> Message | Ping | Pong | CloseFrame | None:
        """Judge one frame; return the event it completes, if any.

        Raises:
            MessageTooLarge: the frame takes its message past ``max_message`` bytes (the message is dropped).
        """
        self._check_header(fr)
        if self.closed:
            # §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any more data frames."
            self._deviate(f"frame {fr.describe()} after the target's close frame (§5.5.1)")
            return None
        if fr.opcode == CLOSE:
            self.closed = True
            return self._close(fr)
        if fr.opcode == PING:
            return Ping(fr.payload)
        if fr.opcode == PONG:
            return Pong(fr.payload)
        if fr.opcode in (TEXT, BINARY, CONT):
            return self._data(fr)
        return None

    def _check_header(self, fr: Frame) -> None:
        # §5.1: "A server MUST NOT mask any frames that it sends to the client."
        if fr.masked:
            self._deviate(f"masked server frame {fr.describe()} (§5.1)")
        # §5.2: "MUST be 0 unless an extension is negotiated that defines meanings for non-zero values"
        if self.deflate is not None:
            self._check_rsv_deflate(fr)
        elif (fr.rsv1 or fr.rsv2 or fr.rsv3) and not self.extensions:
            self._deviate(f"rsv bits set without an extension: {fr.describe()} (§5.2)")
        # §5.2: "the minimal number of bytes MUST be used to encode the length"
        if not fr.minimal:
            self._deviate(f"non-minimal length encoding: {fr.describe()} (§5.2)")
        if fr.opcode not in DEFINED_OPCODES:
            self._deviate(f"reserved opcode {fr.opcode:#x} (§5.2)")
        # §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
        # fragmented."
        if fr.is_control and (len(fr.payload) > 125 or not fr.fin):
            self._deviate(f"invalid control frame {fr.describe()} (§5.5)")

    def _check_rsv_deflate(self, fr: Frame) -> None:
        # RFC 7692 §6 gives RSV1 a meaning; RSV2 and RSV3 still have none (RFC 6455 §5.2)
        if fr.rsv2 or fr.rsv3:
            self._deviate(f"rsv2/rsv3 set, permessage-deflate defines only rsv1: {fr.describe()} (§5.2)")
        # RFC 7692 §6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and
        # non-first fragments of a data message."
        if fr.rsv1 and (fr.is_control or fr.opcode == CONT):
            self._deviate(f"rsv1 on a control frame or a continuation frame: {fr.describe()} "
                          "(RFC 7692 §6.1)")

    def _close(self, fr: Frame) -> CloseFrame:
        payload = fr.payload
        if len(payload) == 1:
            self._deviate("close frame with a 1-byte payload (§5.5.1)")
        if len(payload) < 2:
            return CloseFrame(None, "", payload)
        (code,) = struct.unpack_from("!H", payload)
        if (problem := close_code_problem(code)) is not None:
            self._deviate(problem)
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            # §5.5.1: the reason's "interpretation ... is not defined by this specification" but it is UTF-8
            self._deviate(f"close reason is not utf-8: {payload[2:50]!r} (§5.5.1)")
            reason = payload[2:].decode("utf-8", "replace")
        return CloseFrame(code, reason, payload)

    def _data(self, fr: Frame) -> Message | None:
        if fr.opcode == CONT and self._opcode is None:
            # §5.4: fragments are a first frame with an opcode, then continuation frames
            self._deviate("continuation frame with no message to continue (§5.4)")
            return None
        if fr.opcode != CONT and self._opcode is not None:
            self._deviate(f"new {fr.describe()} inside a fragmented message (§5.4)")
            self._reset()
        if fr.opcode != CONT:
            self._opcode = fr.opcode
            self._compressed = self.deflate is not None and fr.rsv1
        size = self._size + len(fr.payload)
        if self.max_message is not None and size > self.max_message:
            self._reset()
            raise MessageTooLarge(size, self.max_message)
        self._parts.append(fr.payload)
        self._size = size
        if self._opcode == TEXT and self._utf8_ok and not self._compressed:
            self._feed_utf8(fr.payload, fr.fin)
        if not fr.fin:
            return None
        data = b"".join(self._parts)
        binary, compressed = self._opcode == BINARY, self._compressed
        self._reset()
        if compressed:
            inflated = self._inflate(data)
            if inflated is None:
                return None
            data = inflated
            if not binary:
                self._feed_utf8(data, True)
                self._utf8.reset()
                self._utf8_ok = True
        return Message(data, binary, compressed)

    def _inflate(self, payload: bytes) -> bytes | None:
        assert self.deflate is not None
        limit = self.max_message if self.max_message is not None else self.INFLATE_LIMIT
        try:
            return self.deflate.inflate(payload, limit)
        except InflateTooLarge as exc:
            raise MessageTooLarge(limit, limit, str(exc)) from None
        except InflateError as exc:
            # RFC 7692 §7.2.2: "Decompress the resulting data using DEFLATE."
            self._deviate(f"{exc} (RFC 7692 §7.2.2)")
            return None

    def _feed_utf8(self, data: bytes, final: bool) -> None:
        try:
            self._utf8.decode(data, final)
        except UnicodeDecodeError:
            # §5.6: text "Payload data" "is text data encoded as UTF-8"
            self._utf8_ok = False
            self._deviate("text message from the target is not valid utf-8 (§5.6)")

    def _reset(self) -> None:
        self._parts = []
        self._size = 0
        self._opcode = None
        self._compressed = False
        self._utf8.reset()
        self._utf8_ok = True
