"""Tests for reference/core/ws/protocol.py with permessage-deflate agreed (RFC 7692): RSV1 rules, inflating
fragmented messages, limits and close codes, and what the server sends."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import pytest

from reference.core.ws.deflate import DeflateParams
from reference.core.ws.frames import Frame, FrameParser, serialize_frame
from reference.core.ws.opcodes import Opcode
from reference.core.ws.protocol import (
    CLOSED,
    OPEN,
    BinaryMessage,
    Connection,
    ConnectionClosed,
    PingReceived,
    TextMessage,
)

KEY = b"\x37\xfa\x21\x3d"
TRAILER = b"\x00\x00\xff\xff"


def compress(data: bytes, compressor: zlib._Compress | None = None) -> bytes:
    comp = compressor or zlib.compressobj(6, zlib.DEFLATED, -15)
    return (comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]


def frame(opcode: Opcode, payload: bytes = b"", *, fin: bool = True, rsv1: bool = False) -> bytes:
    return serialize_frame(Frame(opcode, payload, fin, rsv1), KEY)


def deflating(**kwargs: int) -> Connection:
    return Connection(deflate=DeflateParams(), **kwargs)


def sent_frames(conn: Connection) -> list[Frame]:
    data = b"".join(chunk for chunk in conn.data_to_send() if chunk)
    parser = FrameParser(mask=False)
    parser.rsv1_allowed = True
    return list(parser.feed(data))


def failed_with(conn: Connection) -> int:
    closed = conn.events_received()[-1]
    assert isinstance(closed, ConnectionClosed)
    assert not closed.clean
    return closed.code


def whole(conn: Connection, data: bytes) -> None:
    conn.receive_data(data)


def byte_by_byte(conn: Connection, data: bytes) -> None:
    for i in range(len(data)):
        conn.receive_data(data[i : i + 1])


FEEDERS = pytest.mark.parametrize("feed", [whole, byte_by_byte], ids=["whole", "byte-by-byte"])
Feeder = Callable[[Connection, bytes], None]


@FEEDERS
def test_compressed_text_and_binary_messages_arrive_inflated(feed: Feeder) -> None:
    conn = deflating()
    text = "κόσμε, héllo ✓ " * 20
    feed(conn, frame(Opcode.TEXT, compress(text.encode()), rsv1=True)
         + frame(Opcode.BINARY, compress(b"\x00\x01" * 300), rsv1=True)
         + frame(Opcode.TEXT, b"plain", rsv1=False))  # RFC 7692 §6: RSV1 clear: not compressed
    assert conn.events_received() == [TextMessage(text), BinaryMessage(b"\x00\x01" * 300),
                                      TextMessage("plain")]
    assert conn.state is OPEN


@FEEDERS
def test_fragmented_compressed_message_with_a_ping_in_between(feed: Feeder) -> None:
    conn = deflating()
    text = ("fragmented κόσμε " * 50).encode()
    payload = compress(text)
    a, b = len(payload) // 3, 2 * len(payload) // 3
    feed(conn, frame(Opcode.TEXT, payload[:a], fin=False, rsv1=True)
         + frame(Opcode.PING, b"mid")
         + frame(Opcode.CONT, payload[a:b], fin=False)
         + frame(Opcode.CONT, payload[b:]))
    assert conn.events_received() == [PingReceived(b"mid"), TextMessage(text.decode())]
    (pong,) = sent_frames(conn)
    assert (pong.opcode, pong.rsv1) == (Opcode.PONG, False)  # RFC 7692 §6: never on control frames


def test_context_is_taken_over_between_client_messages() -> None:
    conn = deflating()
    writer = zlib.compressobj(6, zlib.DEFLATED, -15)
    message = b"takeover " * 30
    first, second = compress(message, writer), compress(message, writer)
    assert len(second) < len(first)
    conn.receive_data(frame(Opcode.BINARY, first, rsv1=True) + frame(Opcode.BINARY, second, rsv1=True))
    assert conn.events_received() == [BinaryMessage(message), BinaryMessage(message)]


def test_every_message_sent_is_one_compressed_frame_with_rsv1() -> None:
    conn = deflating()
    message = "the same message, twice " * 10
    conn.send_text(message)
    conn.send_text(message)
    conn.send_binary(b"")
    conn.send_ping(b"p")
    first, second, empty, ping = sent_frames(conn)
    assert [f.rsv1 for f in (first, second, empty, ping)] == [True, True, True, False]
    assert all(f.fin for f in (first, second, empty))
    assert len(second.payload) < len(first.payload)  # context takeover
    reader = zlib.decompressobj(-15)
    assert reader.decompress(first.payload + TRAILER) == message.encode()
    assert reader.decompress(second.payload + TRAILER) == message.encode()
    assert reader.decompress(empty.payload + TRAILER) == b""


def test_server_no_context_takeover_sends_each_message_alone() -> None:
    conn = Connection(deflate=DeflateParams(server_no_context_takeover=True))
    conn.send_text("alone " * 20)
    conn.send_text("alone " * 20)
    first, second = sent_frames(conn)
    assert first.payload == second.payload
    assert zlib.decompressobj(-15).decompress(second.payload + TRAILER) == b"alone " * 20


def test_close_frame_is_not_compressed() -> None:
    conn = deflating()
    conn.send_close(1000, "bye")
    (close,) = sent_frames(conn)
    assert (close.opcode, close.rsv1) == (Opcode.CLOSE, False)
    assert close.payload == struct.pack("!H", 1000) + b"bye"


@pytest.mark.parametrize(("data", "why"), [
    (frame(Opcode.PING, b"x", rsv1=True), "rsv1 set on a PING frame"),
    (frame(Opcode.CLOSE, b"\x03\xe8", rsv1=True), "rsv1 set on a CLOSE frame"),
    (frame(Opcode.PONG, b"", rsv1=True), "rsv1 set on a PONG frame"),
    (frame(Opcode.TEXT, compress(b"ab")[:1], fin=False, rsv1=True) + frame(Opcode.CONT, b"", rsv1=True),
     "rsv1 set on a CONT frame"),
    (frame(Opcode.TEXT, b"a", fin=False) + frame(Opcode.CONT, b"b", rsv1=True), "rsv1 set on a CONT frame"),
    (serialize_frame(Frame(Opcode.TEXT, b"x", rsv2=True), KEY), "reserved bits must be 0, got rsv=0b010"),
    (serialize_frame(Frame(Opcode.TEXT, b"x", rsv1=True, rsv3=True), KEY),
     "reserved bits must be 0, got rsv=0b101"),
])
@FEEDERS
def test_rsv_rules_fail_with_1002(feed: Feeder, data: bytes, why: str) -> None:
    conn = deflating()
    feed(conn, data)
    assert failed_with(conn) == 1002
    assert conn.failure is not None
    assert conn.failure.msg == why


def test_rsv1_without_the_extension_fails_with_1002() -> None:
    conn = Connection()
    conn.receive_data(frame(Opcode.TEXT, compress(b"hello"), rsv1=True))
    assert failed_with(conn) == 1002


@FEEDERS
def test_data_that_does_not_inflate_fails_with_1007(feed: Feeder) -> None:
    conn = deflating()
    feed(conn, frame(Opcode.BINARY, b"\xff\xfe\xfd\xfc", rsv1=True))
    assert failed_with(conn) == 1007
    assert conn.data_to_send()[-1] == b""
    assert conn.state is CLOSED


def test_invalid_utf8_inside_a_compressed_text_fails_with_1007() -> None:
    conn = deflating()
    conn.receive_data(frame(Opcode.TEXT, compress(b"ok \xff not"), rsv1=True))
    assert failed_with(conn) == 1007


def test_compressed_bytes_are_not_validated_as_text_before_inflating() -> None:
    # The compressed payload of valid text is rarely valid UTF-8; it must arrive whole, chopped or not.
    conn = deflating()
    text = "κόσμε " * 100
    payload = compress(text.encode())
    with pytest.raises(UnicodeDecodeError):
        payload.decode("utf-8")
    chopped = frame(Opcode.TEXT, payload[:10], fin=False, rsv1=True) + frame(Opcode.CONT, payload[10:])
    byte_by_byte(conn, chopped)
    assert conn.events_received() == [TextMessage(text)]


@FEEDERS
def test_a_bomb_fails_with_1009_and_holds_at_most_the_limit(feed: Feeder) -> None:
    conn = deflating(max_message_size=64 * 1024)
    bomb = compress(b"A" * 1_000_000)
    assert len(bomb) <= 1024
    feed(conn, frame(Opcode.BINARY, bomb, rsv1=True))
    assert failed_with(conn) == 1009
    assert conn.buffered_input == 0


def test_the_limit_counts_the_inflated_size_across_fragments() -> None:
    conn = deflating(max_message_size=1000)
    payload = compress(b"B" * 1001)
    conn.receive_data(frame(Opcode.BINARY, payload[:2], fin=False, rsv1=True))
    conn.receive_data(frame(Opcode.CONT, payload[2:], fin=False))
    assert failed_with(conn) == 1009


def test_a_message_of_exactly_the_limit_passes() -> None:
    conn = deflating(max_message_size=1000)
    conn.receive_data(frame(Opcode.BINARY, compress(b"C" * 1000), rsv1=True))
    assert conn.events_received() == [BinaryMessage(b"C" * 1000)]


def test_buffered_input_counts_the_inflated_size_while_assembling() -> None:
    conn = deflating()
    writer = zlib.compressobj(6, zlib.DEFLATED, -15)
    part = writer.compress(b"D" * 50_000) + writer.flush(zlib.Z_SYNC_FLUSH)
    conn.receive_data(frame(Opcode.BINARY, part, fin=False, rsv1=True))
    assert len(part) < 1000
    assert conn.buffered_input == 50_000  # what the memory budget is charged with
    conn.receive_data(frame(Opcode.CONT, b""))
    assert conn.events_received() == [BinaryMessage(b"D" * 50_000)]
    assert conn.buffered_input == 0


def test_parser_reports_rsv1_only_when_allowed_and_while_a_frame_arrives() -> None:
    wire = frame(Opcode.TEXT, b"abcdef", rsv1=True)
    parser = FrameParser()
    parser.rsv1_allowed = True
    assert list(parser.feed(wire[:-2])) == []
    assert parser.pending_rsv1
    (got,) = parser.feed(wire[-2:])
    assert (got.rsv1, got.payload) == (True, b"abcdef")
    assert not parser.pending_rsv1
    plain = FrameParser()
    plain.rsv1_allowed = True
    assert list(plain.feed(frame(Opcode.TEXT, b"x"))) == [Frame(Opcode.TEXT, b"x")]
