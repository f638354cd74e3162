"""The runner's Engine.IO codec (conformance/wire/eio.py): packets, polling payloads, the open packet and
request targets, and what it does with input that is not Engine.IO v4 (a clear error, bounded work); the
catalog's generated case list is up to date, and ``rtconform list`` shows each case's origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.catalog.eio.listing import render
from conformance.cli import main
from conformance.registry import load
from conformance.wire.eio import (
    MAX_PACKETS,
    EioDecodeError,
    Packet,
    PacketType,
    decode_packet,
    decode_payload,
    decode_ws,
    encode_payload,
    parse_open,
    resource_for,
)

OPEN = {"sid": "abc", "upgrades": ["websocket"], "pingInterval": 300, "pingTimeout": 200, "maxPayload": 10**6}


def test_a_payload_splits_at_the_record_separator_and_decodes_base64_binary() -> None:
    packets = decode_payload(b"4hello\x1e2\x1ebAQIDBA==\x1e6")
    assert packets == [Packet(PacketType.MESSAGE, "hello"), Packet(PacketType.PING),
                       Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04"), Packet(PacketType.NOOP)]
    assert encode_payload(packets) == b"4hello\x1e2\x1ebAQIDBA==\x1e6"
    assert decode_payload("4€".encode()) == [Packet(PacketType.MESSAGE, "€")]  # UTF-8, no length prefix


@pytest.mark.parametrize(("body", "why"), [
    (b"", "empty packet"), (b"4a\x1e\x1e4b", "empty packet"), (b"abc", "unknown packet type 'a'"),
    (b"7x", "unknown packet type '7'"), (b"b!!!", "invalid base64"), (b"4\xff", "not UTF-8"),
    (b"x2:4", "unknown packet type 'x'"),
])
def test_what_is_not_a_v4_payload_is_a_clear_error(body: bytes, why: str) -> None:
    with pytest.raises(EioDecodeError, match=why):
        decode_payload(body)


def test_a_payload_of_too_many_packets_is_refused_before_it_is_split() -> None:
    with pytest.raises(EioDecodeError, match=f"more than {MAX_PACKETS}"):
        decode_payload(b"\x1e".join([b"6"] * (MAX_PACKETS + 1)))
    assert len(decode_payload(b"\x1e".join([b"6"] * MAX_PACKETS))) == MAX_PACKETS


def test_websocket_messages_binary_as_is_text_as_packets() -> None:
    assert decode_ws(b"\x01\x02", binary=True) == Packet(PacketType.MESSAGE, b"\x01\x02")
    assert decode_ws(b"3probe", binary=False) == Packet(PacketType.PONG, "probe")
    with pytest.raises(EioDecodeError, match="'b' in a text frame"):
        decode_ws(b"bAQID", binary=False)  # base64 binary is for polling only
    with pytest.raises(EioDecodeError, match="not UTF-8"):
        decode_ws(b"4\xc3", binary=False)


def test_the_open_packet_needs_every_key_with_its_type() -> None:
    opened = parse_open(decode_packet("0" + json.dumps({**OPEN, "extra": 1})))
    assert (opened.sid, opened.upgrades, opened.ping_interval, opened.ping_timeout, opened.max_payload) == (
        "abc", ("websocket",), 300, 200, 10**6)
    assert opened.keys[-1] == "extra"
    for key in OPEN:
        with pytest.raises(EioDecodeError, match=f"no '{key}'"):
            parse_open(decode_packet("0" + json.dumps({k: v for k, v in OPEN.items() if k != key})))
    for key, bad in (("pingInterval", "300"), ("pingTimeout", True), ("sid", 1), ("upgrades", [1])):
        with pytest.raises(EioDecodeError, match=key):
            parse_open(decode_packet("0" + json.dumps({**OPEN, key: bad})))
    for text in ("0[]", "0{", "4{}", "0" + " " * 70_000):
        with pytest.raises(EioDecodeError):
            parse_open(decode_packet(text))


def test_request_targets_keep_the_path_and_replace_only_the_engine_io_parameters() -> None:
    assert resource_for("/engine.io/") == "/engine.io/?EIO=4&transport=polling"
    assert resource_for("/engine.io/?token=x&EIO=3", transport="websocket", sid="s/1") == \
        "/engine.io/?token=x&EIO=4&transport=websocket&sid=s%2F1"
    assert resource_for("/socket.io/", eio=None, transport=None) == "/socket.io/"


def test_the_case_list_is_up_to_date() -> None:
    doc = Path(__file__).parents[3] / "docs" / "catalog-eio.md"
    assert doc.read_text(encoding="utf-8") == render(), \
        "regenerate: python -m conformance.catalog.eio.listing > docs/catalog-eio.md"


def test_rtconform_list_shows_every_eio_case_with_its_origin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--suite", "eio", "--strict"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"{len(load().select(['eio'], strict=True))} cases"
    assert sum("[eio-suite #" in line for line in lines) == 25  # the 24 tests; #2-#4's second halves apart
    assert any(line.startswith("eio/upgrade/polling-to-websocket ") and "[eio-suite #22]" in line
               for line in lines)


_TEXT = st.text(st.characters(blacklist_characters="\x1e", blacklist_categories=("Cs",)), max_size=40)
_PACKETS = st.lists(st.one_of(
    st.builds(Packet, st.sampled_from(list(PacketType)), _TEXT),
    st.builds(Packet, st.just(PacketType.MESSAGE), st.binary(max_size=40))), min_size=1, max_size=8)


@given(_PACKETS)
def test_payloads_round_trip(packets: list[Packet]) -> None:
    assert decode_payload(encode_payload(packets)) == packets


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_the_codec_error(body: bytes) -> None:
    try:
        packets = decode_payload(body)
    except EioDecodeError:
        return
    assert 1 <= len(packets) <= MAX_PACKETS
