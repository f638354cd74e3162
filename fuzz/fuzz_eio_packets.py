#!/usr/bin/env python3
"""Fuzz the Engine.IO v4 codec and session, ``reference.core.eio`` (engine.io-protocol README).

Input: byte 0 configures (bit 0: the session starts on WebSocket instead of polling; bits 1-3: which
records, 0xff-separated, are held GETs instead of input); the rest is split at 0xff into records, each a
POST body (polling) or a WebSocket frame (text when it is UTF-8, else binary). Invariants:

1. ``decode_payload`` and ``decode_text_frame`` raise nothing but ``BadPacket``; what they decode encodes
   back to the same text (``encode_payload``/``encode_frame``), and that decodes to the same packets;
2. a session raises nothing but ``EioError`` for any input (``LocalProtocolError`` only for the harness's
   own sends after a close); after an error whose reaction closes the session, it is closed;
3. everything a session sends is well formed: each poll answer is a payload that decodes, each WebSocket
   frame a packet that decodes; a closed session has no deadline; the send queue stays within its limit.

Run: ``python fuzz/fuzz_eio_packets.py fuzz/corpus/fuzz_eio_packets -dict=fuzz/fuzz_eio_packets.dict``;
``python fuzz/fuzz_eio_packets.py --write-seeds`` (re)writes the hand-written seeds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fuzz._harness import atheris_main, check, split_config
from reference.core.eio.handshake import EioConfig, Transport
from reference.core.eio.packets import (
    BadPacket,
    PacketType,
    decode_binary_frame,
    decode_payload,
    decode_text_frame,
    encode_frame,
    encode_payload,
)
from reference.core.eio.reactions import EioError
from reference.core.eio.session import MessageReceived, Session
from reference.core.eio.states import CLOSED
from reference.core.errors import LocalProtocolError

__all__ = ["SEEDS", "test_one_input"]

CONFIG = EioConfig(ping_interval=300, ping_timeout=200, upgrade_timeout=500, queue_limit=4096)


def _check_codec(record: bytes) -> None:
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError:
        packet = decode_binary_frame(record)
        check(packet.type is PacketType.MESSAGE and encode_frame(packet) == record, "binary frame round trip")
        return
    try:
        packets = decode_payload(text)
    except BadPacket:
        pass
    else:
        check(encode_payload(packets) == text or any(isinstance(p.data, bytes) for p in packets),
              f"payload does not encode back: {text!r}")
        check(decode_payload(encode_payload(packets)) == packets, f"payload round trip: {text!r}")
    try:
        packet = decode_text_frame(text)
    except BadPacket:
        return
    check(encode_frame(packet) == text, f"frame does not encode back: {text!r}")


def _check_output(session: Session) -> None:
    answer = session.poll_answer()
    if answer is not None:
        decode_payload(answer)  # raises BadPacket (a harness failure) if malformed
    frames, _ = session.ws_output()
    for frame in frames:
        if isinstance(frame, str):
            decode_text_frame(frame)
    check(session.buffered <= CONFIG.queue_limit, f"{session.buffered} bytes queued")
    if session.state is CLOSED:
        check(session.next_deadline() is None, "a closed session keeps a timer")


def _drive(session: Session, record: bytes, hold: bool, now: float) -> None:
    websocket = session.state.name == "WEBSOCKET"
    try:
        if hold and not websocket:
            session.poll_begin()
        elif websocket:
            try:
                session.receive_frame(record.decode("utf-8"), now)
            except UnicodeDecodeError:
                session.receive_frame(record, now)
        else:
            session.post(record, now)
    except EioError as exc:
        if exc.reaction.closes_session:
            check(session.state is CLOSED, f"{exc.problem} did not close the session")
    for event in session.events_received():
        if isinstance(event, MessageReceived) and session.state is not CLOSED:
            try:
                session.send_message(event.data)  # the echo testee
            except LocalProtocolError:
                check(isinstance(event.data, str) and "\x1e" in event.data, "echo refused")


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, stream = split_config(data)
    records = stream.split(b"\xff")
    for record in records:
        _check_codec(record)
    transport = Transport.WEBSOCKET if config & 1 else Transport.POLLING
    session = Session("fuzz", CONFIG, transport, 0.0)
    now = 0.0
    for index, record in enumerate(records):
        now += 0.1
        session.handle_timeout(now)
        _drive(session, record, bool(config >> 1 & 7) and index % ((config >> 1 & 7) + 1) == 0, now)
        _check_output(session)


SEEDS: dict[str, bytes] = {
    "message": b"\x00" + b"4hello",
    "batch": b"\x00" + b"4test1\x1e4test2\x1e4test3",
    "binary-base64": b"\x00" + b"4hello\x1ebAQIDBA==",
    "bad-base64": b"\x00" + b"bAQIDBA=\xff4x",
    "invalid": b"\x00" + b"abc\xff4x",
    "close": b"\x00" + b"1\xff4after",
    "pong-then-message": b"\x00" + b"3\xff4a\x1e3\xff4b",
    "client-ping": b"\x00" + b"2",
    "held-gets": b"\x06" + b"\xff4a\xff\xff4b\xff\xff",
    "websocket": b"\x01" + b"4hello\xff\x01\x02\x03\xff3\xff1",
    "websocket-bad": b"\x01" + b"4x\xffabc",
    "noop-and-open": b"\x00" + b"6\x1e0{}",
    "empty-records": b"\x00" + b"4a\x1e\x1e4b\xff\xff",
    "unicode": b"\x00" + "4€ ✓\x1e4\u0000".encode(),
    "invalid-utf8": b"\x00" + b"4\xc3\x28",
    "flood": b"\x00" + (b"4" + b"x" * 1100 + b"\xff") * 6,
}

CORPUS = Path(__file__).resolve().parent / "corpus" / "fuzz_eio_packets"


def write_seeds(folder: Path = CORPUS) -> None:
    """Write ``seed-<name>`` files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in SEEDS.items():
        (folder / f"seed-{name}").write_bytes(data)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-seeds"]:
        write_seeds()
    else:
        atheris_main(test_one_input)
