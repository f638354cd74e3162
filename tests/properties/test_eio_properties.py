"""Properties of the Engine.IO codec and session (reference/core/eio), with Hypothesis."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

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
from reference.core.eio.reactions import EioError
from reference.core.eio.session import MessageReceived, Session, SessionClosed, Upgraded
from reference.core.eio.states import CLOSED, PROBING, UPGRADING, WEBSOCKET
from reference.core.errors import LocalProtocolError

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


client_records = st.one_of(
    st.lists(packets, min_size=1, max_size=4).map(lambda ps: encode_payload(
        [p for p in ps if p.type is not PacketType.CLOSE] or [Packet(PacketType.NOOP)])),
    st.sampled_from(["1", "2", "3", "5", "6", "abc", "", "bAQ=", "2probe"]),
)


class SessionMachine(RuleBasedStateMachine):
    """Any interleaving of client requests, frames, timers and application calls keeps the invariants."""

    def __init__(self) -> None:
        super().__init__()
        self.config = EioConfig(ping_interval=300, ping_timeout=200, upgrade_timeout=500, queue_limit=2000)
        self.session = Session("m", self.config, Transport.POLLING, 0.0)
        self.now = 0.0

    def _client(self, action: Callable[[], object]) -> None:
        try:
            action()
        except EioError as exc:
            if exc.reaction.closes_session:
                assert self.session.state is CLOSED

    @rule(body=client_records)
    def post(self, body: str) -> None:
        self._client(lambda: self.session.post(body.encode(), self.now))

    @rule()
    def get(self) -> None:
        self._client(self.session.poll_begin)

    @rule()
    def probe(self) -> None:
        self._client(lambda: self.session.attach_probe(self.now))

    @rule(frame=st.sampled_from(["2probe", "5", "4x", "2", "abc"]))
    def probe_frame(self, frame: str) -> None:
        if self.session.state in (PROBING, UPGRADING):
            self._client(lambda: self.session.receive_probe_frame(frame))

    @rule(frame=st.one_of(st.sampled_from(["3", "4hi", "1", "6", "0", "abc"]), st.binary(max_size=8)))
    def ws_frame(self, frame: str | bytes) -> None:
        self._client(lambda: self.session.receive_frame(frame, self.now))

    @rule(message=st.one_of(messages, st.just("a\x1eb")))
    def send(self, message: str | bytes) -> None:
        if self.session.state is CLOSED:
            return
        if isinstance(message, str) and "\x1e" in message and self.session.state is not WEBSOCKET:
            with pytest.raises(LocalProtocolError):
                self.session.send_message(message)
        else:
            self.session.send_message(message)

    @rule(step=st.floats(0.0, 0.4))
    def time_passes(self, step: float) -> None:
        self.now += step
        self.session.handle_timeout(self.now)

    @invariant()
    def outputs_are_well_formed_and_bounded(self) -> None:
        answer = self.session.poll_answer()
        if answer is not None:
            decode_payload(answer)
        frames, _ = self.session.ws_output()
        for frame in frames:
            if isinstance(frame, str):
                decode_text_frame(frame)
        assert self.session.buffered <= self.config.queue_limit
        deadline = self.session.next_deadline()
        assert (deadline is None) == (self.session.state is CLOSED)
        events = self.session.events_received()
        assert all(isinstance(e, (MessageReceived, SessionClosed, Upgraded)) for e in events)
        assert not any(isinstance(e, SessionClosed) for e in events[:-1])  # closed is the last event


TestSessionMachine = SessionMachine.TestCase
