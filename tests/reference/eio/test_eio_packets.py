"""The Engine.IO v4 packet codec (reference/core/eio/packets.py): round trips and rejections, as tables."""

from __future__ import annotations

import pytest

from reference.core.eio.packets import (
    BadPacket,
    Packet,
    PacketType,
    decode_binary_frame,
    decode_payload,
    decode_text_frame,
    encode_frame,
    encode_payload,
)

M = PacketType.MESSAGE

#: (WebSocket text frame, packet): README "Packet encoding" examples and every type.
FRAMES = [
    ("0{\"sid\":\"x\"}", Packet(PacketType.OPEN, "{\"sid\":\"x\"}")),
    ("1", Packet(PacketType.CLOSE)),
    ("2", Packet(PacketType.PING)),
    ("2probe", Packet(PacketType.PING, "probe")),
    ("3probe", Packet(PacketType.PONG, "probe")),
    ("4hello", Packet(M, "hello")),
    ("4", Packet(M, "")),
    ("4€ \x00\x1e", Packet(M, "€ \x00\x1e")),  # one frame per packet: \x1e is just a character here
    ("5", Packet(PacketType.UPGRADE)),
    ("6", Packet(PacketType.NOOP)),
]


@pytest.mark.parametrize(("text", "packet"), FRAMES, ids=[f[0][:8] for f in FRAMES])
def test_text_frame_round_trip(text: str, packet: Packet) -> None:
    assert decode_text_frame(text) == packet
    assert encode_frame(packet) == text


def test_binary_frame_is_a_binary_message_without_prefix() -> None:
    assert decode_binary_frame(b"\x01\x02\x03\x04") == Packet(M, b"\x01\x02\x03\x04")
    assert encode_frame(Packet(M, b"\x04")) == b"\x04"
    assert decode_binary_frame(b"") == Packet(M, b"")


#: (polling payload, packets): README examples "4hello\x1e2\x1e4world" and "4hello\x1ebAQIDBA==".
PAYLOADS = [
    ("4hello\x1e2\x1e4world", [Packet(M, "hello"), Packet(PacketType.PING), Packet(M, "world")]),
    ("4hello\x1ebAQIDBA==", [Packet(M, "hello"), Packet(M, b"\x01\x02\x03\x04")]),
    ("b", [Packet(M, b"")]),
    ("4test1\x1e4test2\x1e4test3", [Packet(M, "test1"), Packet(M, "test2"), Packet(M, "test3")]),
    ("1", [Packet(PacketType.CLOSE)]),
]


@pytest.mark.parametrize(("body", "packets"), PAYLOADS, ids=[repr(p[0][:10]) for p in PAYLOADS])
def test_payload_round_trip(body: str, packets: list[Packet]) -> None:
    assert decode_payload(body) == packets
    assert encode_payload(packets) == body


#: (input, why it is refused).
BAD_PAYLOADS = [
    ("", "empty payload"),
    ("abc", "unknown packet type 'a'"),
    ("7", "unknown packet type '7'"),
    ("4a\x1e\x1e4b", "empty packet"),
    ("4a\x1e", "empty packet"),
    ("bAQID*A==", "not valid base64"),
    ("bAQIDBA=", "not valid base64"),  # wrong padding
    ("b€", "not valid base64"),
]


@pytest.mark.parametrize(("body", "why"), BAD_PAYLOADS, ids=[repr(b[0]) for b in BAD_PAYLOADS])
def test_bad_payload_is_refused_with_its_reason(body: str, why: str) -> None:
    with pytest.raises(BadPacket, match=why):
        decode_payload(body)


@pytest.mark.parametrize("text", ["", "x", "9", " 4"])
def test_bad_text_frame_is_refused(text: str) -> None:
    with pytest.raises(BadPacket):
        decode_text_frame(text)


def test_encoding_refuses_what_a_payload_cannot_frame() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        encode_payload([Packet(M, "a\x1eb")])
    with pytest.raises(ValueError, match="at least one"):
        encode_payload([])
    with pytest.raises(ValueError, match="only a message"):
        Packet(PacketType.PING, b"x")


def test_error_message_shows_a_bounded_excerpt_of_the_input() -> None:
    with pytest.raises(BadPacket) as info:
        decode_payload("x" * 10_000)
    assert "xxxx" in str(info.value)
    assert len(str(info.value)) < 120
