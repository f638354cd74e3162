"""Properties of the Engine.IO codec and session (reference/core/eio), with Hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reference.core.eio.handshake import EioConfig, Transport
from reference.core.eio.packets import (
    Packet,
    PacketType,
    decode_binary_frame,
    decode_payload,
    decode_text_frame,
    encode_frame,
    encode_payload,
)
from reference.core.eio.session import MessageReceived, Session

texts = st.text(st.characters(exclude_characters="\x1e", exclude_categories=("Cs",)), max_size=40)
text_packets = st.builds(Packet, st.sampled_from(list(PacketType)), texts)
binary_packets = st.builds(Packet, st.just(PacketType.MESSAGE), st.binary(max_size=40))
packets = st.one_of(text_packets, binary_packets)
messages = st.one_of(texts, st.binary(max_size=40))


@given(st.lists(packets, min_size=1, max_size=12))
def test_payload_round_trip(sent: list[Packet]) -> None:
    body = encode_payload(sent)
    assert decode_payload(body) == sent
    assert body.count("\x1e") == len(sent) - 1


@given(packets)
def test_frame_round_trip(packet: Packet) -> None:
    frame = encode_frame(packet)
    decoded = decode_text_frame(frame) if isinstance(frame, str) else decode_binary_frame(frame)
    assert decoded == packet


@given(st.lists(st.lists(messages, min_size=1, max_size=5), max_size=8), st.data())
def test_echo_over_polling_keeps_every_message_in_order(posts: list[list[str | bytes]],
                                                        data: st.DataObject) -> None:
    config = EioConfig(ping_interval=10**6, ping_timeout=10**6)
    session = Session("s", config, Transport.POLLING, 0.0)
    session.poll_begin()
    assert session.poll_answer() is not None  # the open packet
    received: list[str | bytes] = []
    for batch in posts:
        session.post(encode_payload([Packet(PacketType.MESSAGE, m) for m in batch]).encode(), 0.0)
        for event in session.events_received():
            assert isinstance(event, MessageReceived)
            session.send_message(event.data)
        if data.draw(st.booleans()):
            session.poll_begin()
            answer = session.poll_answer()
            assert answer is not None
            received += [p.data for p in decode_payload(answer)]
    session.poll_begin()
    answer = session.poll_answer()
    if answer is not None:
        received += [p.data for p in decode_payload(answer)]
    assert received == [m for batch in posts for m in batch]
