"""The runner's Socket.IO v5 codec (conformance/wire/sio.py): the README's examples both ways, strict
decoding, bounded attachments; and docs/catalog-sio.md is the catalog's own listing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.catalog.sio.listing import render
from conformance.registry import load
from conformance.wire.eio import Packet, PacketType
from conformance.wire.sio import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    Reassembler,
    SioDecodeError,
    SioPacket,
    SioType,
    decode_header,
    encode,
)


def text(value: str) -> Packet:
    return Packet(PacketType.MESSAGE, value)


def blob(value: bytes) -> Packet:
    return Packet(PacketType.MESSAGE, value)


@pytest.mark.parametrize(("wire", "packet"), [
    ("0", SioPacket(SioType.CONNECT)),
    ('0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}',
     SioPacket(SioType.CONNECT, "/admin", {"sid": "oSO0OpakMV_3jnilAAAA"})),
    ('4{"message":"Not authorized"}', SioPacket(SioType.CONNECT_ERROR, "/", {"message": "Not authorized"})),
    ('2["foo"]', SioPacket(SioType.EVENT, "/", ["foo"])),
    ('2/admin,["bar"]', SioPacket(SioType.EVENT, "/admin", ["bar"])),
    ('212["foo"]', SioPacket(SioType.EVENT, "/", ["foo"], 12)),
    ('3/admin,13["bar"]', SioPacket(SioType.ACK, "/admin", ["bar"], 13)),
    ("1/admin,", SioPacket(SioType.DISCONNECT, "/admin")),
])
def test_the_readme_examples_decode_and_encode(wire: str, packet: SioPacket) -> None:
    assert Reassembler().feed(text(wire)) == packet
    assert encode(packet) == [text(wire)]


def test_binary_packets_wait_for_their_attachments_and_round_trip() -> None:
    r = Reassembler()
    header = '52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
    assert r.feed(text(header)) is None
    assert r.pending
    assert r.feed(blob(b"\x01\x02")) is None
    got = r.feed(blob(b"\x03\x04"))
    assert got == SioPacket(SioType.BINARY_EVENT, "/admin", ["baz", b"\x01\x02", b"\x03\x04"])
    assert not r.pending
    ack = SioPacket(SioType.ACK, "/", ["bar", b"\x01\x02\x03\x04"], 15)
    assert encode(ack) == [text('61-15["bar",{"_placeholder":true,"num":0}]'), blob(b"\x01\x02\x03\x04")]


@pytest.mark.parametrize(("wire", "why"), [
    ("7", "unknown packet type"), ("abc", "unknown packet type"), ("", "unknown packet type"),
    ('21-["x"]', "with an attachment count"), ('5["x"]', "without an attachment count"),
    (f"5{MAX_ATTACHMENTS + 1}-[]", "attachments announced"), ("0/random", "without the comma"),
    ("2{", "not JSON"), ("2[NaN]", "not JSON"), ('2abc["x"]', "not JSON"),
    ("2" + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (f"2{2**53}[]", "out of range"),
])
def test_what_is_not_socket_io_v5_is_refused(wire: str, why: str) -> None:
    with pytest.raises(SioDecodeError, match=why):
        decode_header(wire)


def test_attachments_out_of_order_or_too_large_are_refused() -> None:
    with pytest.raises(SioDecodeError, match="no binary packet"):
        Reassembler().feed(blob(b"x"))
    r = Reassembler()
    r.feed(text('51-["x",{"_placeholder":true,"num":0}]'))
    with pytest.raises(SioDecodeError, match="were due"):
        r.feed(text('2["y"]'))
    r = Reassembler()
    r.feed(text('52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'))
    with pytest.raises(SioDecodeError, match="bytes"):
        r.feed(blob(b"\0" * (MAX_ATTACHMENT_BYTES + 1)))
    for bad in ('51-["x",{"_placeholder":true,"num":1}]', '51-["x",{"_placeholder":true,"num":true}]',
                '52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]'):
        r = Reassembler()
        r.feed(text(bad))
        count = int(bad[1])
        for part in (b"a", b"b")[:count - 1]:
            r.feed(blob(part))
        with pytest.raises(SioDecodeError, match=r"placeholder|referenced"):
            r.feed(blob(b"z"))


def test_the_catalog_document_is_up_to_date() -> None:
    doc = Path(__file__).parents[3] / "docs" / "catalog-sio.md"
    assert doc.read_text() == render(), \
        "regenerate: python -m conformance.catalog.sio.listing > docs/catalog-sio.md"


def test_every_socket_io_test_of_the_protocol_suite_is_ported_once_per_transport() -> None:
    cases = load().select(["sio"], strict=True)
    suite = [c.origin for c in cases if c.origin and c.origin.startswith("sio-suite #")]
    numbers = sorted({int(o.split("#")[1].split(" ")[0]) for o in suite})
    assert numbers == list(range(1, 33))
    assert len([o for o in suite if "(" not in o]) == 32
    assert len([o for o in suite if "(polling, SIO-6)" in o]) == 16


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(max_size=8)
                    | st.binary(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.text(max_size=4).filter(lambda k: k != "_placeholder"), inner, max_size=4),
                    max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from([SioType.EVENT, SioType.ACK]), nsp=st.sampled_from(["/", "/admin", "/a b"]),
       args=st.lists(JSON, min_size=1, max_size=4), ack=st.none() | st.integers(0, 2**53 - 1))
def test_what_the_codec_encodes_it_decodes_back(kind: SioType, nsp: str, args: list[object],
                                                ack: int | None) -> None:
    packet = SioPacket(kind, nsp, args, ack if kind is SioType.EVENT else (ack or 0))
    messages = encode(packet)
    r = Reassembler()
    decoded = [r.feed(m) for m in messages]
    assert decoded[:-1] == [None] * (len(messages) - 1)
    got = decoded[-1]
    assert got is not None
    binary = len(messages) > 1
    binary_type = {SioType.EVENT: SioType.BINARY_EVENT, SioType.ACK: SioType.BINARY_ACK}[kind]
    want_type = binary_type if binary else kind
    assert (got.type, got.nsp, got.id, got.data) == (want_type, nsp, packet.id, args)
