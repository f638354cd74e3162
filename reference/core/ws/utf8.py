"""Incremental UTF-8 validation that fails fast.

RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is
not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_." Failing *fast*
means raising at the first byte after which no continuation could make the stream valid, not at the end
of the message.

CPython's incremental UTF-8 decoder already fails fast on invalid start bytes, overlongs (``C0``, ``C1``,
``E0 80``, ``F0 80``), code points above U+10FFFF (``F4 90``, ``F5``-``FF``) and lone continuation bytes.
It keeps ``ED A0``-``ED BF`` (the start of a UTF-16 surrogate) pending until the third byte, so
``Utf8Validator`` checks the pending bytes for that one case itself.
"""

from __future__ import annotations

import codecs

from reference.core.errors import InvalidUtf8
from reference.core.ws.mask import BytesLike

__all__ = ["Utf8Validator", "decode_utf8"]

_DecoderClass = codecs.getincrementaldecoder("utf-8")

#: Unicode 15 table 3-7: after ED the second byte must be 80..9F; A0..BF would encode U+D800..U+DFFF.
_SURROGATE_LEAD = 0xED
_MAX_AFTER_ED = 0x9F


def _error(exc: UnicodeDecodeError, offset: int) -> InvalidUtf8:
    # For "invalid continuation byte" CPython's range stops before the byte that broke the sequence.
    stop = exc.end + 1 if exc.reason == "invalid continuation byte" else exc.end
    bad = exc.object[exc.start : stop]
    if len(bad) >= 2 and bad[0] == _SURROGATE_LEAD and bad[1] > _MAX_AFTER_ED:
        # Name it as Utf8Validator.feed does when the bytes arrive in pieces: the same error either way.
        return _surrogate(offset + exc.start, bytes(bad[:2]))
    return InvalidUtf8(f"invalid utf-8 at byte {offset + exc.start}: {bytes(bad).hex(' ')} ({exc.reason})")


def _surrogate(at: int, lead: bytes) -> InvalidUtf8:
    return InvalidUtf8(f"invalid utf-8 at byte {at}: {lead.hex(' ')} (surrogate)")


def decode_utf8(data: BytesLike) -> str:
    """Decode a complete message or close reason.

    Raises:
        InvalidUtf8: The bytes are not valid UTF-8; the message gives the offset and the bytes.
    """
    try:
        return str(data, "utf-8")
    except UnicodeDecodeError as exc:
        raise _error(exc, 0) from None


class Utf8Validator:
    """Decode UTF-8 given in pieces, raising as soon as the bytes seen cannot start valid UTF-8.

    Call ``feed`` for each piece, then ``feed(b"", final=True)`` (or ``final=True`` on the last piece)
    once the message is complete: only then is a truncated sequence an error.
    """

    __slots__ = ("_decoder", "_offset")

    def __init__(self) -> None:
        self._decoder = _DecoderClass()
        self._offset = 0

    def feed(self, data: BytesLike, final: bool = False) -> str:
        """Decode the next piece.

        Args:
            data: The next bytes of the stream.
            final: True when ``data`` ends the stream.

        Returns:
            The text decoded so far from this piece (a sequence split across pieces is returned whole
            with the piece that completes it).

        Raises:
            InvalidUtf8: The stream is invalid already; the error shows the offset and the bytes.
        """
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise _error(exc, self._offset - len(self._decoder.getstate()[0])) from None
        pending = self._decoder.getstate()[0]
        # The decoder waits for a third byte after ED A0..BF; that byte cannot make it valid.
        if len(pending) >= 2 and pending[0] == _SURROGATE_LEAD and pending[1] > _MAX_AFTER_ED:
            at = self._offset + len(data) - len(pending)
            raise _surrogate(at, bytes(pending[:2]))
        self._offset += len(data)
        return text

    def reset(self) -> None:
        """Forget all state, ready for a new message."""
        self._decoder.reset()
        self._offset = 0
