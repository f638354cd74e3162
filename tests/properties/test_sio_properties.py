"""Properties of the Socket.IO codec and session: encode/decode round trip, and any input ends in a packet,
a wait for attachments, or a ``SioError`` (never another exception)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reference.core.sio import events as ev
from reference.core.sio.decoder import Decoder
from reference.core.sio.errors import SioError
from reference.core.sio.packets import RESERVED_EVENTS, Packet, PacketType, encode
from reference.core.sio.session import Session

T = PacketType

_scalars = st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=8) | st.floats(
    allow_nan=False, allow_infinity=False)
json_values: st.SearchStrategy[Any] = st.recursive(
    _scalars | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)
names = st.text(min_size=1, max_size=10).filter(lambda s: s not in RESERVED_EVENTS)
_nsp_chars = st.characters(blacklist_characters=",", blacklist_categories=("Cs",))
namespaces = st.just("/") | st.text(_nsp_chars, max_size=8).map(lambda s: "/" + s)
ack_ids = st.none() | st.integers(0, 2**53 - 1)


@st.composite
def packets(draw: st.DrawFn) -> Packet:
    kind = draw(st.sampled_from([T.CONNECT, T.DISCONNECT, T.EVENT, T.ACK, T.CONNECT_ERROR]))
    nsp = draw(namespaces)
    if kind is T.EVENT:
        return Packet(kind, nsp, [draw(names), *draw(st.lists(json_values, max_size=4))], draw(ack_ids))
    if kind is T.ACK:
        return Packet(kind, nsp, draw(st.lists(json_values, max_size=4)), draw(st.integers(0, 2**53 - 1)))
    if kind is T.CONNECT:
        return Packet(kind, nsp, draw(st.none() | st.dictionaries(st.text(max_size=6), _scalars, max_size=3)))
    if kind is T.CONNECT_ERROR:
        return Packet(kind, nsp, {"message": draw(st.text(max_size=10))})
    return Packet(kind, nsp)


def _has_bytes(value: Any) -> bool:
    if isinstance(value, bytes):
        return True
    if isinstance(value, list):
        return any(_has_bytes(v) for v in value)
    if isinstance(value, dict):
        return any(_has_bytes(v) for v in value.values())
    return False


@given(packets())
def test_encode_then_decode_gives_the_packet_back(packet: Packet) -> None:
    text, *attachments = encode(packet)
    assert isinstance(text, str)
    text.encode("utf-8")  # always sendable as an Engine.IO text message
    decoder = Decoder(max_attachments=64)
    got = decoder.receive_text(text)
    for data in attachments:
        assert got is None
        assert isinstance(data, bytes)
        got = decoder.receive_binary(data)
    binary = {T.EVENT: T.BINARY_EVENT, T.ACK: T.BINARY_ACK}
    expected_type = binary[packet.type] if _has_bytes(packet.data) else packet.type
    assert got == Packet(expected_type, packet.nsp, packet.data, packet.id)
    assert decoder.attachments_due == 0


@given(st.lists(st.text(max_size=30) | st.binary(max_size=8), max_size=6))
def test_decoder_meets_any_input_with_a_packet_a_wait_or_a_sio_error(inputs: list[str | bytes]) -> None:
    decoder = Decoder()
    for item in inputs:
        with contextlib.suppress(SioError):
            decoder.receive_text(item) if isinstance(item, str) else decoder.receive_binary(item)


_prefixes = st.sampled_from(["0", "0/custom,", "1", "2", "21", "3", "30", "4", "51-", "61-1", "2/custom,"])
_texts = st.tuples(_prefixes, st.sampled_from(['', '["a"]', '[]', '{}', '["a",{"_placeholder":true,"num":0}]',
                                               '[{"_placeholder":true,"num":0}]', 'x'])).map("".join)


@given(st.lists(_texts | st.binary(max_size=3), max_size=10))
def test_session_never_raises_and_fails_at_most_once_last(inputs: list[str | bytes]) -> None:
    session = Session()
    seen: list[ev.Event] = []
    for item in inputs:
        out = session.receive_text(item) if isinstance(item, str) else session.receive_binary(item)
        for event in out:
            if isinstance(event, ev.ConnectRequested):
                session.accept(event.nsp, {"sid": "s"})
        seen += out
    failures = [e for e in seen if isinstance(e, ev.SessionFailed)]
    assert len(failures) <= 1
    if failures:
        assert seen[-1] is failures[0]
        assert session.closed
