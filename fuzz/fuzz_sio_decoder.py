#!/usr/bin/env python3
"""Fuzz the Socket.IO decoder and binary reassembly (``reference.core.sio``), then the session and the
server fed the same messages.

Input: byte 0 configures the harness (bits 0-1: ``max_attachments`` 0, 1, 2 or 10; bit 2:
``max_attachment_bytes`` 16 instead of 10 000 000); the rest is a list of Engine.IO message payloads
separated by ``\\x1e``, a record starting with ``\\x00`` being a binary message (the rest of it) and any
other a text message (decoded as UTF-8 with replacement). Invariants:

1. ``Decoder`` raises only ``MalformedPacket`` / ``AttachmentError``, both with the CLOSE_SESSION reaction,
   and is reset after one (no attachment due);
2. it never holds more attachment bytes than ``max_attachment_bytes``;
3. every packet it completes re-encodes to as many attachments as it announced, and decodes back equal;
4. ``Session`` never raises; a ``SessionFailed`` comes at most once, last, and nothing after it; the
   session has failed by the message where the decoder failed;
5. ``Server`` with the testee's namespaces never raises; a ``CloseSession`` comes at most once and last;
   what it delivers decodes, with a fresh decoder, into complete packets.

Run: ``python fuzz/fuzz_sio_decoder.py fuzz/corpus/fuzz_sio_decoder -dict=fuzz/fuzz_sio_decoder.dict``;
``python fuzz/fuzz_sio_decoder.py --write-seeds`` (re)writes the hand-written seeds.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from fuzz._harness import atheris_main, check, split_config
from reference.core.sio import events as ev
from reference.core.sio.decoder import Decoder
from reference.core.sio.errors import AttachmentError, MalformedPacket, Reaction, SioError, reaction_for
from reference.core.sio.packets import Packet, encode
from reference.core.sio.server import CloseSession, Deliver, Server
from reference.core.sio.session import Session
from reference.core.sio.testee import build_testee_namespaces

__all__ = ["SEEDS", "messages", "test_one_input", "write_seeds"]

_MAX_ATTACHMENTS = (0, 1, 2, 10)


def messages(stream: bytes) -> list[str | bytes]:
    """The Engine.IO messages of a fuzz input (module docstring)."""
    out: list[str | bytes] = []
    for record in stream.split(b"\x1e") if stream else []:
        out.append(record[1:] if record.startswith(b"\x00") else record.decode("utf-8", "replace"))
    return out


def _count_bytes(value: object) -> int:
    if isinstance(value, bytes):
        return 1
    if isinstance(value, list):
        return sum(_count_bytes(v) for v in value)
    if isinstance(value, dict):
        return sum(_count_bytes(v) for v in value.values())
    return 0


def _decode(msgs: list[str | bytes], decoder: Decoder) -> tuple[list[Packet], int | None]:
    """The packets, and the index of the message that failed (None if none did)."""
    packets: list[Packet] = []
    for index, msg in enumerate(msgs):
        try:
            packet = decoder.receive_text(msg) if isinstance(msg, str) else decoder.receive_binary(msg)
        except (MalformedPacket, AttachmentError) as exc:
            check(reaction_for(exc) is Reaction.CLOSE_SESSION, f"{exc!r} does not close the session")
            check(decoder.attachments_due == 0, "decoder not reset after an error")
            return packets, index
        check(decoder._size <= decoder.max_attachment_bytes, f"holds {decoder._size} attachment bytes")
        if packet is not None:
            packets.append(packet)
    return packets, None


def _check_roundtrip(packet: Packet, max_attachments: int) -> None:
    text, *attachments = encode(packet)
    check(len(attachments) == _count_bytes(packet.data), f"{packet!r} re-encodes with {len(attachments)} "
                                                         "attachments")
    again = Decoder(max_attachments=max(max_attachments, len(attachments)))
    got = again.receive_text(str(text))
    for data in attachments:
        assert isinstance(data, bytes)
        got = again.receive_binary(data)
    check(got == packet, f"{packet!r} decodes back as {got!r}")


def _check_session(msgs: list[str | bytes], failed_at: int | None, max_attachments: int,
                   max_bytes: int) -> None:
    session = Session(max_attachments=max_attachments, max_attachment_bytes=max_bytes)
    for index, msg in enumerate(msgs):
        was_closed = session.closed
        out = session.receive_text(msg) if isinstance(msg, str) else session.receive_binary(msg)
        check(not (was_closed and out), f"events after the session closed: {out!r}")
        fails = [i for i, e in enumerate(out) if isinstance(e, ev.SessionFailed)]
        check(fails in ([], [len(out) - 1]), f"SessionFailed not last or twice: {out!r}")
        for event in out:
            if isinstance(event, ev.ConnectRequested):
                session.accept(event.nsp, {"sid": "s"})
        if failed_at is not None and index == failed_at:
            check(session.closed, f"the decoder failed on message {index} but the session did not")


def _check_server(msgs: list[str | bytes], max_attachments: int, max_bytes: int) -> None:
    server = Server(build_testee_namespaces(), new_id=map(str, itertools.count()).__next__,
                    max_attachments=max_attachments, max_attachment_bytes=max_bytes)
    server.open("A", 0.0)
    delivered: list[str | bytes] = []
    closes = 0
    for msg in msgs:
        check(closes == 0, "input read after CloseSession")
        if isinstance(msg, str):
            out = server.receive_text("A", msg, 0.0)
        else:
            out = server.receive_binary("A", msg, 0.0)
        for index, item in enumerate(out):
            if isinstance(item, CloseSession):
                closes += 1
                check(index == len(out) - 1, f"CloseSession not last: {out!r}")
            else:
                check(isinstance(item, Deliver) and item.eio_sid == "A", f"unexpected output {item!r}")
                delivered += item.payloads
        if closes:
            break
    reader = Decoder(max_attachments=64, max_attachment_bytes=10**9)
    for payload in delivered:
        try:
            reader.receive_text(payload) if isinstance(payload, str) else reader.receive_binary(payload)
        except SioError as exc:
            check(False, f"the server's output does not decode: {exc!r}")
    check(reader.attachments_due == 0, "the server's output ends inside a binary packet")


def test_one_input(data: bytes) -> None:
    """The harness entry point (module docstring)."""
    config, stream = split_config(data)
    max_attachments = _MAX_ATTACHMENTS[config & 3]
    max_bytes = 16 if config & 4 else 10_000_000
    msgs = messages(stream)
    decoder = Decoder(max_attachments=max_attachments, max_attachment_bytes=max_bytes)
    packets, failed_at = _decode(msgs, decoder)
    for packet in packets:
        _check_roundtrip(packet, max_attachments)
    _check_session(msgs, failed_at, max_attachments, max_bytes)
    _check_server(msgs, max_attachments, max_bytes)


PH = b'{"_placeholder":true,"num":%d}'
SEEDS: dict[str, bytes] = {
    "connect-message": b'0\x1e2["message",1,"2",{"3":[true]}]',
    "connect-auth-custom": b'0/custom,{"token":"abc"}\x1e2/custom,["message","x"]\x1e1/custom,',
    "unknown-namespace": b"0/random",
    "binary-two": (b'0\x1e52-["message",' + PH % 0 + b"," + PH % 1
                   + b"]\x1e\x00\x01\x02\x03\x1e\x00\x04\x05\x06"),
    "binary-ack": b'0\x1e52-789["message-with-ack",' + PH % 0 + b"," + PH % 1 + b"]\x1e\x00a\x1e\x00b",
    "ack": b'0\x1e2456["message-with-ack",1,"2",{"3":[false]}]',
    "count-mismatch": b'0\x1e52-["message",' + PH % 0 + b"," + PH % 1 + b']\x1e\x00x\x1e2["next"]',
    "binary-unexpected": b"0\x1e\x00\xff",
    "invalid-payload": b"0\x1e2{}",
    "invalid-ack-id": b'0\x1e2abc["message-with-ack",1]',
    "unknown-type": b"abc",
    "nested-placeholder": b'0\x1e52-["message",{"a":[' + PH % 1 + b"]}," + PH % 0 + b"]\x1e\x00A\x1e\x00B",
    "emit-with-ack": b'0/custom,\x1e2/custom,["emit-with-ack","x"]\x1e3/custom,0["y"]\x1e3/custom,0[]',
    "rooms": b'0\x1e21["join","r"]\x1e2["broadcast","r",1]\x1e2["leave","r"]\x1e2["disconnect-me"]',
    "refused": b'0/refused,\x1e0\x1e61-5[' + PH % 0 + b"]\x1e\x00z",
    "big-ack-id": b'0\x1e29007199254740991["message-with-ack"]\x1e29007199254740992["a"]',
}
CORPUS = Path(__file__).resolve().parent / "corpus" / "fuzz_sio_decoder"


def write_seeds(folder: Path = CORPUS) -> None:
    """Write ``seed-<name>`` files (config byte 3: the reference's 10 attachments, 10 MB)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, stream in SEEDS.items():
        (folder / f"seed-{name}").write_bytes(b"\x03" + stream)
    (folder / "seed-tight-bounds").write_bytes(b"\x05" + SEEDS["binary-two"])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-seeds"]:
        write_seeds()
    else:
        atheris_main(test_one_input)
