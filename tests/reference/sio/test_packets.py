"""The Socket.IO codec: the spec's examples both ways, and one table row per rule a packet can break."""

from __future__ import annotations

from typing import Any

import pytest

from reference.core.sio.decoder import Decoder
from reference.core.sio.errors import ApiError, AttachmentError, MalformedPacket, Reaction, reaction_for
from reference.core.sio.packets import Packet, PacketType, encode

T = PacketType
PH0 = {"_placeholder": True, "num": 0}
PH1 = {"_placeholder": True, "num": 1}

#: socket.io-protocol "Packet encoding" examples (and the official test suite's), as (text, packet).
SPEC_EXAMPLES: list[tuple[str, Packet]] = [
    ("0", Packet(T.CONNECT)),
    ('0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}', Packet(T.CONNECT, "/admin", {"sid": "oSO0OpakMV_3jnilAAAA"})),
    ('4{"message":"Not authorized"}', Packet(T.CONNECT_ERROR, "/", {"message": "Not authorized"})),
    ('2["foo"]', Packet(T.EVENT, "/", ["foo"])),
    ('2/admin,["bar"]', Packet(T.EVENT, "/admin", ["bar"])),
    ('212["foo"]', Packet(T.EVENT, "/", ["foo"], 12)),
    ('3/admin,13["bar"]', Packet(T.ACK, "/admin", ["bar"], 13)),
    ("1", Packet(T.DISCONNECT)),
    ("1/admin,", Packet(T.DISCONNECT, "/admin")),
    ('2["message",1,"2",{"3":[true]}]', Packet(T.EVENT, "/", ["message", 1, "2", {"3": [True]}])),
    ('3456[1,"2",{"3":[false]}]', Packet(T.ACK, "/", [1, "2", {"3": [False]}], 456)),
    ("3/custom,7[]", Packet(T.ACK, "/custom", [], 7)),
    ('2["ünï",{"k":null}]', Packet(T.EVENT, "/", ["ünï", {"k": None}])),
]

#: Binary examples: (text, attachments, packet as decoded).
BINARY_EXAMPLES: list[tuple[str, list[bytes], Packet]] = [
    ('51-["baz",{"_placeholder":true,"num":0}]', [b"\x01\x02\x03\x04"],
     Packet(T.BINARY_EVENT, "/", ["baz", b"\x01\x02\x03\x04"])),
    ('52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
     [b"\x01\x02", b"\x03\x04"],
     Packet(T.BINARY_EVENT, "/admin", ["baz", b"\x01\x02", b"\x03\x04"])),
    ('61-15["bar",{"_placeholder":true,"num":0}]', [b"\x01\x02\x03\x04"],
     Packet(T.BINARY_ACK, "/", ["bar", b"\x01\x02\x03\x04"], 15)),
    ('52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
     [b"\x01\x02\x03", b"\x04\x05\x06"],
     Packet(T.BINARY_EVENT, "/", ["message-with-ack", b"\x01\x02\x03", b"\x04\x05\x06"], 789)),
    ('52-["x",{"a":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":0}]', [b"A", b"B"],
     Packet(T.BINARY_EVENT, "/", ["x", {"a": [b"B"]}, b"A"])),
    ('50-["nothing"]', [], Packet(T.BINARY_EVENT, "/", ["nothing"])),
]


def decode_all(text: str, attachments: list[bytes], decoder: Decoder | None = None) -> Packet:
    decoder = decoder or Decoder()
    packet = decoder.receive_text(text)
    for index, data in enumerate(attachments):
        assert packet is None, "complete before its last attachment"
        packet = decoder.receive_binary(data)
        assert (packet is None) == (index < len(attachments) - 1)
    assert packet is not None
    return packet


@pytest.mark.parametrize(("text", "packet"), SPEC_EXAMPLES, ids=[t for t, _ in SPEC_EXAMPLES])
def test_spec_examples_decode_and_encode(text: str, packet: Packet) -> None:
    assert Decoder().receive_text(text) == packet
    assert encode(packet) == [text]


@pytest.mark.parametrize(("text", "attachments", "packet"), BINARY_EXAMPLES,
                         ids=[t for t, _, _ in BINARY_EXAMPLES])
def test_binary_examples_reassemble(text: str, attachments: list[bytes], packet: Packet) -> None:
    assert decode_all(text, attachments) == packet


def test_encoder_extracts_attachments_in_json_order() -> None:
    packet = Packet(T.EVENT, "/admin", ["baz", b"\x01\x02", {"k": bytearray(b"\x03\x04")}], 5)
    assert encode(packet) == [
        '52-/admin,5["baz",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]', b"\x01\x02",
        b"\x03\x04"]
    assert encode(Packet(T.ACK, "/", [memoryview(b"z")], 3)) == ['61-3[{"_placeholder":true,"num":0}]', b"z"]


def test_decoder_accepts_forms_the_encoder_does_not_write() -> None:
    # socket.io-protocol test #5 sends "40/random" with no trailing comma; leading zeros in ids are numbers.
    assert Decoder().receive_text("0/random") == Packet(T.CONNECT, "/random")
    assert Decoder().receive_text('2007["a"]') == Packet(T.EVENT, "/", ["a"], 7)
    assert Decoder().receive_text('2/,["a"]') == Packet(T.EVENT, "/", ["a"])
    # a placeholder-shaped object in a non-binary packet is plain data
    assert Decoder().receive_text('2["a",{"_placeholder":true,"num":0}]').data == ["a", PH0]


def test_lone_surrogate_is_escaped_so_the_text_stays_utf8() -> None:
    packet = Decoder().receive_text('2["a","\\ud800é"]')
    assert packet is not None
    (text,) = encode(packet)
    assert text == '2["a","\\ud800\\u00e9"]'
    text.encode("utf-8")
    assert Decoder().receive_text(text) == packet


#: (text, error class): one row per rule; every one of them closes the session.
BAD: list[tuple[str, type[Exception]]] = [
    ("", MalformedPacket),
    ("abc", MalformedPacket),  # suite #6 / #14 (as 4abc over Engine.IO)
    ("7", MalformedPacket),
    ("2{}", MalformedPacket),  # suite #15
    ('2abc["message-with-ack",1]', MalformedPacket),  # suite #16
    ("2", MalformedPacket),  # EVENT payload is mandatory
    ("2[]", MalformedPacket),  # non-empty
    ("2[1]", MalformedPacket),  # the event name is a string
    ('2["disconnect"]', MalformedPacket),  # reserved
    ('2"x"', MalformedPacket),
    ('2["a"', MalformedPacket),
    ('2["a"]x', MalformedPacket),
    ('2["a",NaN]', MalformedPacket),
    ('2["a",Infinity]', MalformedPacket),
    ("2" + "[" * 100_000 + "]" * 100_000, MalformedPacket),  # deeper than the parser goes
    ('2["a",' + "9" * 5000 + "]", MalformedPacket),  # longer than int() converts
    ("3[]", MalformedPacket),  # ACK without id
    ("31", MalformedPacket),  # ACK without payload
    ("31{}", MalformedPacket),
    ("0[]", MalformedPacket),  # CONNECT payload is an object
    ('0"token"', MalformedPacket),
    ("01{}", MalformedPacket),  # no ack id on CONNECT
    ("1{}", MalformedPacket),  # DISCONNECT has no payload
    ("11", MalformedPacket),
    ('4"Not authorized"', MalformedPacket),  # v5: an object
    ("4{}", MalformedPacket),  # with a message
    ('4{"message":1}', MalformedPacket),
    ('29007199254740992["a"]', MalformedPacket),  # ack id above 2**53 - 1
    ('212345678901234567["a"]', MalformedPacket),
    ('5["a"]', MalformedPacket),  # no attachment count
    ('5-["a"]', MalformedPacket),
    ('5x-["a"]', MalformedPacket),
    ("51", MalformedPacket),
    ('511-["a"]', AttachmentError),  # more than max_attachments
    ('59999999-["a"]', AttachmentError),
    ('51-["a"]', AttachmentError),  # announced 1, no placeholder
    ('51-["a",{"_placeholder":true,"num":1}]', AttachmentError),  # num out of range
    ('51-["a",{"_placeholder":true,"num":-1}]', AttachmentError),
    ('51-["a",{"_placeholder":true,"num":"0"}]', AttachmentError),
    ('51-["a",{"_placeholder":true,"num":0.0}]', AttachmentError),
    ('51-["a",{"_placeholder":true,"num":true}]', AttachmentError),
    ('51-["a",{"_placeholder":true}]', AttachmentError),
    ('52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]', AttachmentError),  # twice
    ('51-[{"_placeholder":true,"num":0}]', MalformedPacket),  # the event name cannot be binary
    ('61-[{"_placeholder":true,"num":0}]', MalformedPacket),  # BINARY_ACK without id
]


@pytest.mark.parametrize(("text", "error"), BAD, ids=[t[:40] for t, _ in BAD])
def test_malformed_text_is_refused_and_closes_the_session(text: str, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        Decoder().receive_text(text)
    assert reaction_for(caught.value) is Reaction.CLOSE_SESSION


def test_attachment_count_mismatch_is_refused() -> None:
    header = '52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
    decoder = Decoder()
    assert decoder.receive_text(header) is None
    assert decoder.receive_binary(b"1") is None
    assert decoder.attachments_due == 1
    with pytest.raises(AttachmentError, match="1 attachment"):  # SIO-3: announced 2, sent 1, then text
        decoder.receive_text('2["next"]')
    assert decoder.attachments_due == 0
    with pytest.raises(AttachmentError, match="no attachment is due"):  # announced 0 / one too many
        Decoder().receive_binary(b"\x00")


def test_attachment_bytes_are_bounded() -> None:
    decoder = Decoder(max_attachment_bytes=10)
    decoder.receive_text('52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    assert decoder.receive_binary(b"x" * 6) is None
    with pytest.raises(AttachmentError, match="larger than 10"):
        decoder.receive_binary(b"x" * 5)
    assert decoder.attachments_due == 0
    assert Decoder(max_attachments=2).receive_text('52-["a",{"_placeholder":true,"num":0},'
                                                   '{"_placeholder":true,"num":1}]') is None
    with pytest.raises(AttachmentError):
        Decoder(max_attachments=1).receive_text('52-["a"]')


BAD_TO_SEND: list[tuple[Packet, str]] = [
    (Packet(T.EVENT, "/", []), "invalid EVENT"),
    (Packet(T.EVENT, "/", ["connect"]), "invalid EVENT"),
    (Packet(T.ACK, "/", []), "without an ack id"),
    (Packet(T.CONNECT, "/", {}, 3), "ack id"),
    (Packet(T.EVENT, "admin", ["a"]), "does not start with"),
    (Packet(T.EVENT, "/a,b", ["a"]), "comma"),
    (Packet(T.EVENT, "/\ud800", ["a"]), "UTF-8"),
    (Packet(T.EVENT, "/", ["a", float("nan")]), "JSON"),
    (Packet(T.EVENT, "/", ["a", object()]), "not JSON serializable"),
    (Packet(T.CONNECT, "/", {"b": b"x"}), "binary data in a CONNECT"),
    (Packet(T.EVENT, "/", ["a"], -1), "ack id"),
]


@pytest.mark.parametrize(("packet", "match"), BAD_TO_SEND, ids=[m for _, m in BAD_TO_SEND])
def test_encoder_refuses_what_a_peer_would_refuse(packet: Packet, match: str) -> None:
    with pytest.raises(ApiError, match=match):
        encode(packet)


def test_nan_is_refused_as_json_not_as_type() -> None:
    with pytest.raises(ApiError, match="JSON compliant"):
        encode(Packet(T.EVENT, "/", ["a", float("inf")]))


def _roundtrip(data: Any) -> Any:
    text, *bins = encode(Packet(T.EVENT, "/x", ["e", data], 1))
    return decode_all(text, bins).data[1]


def test_roundtrip_keeps_nested_binary() -> None:
    value = {"a": [b"", b"\xff" * 3, {"b": b"\x00"}], "c": "d"}
    assert _roundtrip(value) == value
