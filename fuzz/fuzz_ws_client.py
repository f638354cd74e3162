#!/usr/bin/env python3
"""Fuzz the runner's WebSocket client without sockets: ``conformance.wire.wsconn.WsClientConnection``.

Whatever a target answers the opening request with, the runner must read it safely and say what
happened. Input: byte 0 configures the client (bits 0-1: ``max_message`` of 0, 125, 1000 or 16 MiB;
bit 2: answer pings; bit 3: answer the target's close; bit 4: small bounds (3 events, a 256-byte head)
instead of the defaults; bit 5: the runner sends its close frame first; bit 6: a valid 101 head comes
before the rest, so the fuzzer starts among frames; bit 7: the target resets TCP at the end instead of
closing it); the rest is what the target sends. Invariants:

1. no call raises, and the connection ends in ``Phase.DONE`` once TCP closed;
2. after every call nothing is held past the bounds: the response head stays under ``max_head``, one
   frame (header + ``max_message``) at most is buffered, a fragmented message holds at most
   ``max_message``, ``events`` at most ``max_events`` (and 4 x ``max_message`` bytes), ``frames`` at most
   ``max_events`` frames and 5 x ``max_message`` bytes;
3. the same phase, response, events, frames, deviations, close bookkeeping and replies whether the bytes
   arrive whole, byte by byte or in 3-byte reads;
4. the replies are masked client frames: pongs echo the pings' payloads (only when answering pings and
   before the runner's own close), at most one close frame (only when answering closes, echoing the
   target's code, and only if the runner had not closed first), nothing after it;
5. ``is_open`` is exactly ``phase is OPEN``; a handshake that ended without a response head says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformance.wire.http import MAX_HEAD, HttpResponse
from conformance.wire.transcript import Transcript
from conformance.wire.wsconn import MAX_EVENTS, CloseInfo, Phase, WsClientConnection
from conformance.wire.wsframes import CLOSE, PING, PONG, Frame, FrameReader, close_payload
from conformance.wire.wsrecv import Event
from fuzz._harness import atheris_main, check, chunks, split_config

__all__ = ["HEAD_101", "Config", "Outcome", "run", "test_one_input"]

_LIMITS = (0, 125, 1000, 16 * 2**20)
#: Prepended to the target's bytes when bit 6 is set.
HEAD_101 = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
#: Header bytes a frame may take besides its payload (2 + 8 length + 4 mask).
_FRAME_HEADER = 14


@dataclass(frozen=True, slots=True)
class Config:
    """The client's settings, from the configuration byte."""

    max_message: int
    answer_pings: bool
    auto_close_reply: bool
    max_events: int
    max_head: int
    runner_closes_first: bool
    reset: bool

    @classmethod
    def from_byte(cls, config: int) -> Config:
        """Decode the configuration byte (see the module docstring)."""
        small = bool(config & 16)
        return cls(_LIMITS[config & 3], bool(config & 4), bool(config & 8), 3 if small else MAX_EVENTS,
                   256 if small else MAX_HEAD, bool(config & 32), bool(config & 128))


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything a read of the target's bytes ends with (replies decoded: their mask keys are random)."""

    phase: Phase
    response: HttpResponse | None
    handshake_error: str
    events: list[Event]
    frames: list[Frame]
    deviations: list[str]
    close: CloseInfo
    replies: list[tuple[int, bytes]]


def _check_bounds(conn: WsClientConnection, config: Config) -> None:
    limit = config.max_message
    check(len(conn._head) < config.max_head, f"{len(conn._head)} head bytes held")
    check(conn._reader.buffered <= _FRAME_HEADER + limit, f"{conn._reader.buffered} frame bytes held")
    check(conn.receiver.pending <= limit, f"{conn.receiver.pending} bytes of a fragmented message held")
    check(len(conn.events) <= config.max_events, f"{len(conn.events)} events kept")
    check(conn.held <= 4 * limit, f"{conn.held} event bytes held")
    check(len(conn.frames) <= config.max_events, f"{len(conn.frames)} frames kept")
    kept = sum(len(fr.payload) for fr in conn.frames)
    check(kept <= 5 * limit, f"{kept} frame payload bytes kept")
    check(conn.is_open is (conn.phase is Phase.OPEN), f"is_open {conn.is_open} in phase {conn.phase}")


def run(pieces: Iterable[bytes], config: Config) -> Outcome:
    """Feed ``pieces`` to a connection that sent its request, then the end of the stream; the outcome."""
    conn = WsClientConnection(transcript=Transcript(), answer_pings=config.answer_pings,
                              auto_close_reply=config.auto_close_reply, max_message=config.max_message,
                              max_events=config.max_events, max_head=config.max_head)
    conn.connection_made("fuzz")
    conn.send_request()
    if config.runner_closes_first:
        conn.send_close(close_payload(1000))
    sent: list[bytes] = []
    for piece in pieces:
        conn.receive_data(piece)
        _check_bounds(conn, config)
        sent += conn.data_to_send()
    conn.receive_eof(config.reset)
    _check_bounds(conn, config)
    sent += conn.data_to_send()
    check(conn.phase is Phase.DONE, f"phase {conn.phase} after the tcp close")
    check(conn.response is not None or bool(conn.handshake_error), "no response head and no reason")
    replies = FrameReader(2**64).feed(b"".join(sent))
    check(all(fr.masked for fr in replies), "an unmasked reply (a client MUST mask, RFC 6455 §5.1)")
    return Outcome(conn.phase, conn.response, conn.handshake_error, conn.events, conn.frames,
                   conn.deviations, conn.close_info(), [(fr.opcode, fr.payload) for fr in replies])


def _check_replies(outcome: Outcome, config: Config) -> None:
    pings = [fr.payload for fr in outcome.frames if fr.opcode == PING]
    pongs = [payload for op, payload in outcome.replies if op == PONG]
    closes = [payload for op, payload in outcome.replies if op == CLOSE]
    check(len(pongs) + len(closes) == len(outcome.replies), f"unexpected reply {outcome.replies!r}")
    check(not pongs or (config.answer_pings and not config.runner_closes_first), "pong not asked for")
    all_kept = len(outcome.frames) < config.max_events and \
        sum(len(fr.payload) for fr in outcome.frames) < 4 * config.max_message
    check(pongs == pings[:len(pongs)] or not all_kept,
          f"pongs {pongs[:3]!r} do not echo the pings {pings[:3]!r}")
    check(len(closes) <= 1, f"{len(closes)} close frames sent")
    if closes:
        check(config.auto_close_reply and not config.runner_closes_first, "close reply not asked for")
        check(outcome.replies[-1] == (CLOSE, closes[0]), "a reply after the close frame")
        target = outcome.close.target_close
        check(target is not None and closes[0] == (close_payload(target.code) if target.code is not None
                                                    else b""), f"close reply {closes[0]!r} to {target}")


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config_byte, stream = split_config(data)
    config = Config.from_byte(config_byte)
    if config_byte & 64:
        stream = HEAD_101 + stream
    whole = run([stream], config)
    for size in (1, 3):
        other = run(chunks(stream, size), config)
        check(other == whole, f"{size}-byte reads differ")
    _check_replies(whole, config)


if __name__ == "__main__":
    atheris_main(test_one_input)
