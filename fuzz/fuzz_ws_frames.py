#!/usr/bin/env python3
"""Fuzz the reference frame parser, ``reference.core.ws.frames.FrameParser``.

Input: byte 0 configures the parser (bit 0: client role, unmasked frames; bits 1-2: ``max_size`` of
None, 0, 125 or 70000); the rest is the stream. Invariants:

1. the only exceptions are ``LocalProtocolError`` (close code 1002) and ``PayloadTooBig`` (1009);
2. the same frames and the same error whether the stream arrives whole, byte by byte, or in 7-byte reads;
3. ``serialize_frame(frame, key)`` gives back exactly the bytes each accepted frame came from (the
   parser accepts only minimal length encodings and no RSV bits, so the encoding is canonical);
4. ``feed_eof`` raises exactly when an accepted stream stops inside a frame;
5. ``partial_payload(k)`` of the frame still arriving is the unmasked tail of what arrived from offset
   ``k``, the same at every offset (``b""`` when no frame is pending);
6. ``serialize_frame`` refuses a fragmented control frame and a mask key that is not 4 bytes.

Run: ``python fuzz/fuzz_ws_frames.py fuzz/corpus/fuzz_ws_frames -dict=fuzz/fuzz_ws_frames.dict``.
"""

from __future__ import annotations

from collections.abc import Iterable

from fuzz._harness import atheris_main, check, chunks, split_config
from reference.core.errors import LocalProtocolError
from reference.core.ws.frames import Frame, FrameParser, serialize_frame

__all__ = ["parse", "test_one_input"]

_MAX_SIZES = (None, 0, 125, 70_000)


def parse(pieces: Iterable[bytes], *, mask: bool, max_size: int | None
          ) -> tuple[list[Frame], tuple[str, str, int] | None, int]:
    """Feed ``pieces`` to a new parser.

    Returns:
        (frames, error as (type, message, code) or None, bytes left over or -1 after an error).
    """
    parser = FrameParser(mask=mask, max_size=max_size)
    frames: list[Frame] = []
    try:
        for piece in pieces:
            frames.extend(parser.feed(piece))
    except LocalProtocolError as exc:  # PayloadTooBig is one
        return frames, (type(exc).__name__, exc.msg, exc.close_code), -1  # what is left: unspecified
    return frames, None, parser.buffered


def _refused(fr: Frame, key: bytes | None) -> bool:
    try:
        serialize_frame(fr, key)
    except LocalProtocolError:
        return True
    return False


def _check_round_trip(data: bytes, frames: list[Frame], mask: bool) -> None:
    offset = 0
    for fr in frames:
        n = len(fr.payload)
        header = 2 + (2 if 126 <= n <= 0xFFFF else 8 if n > 0xFFFF else 0)
        key = data[offset + header: offset + header + 4] if mask else None
        encoded = serialize_frame(fr, key)
        check(data[offset:offset + len(encoded)] == encoded,
              f"serialize_frame does not give back the frame at byte {offset}: {encoded[:16].hex()}")
        offset += len(encoded)
        if fr.opcode.is_control:
            check(_refused(Frame(fr.opcode, fr.payload, fin=False), key), "fragmented control serialized")
        if key is not None:
            check(_refused(fr, key[:3]), "serialized with a 3-byte mask key")


def _check_partial(stream: bytes, mask: bool, max_size: int | None) -> None:
    parser = FrameParser(mask=mask, max_size=max_size)
    try:
        list(parser.feed(stream))
    except LocalProtocolError:
        return
    whole = parser.partial_payload(0)
    check(parser.pending_opcode is not None or whole == b"", "partial payload without a pending frame")
    check(len(whole) <= parser.buffered, f"partial payload of {len(whole)} > {parser.buffered} buffered")
    for start in (1, 2, 3, 5):
        check(parser.partial_payload(start) == whole[start:], f"partial_payload({start}) differs")


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, stream = split_config(data)
    mask, max_size = not config & 1, _MAX_SIZES[(config >> 1) & 3]
    whole = parse([stream], mask=mask, max_size=max_size)
    frames, error, left = whole
    if error is not None:
        check(error[2] == (1009 if error[0] == "PayloadTooBig" else 1002), f"error with bad code: {error}")
    check(parse(chunks(stream, 1), mask=mask, max_size=max_size) == whole, "byte-by-byte parse differs")
    check(parse(chunks(stream, 7), mask=mask, max_size=max_size) == whole, "7-byte reads parse differs")
    _check_round_trip(stream, frames, mask)
    _check_partial(stream, mask, max_size)
    if error is None:
        parser = FrameParser(mask=mask, max_size=max_size)
        list(parser.feed(stream))
        try:
            parser.feed_eof()
            check(left == 0, f"feed_eof accepted {left} bytes left over")
        except LocalProtocolError:
            check(left > 0, "feed_eof raised with nothing left over")


if __name__ == "__main__":
    atheris_main(test_one_input)
