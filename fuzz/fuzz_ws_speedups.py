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
3. ``apply_mask`` in C equals the pure-Python ``py_apply_mask`` on the stream, at every key phase;
4. the core's fast path (``Connection.receive_message``, the C reader on one whole message) changes nothing
   but the speed: a server connection fed as the reference pump feeds it (``receive_message`` first, then
   ``receive_data``) and one fed through ``receive_data`` alone, both echoing every message, give the same
   events, bytes and state, whether the stream arrives whole, in 5-byte reads, or split where the Python
   parser's frames end (the fast path's own case). Server role only (masked frames).

Without the C extension (not built, or ``RTCONFORM_NO_SPEEDUPS=1``) only invariant 2 runs, comparing the
fallback with itself. Run: ``python fuzz/fuzz_ws_speedups.py fuzz/corpus/fuzz_ws_speedups
-dict=fuzz/fuzz_ws_speedups.dict``.
"""

from __future__ import annotations

from collections.abc import Iterable

from fuzz._harness import atheris_main, check, chunks, split_config
from reference.core.errors import LocalProtocolError
from reference.core.ws.events import BinaryMessage, Event, TextMessage
from reference.core.ws.frames import Frame, FrameParser
from reference.core.ws.mask import py_apply_mask
from reference.core.ws.protocol import Connection
from reference.core.ws.speedups import C_APPLY_MASK, C_READ_SIMPLE_FRAME
from reference.core.ws.states import CLOSE_RECEIVED, FAILING, OPEN, State

__all__ = ["ConnectionOutcome", "parse", "serve", "test_one_input"]

_MAX_SIZES = (None, 0, 125, 70_000)
_RECEIVED = (0, 1, 100, 69_999)
Outcome = tuple[list[Frame], tuple[str, str, int] | None, int]
#: A connection's events, the bytes it sent, and its state, input held and next deadline at the end.
ConnectionOutcome = tuple[list[Event], list[bytes], tuple[State, int, float | None]]


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


def serve(pieces: Iterable[bytes], *, fast: bool, max_size: int) -> ConnectionOutcome:
    """Feed ``pieces`` to a new server connection (an idle timeout on, so that its deadline follows the
    input time) as the reference pump does when ``fast`` (``receive_message`` first) or through
    ``receive_data`` alone, echoing every message while the connection still answers."""
    conn = Connection(max_message_size=max_size, idle_timeout=10.0)
    events: list[Event] = []
    sent: list[bytes] = []
    for now, piece in enumerate(pieces):
        message = conn.receive_message(piece, float(now)) if fast else None
        got = [message] if message is not None else None
        if got is None:
            conn.receive_data(piece, float(now))
            got = conn.events_received()
        for event in got:
            events.append(event)
            if conn.state in (OPEN, CLOSE_RECEIVED, FAILING):
                if isinstance(event, TextMessage):
                    conn.send_text(event.text)
                elif isinstance(event, BinaryMessage):
                    conn.send_binary(event.data)
        sent += conn.data_to_send()
    return events, sent, (conn.state, conn.buffered_input, conn.next_deadline())


def _frame_ends(stream: bytes, max_size: int) -> list[bytes]:
    """``stream`` split where the pure-Python parser's frames end (the rest, if any, as the last piece)."""
    parser = FrameParser(mask=True, max_size=max_size, accelerated=False)
    parser.feed(stream)
    pieces, start = [], 0
    try:
        while parser.next_frame() is not None:
            end = len(stream) - parser.buffered
            pieces.append(stream[start:end])
            start = end
    except LocalProtocolError:
        pass
    return [*pieces, stream[start:]] if start < len(stream) else pieces


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
    if mask:  # invariant 4 (server role)
        limit = 64 << 20 if max_size is None else max_size
        for pieces in ([stream], list(chunks(stream, 5)), _frame_ends(stream, limit)):
            check(serve(pieces, fast=True, max_size=limit) == serve(pieces, fast=False, max_size=limit),
                  "the connection's fast path changes its events, bytes or state")
    if C_APPLY_MASK is not None and len(stream) >= 4:
        key = stream[:4]
        for phase in range(4):
            rotated = key[phase:] + key[:phase]
            check(C_APPLY_MASK(stream[phase:], rotated) == py_apply_mask(stream[phase:], rotated),
                  f"C and Python apply_mask differ at phase {phase}")


if __name__ == "__main__":
    atheris_main(test_one_input)
