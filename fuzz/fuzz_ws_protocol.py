#!/usr/bin/env python3
"""Fuzz the reference connection state machine, ``reference.core.ws.protocol.Connection``.

Input: byte 0 configures it (bits 0-1: ``max_message_size`` of 64 MiB, 0, 20 or 200; bit 2: the
application answers each message with an echo; bit 3: receive EOF at the end; bit 4: after the input,
the application sends a ping, a text, a binary and a Close, and tries illegal calls; bit 5: keepalive
(pong timeout unless bit 0, idle timeout unless bit 1) timers run: a keepalive ping goes out before the
input and time passes after it; bit 6: events and output are collected only at the very end; bit 7:
the application sends a Close before the input); the rest is what the client sends. Invariants:

1. ``receive_data`` never raises, and no input ends in 1011 (an unexpected exception inside the core);
2. the same events, the same final state and (without echoes, whose interleaving with pongs depends on
   the reads) the same bytes out, whether the input arrives whole, byte by byte, or in 5-byte reads
   (only the wording of a failure's reason may differ);
3. a failed connection reports exactly one ``ConnectionClosed(code, clean=False)``, last, with code
   1002, 1007 or 1009, and (unless the application sent a Close first) a Close frame with that code;
4. everything the server sends parses as valid unmasked server frames: pongs echo the pings' payloads,
   Close frames carry a code that may be sent on the wire, and only pongs follow the Close frame;
5. after ``b""`` (close TCP) in ``data_to_send``, nothing more is sent;
6. application calls raise only ``LocalProtocolError`` (illegal in the state, or bad arguments), and
   ``close_expected()`` is true once a Close was sent or received.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

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


def _legal(call: Callable[[], None]) -> bool:
    try:
        call()
    except LocalProtocolError:
        return False
    return True


def _application(conn: Connection) -> None:
    """The application's calls after the input: bad arguments always fail, the rest when the state allows."""
    check(not _legal(lambda: conn.send_ping(b"x" * 126)), "ping of 126 bytes accepted")
    check(not _legal(lambda: conn.send_close(1005)), "close code 1005 accepted for sending")
    check(not _legal(lambda: conn.send_close(1000, "é" * 62)), "close reason of 124 bytes accepted")
    _legal(lambda: conn.send_ping(b"app"))
    _legal(lambda: conn.send_text("app"))
    _legal(lambda: conn.send_binary(b"app"))
    if _legal(lambda: conn.send_close(1000, "bye")):
        check(conn.close_expected(), "no close expected after sending a close")


def _timers(conn: Connection, collect: Callable[[], None]) -> None:
    """Let time pass: keepalive pings, pong and idle timeouts, the closing handshake timeout."""
    for now in (0.5, 1.5, 2.0, 4.0, 6.0, 9.0, 12.0, 30.0):
        deadline = conn.next_deadline()
        check(deadline is None or deadline >= 0.0, f"deadline {deadline}")
        conn.handle_timeout(now)
        collect()


def run(pieces: Iterable[bytes], config: int) -> Trace:
    """Drive a new connection with ``pieces``, configured by the bits of ``config`` (module docstring).

    Returns:
        (events, bytes sent, tcp closed, final state, failure close code).
    """
    echo, eof, app, timers, batch, close_first = (bool(config & bit) for bit in (4, 8, 16, 32, 64, 128))
    conn = Connection(max_message_size=_MAX_SIZES[config & 3], keepalive_interval=1.0 if timers else None,
                      pong_timeout=2.0 if timers and not config & 1 else None,
                      idle_timeout=5.0 if timers and not config & 2 else None)
    events: list[Event] = []
    out: list[bytes] = []
    closed = False

    def collect() -> None:
        nonlocal closed
        new = conn.events_received()
        events.extend(new)
        for ev in new:
            if echo and isinstance(ev, (TextMessage, BinaryMessage)) and conn.state.name in (
                    "OPEN", "CLOSE_RECEIVED", "FAILING"):
                (conn.send_text(ev.text) if isinstance(ev, TextMessage) else conn.send_binary(ev.data))
        for data in conn.data_to_send():
            check(not closed, f"data after the tcp close: {data[:16]!r}")
            closed = closed or data == b""
            out.append(data)

    def nothing() -> None:
        pass

    step = nothing if batch else collect
    if close_first:
        conn.send_close(1001, "first")
    if timers:
        conn.handle_timeout(1.5)  # a keepalive ping with payload 00 00 00 01 goes out first
    for piece in pieces:
        conn.receive_data(piece, 1.6 if timers else None)
        step()
    if app:
        _application(conn)
        step()
    if timers:
        _timers(conn, step)
    if eof:
        conn.receive_eof()
    collect()
    check(timers or conn.next_deadline() is None, "a deadline without timers")
    code = conn.failure.close_code if conn.failure is not None else None
    return tuple(events), b"".join(out), closed, conn.state.name, code


def _check_output(trace: Trace, close_first: bool) -> None:
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
        # RFC 6455 §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any more data frames";
        # §5.5.2 still wants pongs for pings until the peer's Close arrived.
        late = [fr.opcode.name for fr in frames[closes[0] + 1:] if fr.opcode is not Opcode.PONG]
        check(not late, f"frames sent after the close frame: {late}")
        body = frames[closes[0]].payload
        if body:
            sent_code = int.from_bytes(body[:2], "big")
            check(is_valid_received_close_code(sent_code), f"close frame with code {sent_code}")
            if code is not None and not close_first:
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
    whole = run([stream], config)
    for size in (1, 5):
        a, b = _without_reasons(whole), _without_reasons(run(chunks(stream, size), config))
        # With echoes, what is sent depends on the reads (replies interleave with pongs; a failure in the
        # same read as a message comes before its echo); everything else may not.
        check(a[0::2] == b[0::2] if config & 4 else a == b, f"{size}-byte reads give another trace")
    _check_failure(whole)
    _check_output(whole, bool(config & 128))


if __name__ == "__main__":
    atheris_main(test_one_input)
