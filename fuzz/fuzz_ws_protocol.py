"""Fuzz the reference connection state machine, ``reference.core.ws.protocol.Connection``.

Input: byte 0 configures it (bits 0-1: ``max_message_size`` of 64 MiB, 0, 20 or 200; bit 2: the
application answers each message with an echo; bit 3: receive EOF at the end); the rest is what the
client sends. Invariants:

1. ``receive_data`` never raises, and no input ends in 1011 (an unexpected exception inside the core);
2. the same events, the same final state and (without echoes, whose interleaving with pongs depends on
   the reads) the same bytes out, whether the input arrives whole, byte by byte, or in 5-byte reads
   (only the wording of a failure's reason may differ);
3. a failed connection reports exactly one ``ConnectionClosed(code, clean=False)``, last, with code
   1002, 1007 or 1009, and (unless it was already closing) sends a Close frame with that code first;
4. everything the server sends parses as valid unmasked server frames: pongs echo the pings' payloads,
   Close frames carry a code that may be sent on the wire, and nothing follows the Close frame;
5. after ``b""`` (close TCP) in ``data_to_send``, nothing more is sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from fuzz._harness import atheris_main, check, chunks, split_config
from reference.core.errors import LocalProtocolError
from reference.core.ws.events import (
    BinaryMessage,
    ConnectionClosed,
    Event,
    PingReceived,
    TextMessage,
)
from reference.core.ws.frames import FrameParser
from reference.core.ws.opcodes import Opcode, is_valid_received_close_code
from reference.core.ws.protocol import Connection

__all__ = ["Trace", "run", "test_one_input"]

_MAX_SIZES = (64 * 2**20, 0, 20, 200)
Trace = tuple[tuple[Event, ...], bytes, bool, str, int | None]


def run(pieces: Iterable[bytes], max_size: int, echo: bool, eof: bool) -> Trace:
    """Drive a new connection with ``pieces``.

    Returns:
        (events, bytes sent, tcp closed, final state, failure close code).
    """
    conn = Connection(max_message_size=max_size)
    events: list[Event] = []
    out: list[bytes] = []
    closed = False

    def collect() -> None:
        nonlocal closed
        new = conn.events_received()
        events.extend(new)
        for ev in new:
            if echo and isinstance(ev, (TextMessage, BinaryMessage)) and conn.state.name in (
                    "OPEN", "CLOSE_RECEIVED"):
                (conn.send_text(ev.text) if isinstance(ev, TextMessage) else conn.send_binary(ev.data))
        for data in conn.data_to_send():
            check(not closed, f"data after the tcp close: {data[:16]!r}")
            closed = closed or data == b""
            out.append(data)

    for piece in pieces:
        conn.receive_data(piece)
        collect()
    if eof:
        conn.receive_eof()
        collect()
    code = conn.failure.close_code if conn.failure is not None else None
    return tuple(events), b"".join(out), closed, conn.state.name, code


def _check_output(trace: Trace) -> None:
    events, sent, _, _, code = trace
    pings = [ev.payload for ev in events if isinstance(ev, PingReceived)]
    reader = FrameParser(mask=False)
    try:
        frames = list(reader.feed(sent))
        reader.feed_eof()
    except LocalProtocolError as exc:
        raise AssertionError(f"the server sent an invalid frame: {exc}") from None
    pongs = [fr.payload for fr in frames if fr.opcode is Opcode.PONG]
    check(pongs == pings[:len(pongs)], f"pongs {pongs!r} do not echo pings {pings!r}")
    closes = [i for i, fr in enumerate(frames) if fr.opcode is Opcode.CLOSE]
    check(len(closes) <= 1, f"{len(closes)} close frames sent")
    if closes:
        check(closes[0] == len(frames) - 1, "frames sent after the close frame")
        body = frames[closes[0]].payload
        if body:
            sent_code = int.from_bytes(body[:2], "big")
            check(is_valid_received_close_code(sent_code), f"close frame with code {sent_code}")
            if code is not None:
                check(sent_code == code, f"failed with {code} but sent close {sent_code}")


def _check_failure(trace: Trace) -> None:
    events, _, closed, state, code = trace
    finals = [ev for ev in events if isinstance(ev, ConnectionClosed)]
    check(len(finals) <= 1, f"{len(finals)} ConnectionClosed events")
    if finals:
        check(events[-1] is finals[0], "ConnectionClosed is not the last event")
    if code is None:
        return
    check(code in (1002, 1007, 1009), f"failed with close code {code}")
    check(finals[0].code == code and not finals[0].clean, f"failure reported as {finals[0]}")
    check(closed and state == "CLOSED", f"failed connection in state {state}, tcp closed={closed}")


def _without_reasons(trace: Trace) -> Trace:
    """The trace with failure reasons blanked: only their wording may depend on the reads (a UTF-8
    surrogate is "invalid continuation byte" to CPython's decoder, "surrogate" to the fail-fast check)."""
    events, sent, closed, state, code = trace
    if code is None:
        return trace
    blank = tuple(ConnectionClosed(ev.code, "", ev.clean) if isinstance(ev, ConnectionClosed) else ev
                  for ev in events)
    cut = sent.rfind(b"\x88")  # the Close frame is the last one: keep its code, not its length or reason
    return blank, sent[:cut + 1] + sent[cut + 2:cut + 4] if cut >= 0 else sent, closed, state, code


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, stream = split_config(data)
    options = (_MAX_SIZES[config & 3], bool(config & 4), bool(config & 8))
    whole = run([stream], *options)
    for size in (1, 5):
        a, b = _without_reasons(whole), _without_reasons(run(chunks(stream, size), *options))
        # With echoes, what is sent depends on the reads (replies interleave with pongs; a failure in the
        # same read as a message comes before its echo); everything else may not.
        check(a[0::2] == b[0::2] if options[1] else a == b, f"{size}-byte reads give another trace")
    _check_failure(whole)
    _check_output(whole)


if __name__ == "__main__":
    atheris_main(test_one_input)
