#!/usr/bin/env python3
"""Differential fuzzing of the accelerated frame path against the pure-Python parser.

``FrameParser`` asks the C function ``_speedups.read_simple_frame`` first and reads the frame itself when
it declines (``frames.py``). That is only sound if the C function accepts a strict subset of what the
Python parser accepts, returning exactly the same frame. Input: byte 0 configures the parser (bit 0:
client role, unmasked frames; bits 1-2: ``max_size`` of None, 0, 125 or 70000; bits 3-4: bytes of the
message received already, 0, 1, 100 or 69999); the rest is the stream. Invariants:

1. at every frame boundary the Python parser reaches, ``read_simple_frame`` either declines (None) or
   returns the frame the Python parser reads there (opcode, FIN, payload; no RSV bit) and the same end
   offset; where the Python parser raises or needs more bytes, it declines;
2. the accelerated parser and the pure-Python one give the same frames, the same error (type, message,
   close code) and the same bytes left over, whether the stream arrives whole or in 5-byte reads;
3. ``apply_mask`` in C equals the pure-Python ``py_apply_mask`` on the stream, at every key phase.

Without the C extension (not built, or ``RTCONFORM_NO_SPEEDUPS=1``) only invariant 2 runs, comparing the
fallback with itself. Run: ``python fuzz/fuzz_ws_speedups.py fuzz/corpus/fuzz_ws_speedups
-dict=fuzz/fuzz_ws_speedups.dict``.
"""

from __future__ import annotations

from collections.abc import Iterable

from fuzz._harness import atheris_main, check, chunks, split_config
from reference.core.errors import LocalProtocolError
from reference.core.ws.frames import Frame, FrameParser
from reference.core.ws.mask import py_apply_mask
from reference.core.ws.speedups import C_APPLY_MASK, C_READ_SIMPLE_FRAME

__all__ = ["parse", "test_one_input"]

_MAX_SIZES = (None, 0, 125, 70_000)
_RECEIVED = (0, 1, 100, 69_999)
Outcome = tuple[list[Frame], tuple[str, str, int] | None, int]


def parse(pieces: Iterable[bytes], *, mask: bool, max_size: int | None, received: int,
          accelerated: bool) -> Outcome:
    """Feed ``pieces`` to a new parser: (frames, error as (type, message, code) or None, bytes left)."""
    parser = FrameParser(mask=mask, max_size=max_size, accelerated=accelerated)
    parser.message_received = received
    frames: list[Frame] = []
    try:
        for piece in pieces:
            frames.extend(parser.feed(piece))
    except LocalProtocolError as exc:  # PayloadTooBig is one
        return frames, (type(exc).__name__, exc.msg, exc.close_code), -1
    return frames, None, parser.buffered


def _check_frame_by_frame(stream: bytes, *, mask: bool, max_size: int | None, received: int) -> None:
    """Invariant 1: walk the stream with the Python parser, asking the C reader at each boundary."""
    assert C_READ_SIMPLE_FRAME is not None
    parser = FrameParser(mask=mask, max_size=max_size, accelerated=False)
    parser.message_received = received
    parser.feed(stream)
    pos = 0
    while True:
        room = -1 if max_size is None else max(0, max_size - received)
        fast = C_READ_SIMPLE_FRAME(stream, pos, mask, room)
        try:
            frame = parser.next_frame()
        except LocalProtocolError as exc:
            check(fast is None, f"C read a frame at byte {pos} that Python refuses: {exc.msg}")
            return
        if frame is None:
            check(fast is None, f"C read a frame at byte {pos} where Python needs more bytes")
            return
        end = len(stream) - parser.buffered
        if fast is not None:
            opcode, fin, payload, fast_end = fast
            check((opcode, fin, payload) == (frame.opcode, frame.fin, frame.payload),
                  f"C and Python read different frames at byte {pos}: {fast[:3]!r} != {frame!r}")
            check(not (frame.rsv1 or frame.rsv2 or frame.rsv3), f"C read a frame with an RSV bit at {pos}")
            check(fast_end == end, f"C frame at byte {pos} ends at {fast_end}, Python's at {end}")
        pos = end


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, stream = split_config(data)
    mask, max_size, received = not config & 1, _MAX_SIZES[(config >> 1) & 3], _RECEIVED[(config >> 3) & 3]
    if max_size is not None:
        received = min(received, max_size)

    def run(pieces: Iterable[bytes], accelerated: bool) -> Outcome:
        return parse(pieces, mask=mask, max_size=max_size, received=received, accelerated=accelerated)

    slow = run([stream], False)
    check(run([stream], True) == slow, "the accelerated parser differs from the pure-Python one")
    check(run(chunks(stream, 5), True) == slow, "the accelerated parser differs in 5-byte reads")
    if C_READ_SIMPLE_FRAME is not None:
        _check_frame_by_frame(stream, mask=mask, max_size=max_size, received=received)
    if C_APPLY_MASK is not None and len(stream) >= 4:
        key = stream[:4]
        for phase in range(4):
            rotated = key[phase:] + key[:phase]
            check(C_APPLY_MASK(stream[phase:], rotated) == py_apply_mask(stream[phase:], rotated),
                  f"C and Python apply_mask differ at phase {phase}")


if __name__ == "__main__":
    atheris_main(test_one_input)
