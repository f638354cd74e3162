"""The Engine.IO session state machine (reference/core/eio/session.py, states.py), sans-IO.

Time is passed in; no test sleeps. Config: pingInterval 300 ms, pingTimeout 200 ms, as the official suite.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest

from reference.core.eio.handshake import EioConfig, Transport
from reference.core.eio.reactions import EioError, Problem
from reference.core.eio.session import MessageReceived, Session, SessionClosed, Upgraded
from reference.core.eio.states import (
    CLOSED,
    ILLEGAL,
    POLLING,
    PROBING,
    TRANSITIONS,
    UPGRADING,
    WEBSOCKET,
    Trigger,
)
from reference.core.errors import LocalProtocolError

CONFIG = EioConfig(ping_interval=300, ping_timeout=200, upgrade_timeout=1000, queue_limit=1000)


def polling(now: float = 0.0) -> Session:
    session = Session("sid1", CONFIG, Transport.POLLING, now)
    session.poll_begin()
    opened = session.poll_answer()
    assert opened is not None
    assert opened.startswith("0")
    return session


def upgraded() -> Session:
    session = polling()
    session.attach_probe(0.0)
    session.receive_probe_frame("2probe")
    session.receive_probe_frame("5")
    return session


@contextlib.contextmanager
def raises(problem: Problem) -> Iterator[None]:
    """Expect an ``EioError`` for ``problem`` (and no other)."""
    with pytest.raises(EioError) as info:
        yield
    assert info.value.problem is problem


def test_handshake_get_is_answered_with_the_open_packet() -> None:
    session = Session("abc", CONFIG, Transport.POLLING, 0.0)
    session.poll_begin()
    answer = session.poll_answer()
    assert answer is not None
    assert answer[0] == "0"
    assert json.loads(answer[1:]) == {"sid": "abc", "upgrades": ["websocket"], "pingInterval": 300,
                                      "pingTimeout": 200, "maxPayload": 1_000_000}


def test_websocket_session_opens_with_no_upgrade_offered() -> None:
    session = Session("abc", CONFIG, Transport.WEBSOCKET, 0.0)
    frames, code = session.ws_output()
    assert code is None
    assert len(frames) == 1
    assert json.loads(str(frames[0])[1:])["upgrades"] == []


def test_posted_messages_are_events_and_queued_answers_are_batched() -> None:
    session = polling()
    session.post(b"4test1\x1e4test2\x1ebAQIDBA==", 0.01)
    assert session.events_received() == [MessageReceived("test1"), MessageReceived("test2"),
                                         MessageReceived(b"\x01\x02\x03\x04")]
    for data in ("test1", "test2", b"\x01\x02\x03\x04"):
        session.send_message(data)
    session.poll_begin()
    assert session.poll_answer() == "4test1\x1e4test2\x1ebAQIDBA=="


def test_get_is_held_until_there_is_something_to_send() -> None:
    session = polling()
    session.poll_begin()
    assert session.poll_answer() is None
    session.send_message("x")
    assert session.poll_answer() == "4x"
    assert session.poll_answer() is None  # no GET held any more


def test_duplicate_get_closes_the_session_and_the_first_get_gets_close() -> None:
    session = polling()
    session.poll_begin()
    with raises(Problem.DUPLICATE_GET):
        session.poll_begin()
    assert session.state is CLOSED
    assert session.poll_answer() == "1"
    assert isinstance(session.events_received()[-1], SessionClosed)
    with raises(Problem.UNKNOWN_SID):
        session.poll_begin()


def test_client_close_packet_ends_the_held_get_with_noop() -> None:
    session = polling()
    session.poll_begin()
    session.post(b"1", 0.0)
    assert session.state is CLOSED
    assert session.poll_answer() == "6"
    assert session.events_received() == [SessionClosed("client close")]


@pytest.mark.parametrize(("body", "problem"), [(b"abc", Problem.BAD_PAYLOAD), (b"\xff", Problem.BAD_PAYLOAD),
                                               (b"2", Problem.UNEXPECTED_PACKET),
                                               (b"0{}", Problem.UNEXPECTED_PACKET),
                                               (b"5", Problem.UNEXPECTED_PACKET)])
def test_bad_post_closes_the_session(body: bytes, problem: Problem) -> None:
    session = polling()
    with raises(problem):
        session.post(body, 0.0)
    assert session.state is CLOSED


def test_packets_after_a_close_in_the_same_payload_are_ignored() -> None:
    session = polling()
    session.post(b"1\x1e4late", 0.0)
    assert session.events_received() == [SessionClosed("client close")]


def test_noop_from_the_client_is_ignored() -> None:
    session = polling()
    session.post(b"6\x1e4a", 0.0)
    assert session.events_received() == [MessageReceived("a")]


def test_heartbeat_ping_every_interval_and_pong_resets_it() -> None:
    session = polling(now=10.0)
    assert session.next_deadline() == pytest.approx(10.3)
    session.handle_timeout(10.3)
    session.poll_begin()
    assert session.poll_answer() == "2"
    assert session.next_deadline() == pytest.approx(10.5)  # the pong is due
    session.post(b"3", 10.4)
    assert session.next_deadline() == pytest.approx(10.7)  # next ping one interval after the pong
    session.handle_timeout(10.7)
    assert session.state is POLLING


def test_missing_pong_closes_the_session_at_the_timeout() -> None:
    session = polling()
    session.handle_timeout(0.3)
    session.poll_begin()
    assert session.poll_answer() == "2"
    session.poll_begin()
    session.handle_timeout(0.49)
    assert session.state is POLLING
    session.handle_timeout(0.5)
    assert session.state is CLOSED
    assert session.close_reason == "ping timeout"
    assert session.poll_answer() == "1"
    assert session.next_deadline() is None


def test_upgrade_probe_then_upgrade() -> None:
    session = polling()
    session.send_message("queued")
    session.attach_probe(0.0)
    assert session.state is PROBING
    session.poll_begin()
    assert session.poll_answer() == "4queued"
    session.poll_begin()
    session.receive_probe_frame("2probe")
    assert session.state is UPGRADING
    assert session.probe_output() == (["3probe"], None)
    # README "Upgrade": the server MUST "send a `noop` packet to any pending `GET` request"
    assert session.poll_answer() == "6"
    session.receive_probe_frame("5")
    assert session.state is WEBSOCKET
    assert session.events_received() == [Upgraded()]
    session.send_message(b"\x01")
    assert session.ws_output() == ([b"\x01"], None)
    with raises(Problem.TRANSPORT_MISMATCH):
        session.poll_begin()
    with raises(Problem.ALREADY_UPGRADING):
        session.attach_probe(0.0)


@pytest.mark.parametrize("frame", ["4hello", "2", "5", "x", b"\x01"])
def test_probe_that_does_not_start_with_2probe_is_dropped(frame: str | bytes) -> None:
    session = polling()
    session.attach_probe(0.0)
    with raises(Problem.BAD_PROBE):
        session.receive_probe_frame(frame)
    assert session.state is POLLING
    assert session.probe_output() == ([], 1000)


def test_probe_that_does_not_upgrade_in_time_is_dropped() -> None:
    session = polling()
    session.attach_probe(0.0)
    session.receive_probe_frame("2probe")
    session.handle_timeout(1.0)
    assert session.state is POLLING
    assert session.probe_output() == (["3probe"], 1000)


def test_websocket_frames_and_close() -> None:
    session = upgraded()
    session.receive_frame("4hi", 0.0)
    session.receive_frame(b"\x00", 0.0)
    assert session.events_received() == [Upgraded(), MessageReceived("hi"), MessageReceived(b"\x00")]
    session.close()
    assert session.ws_output() == (["1"], 1000)


@pytest.mark.parametrize("frame", ["abc", "", "2", "0"])
def test_bad_websocket_frame_closes_the_session_with_1002(frame: str) -> None:
    session = upgraded()
    with pytest.raises(EioError):
        session.receive_frame(frame, 0.0)
    assert session.state is CLOSED
    assert session.ws_output()[1] == 1002


def test_queue_limit_closes_a_session_whose_client_does_not_fetch() -> None:
    session = polling()
    for _ in range(9):
        session.send_message("x" * 100)
    assert session.state is POLLING
    session.send_message("x" * 100)
    assert session.state is CLOSED
    assert "send queue" in str(session.close_reason)


def test_application_misuse_is_a_local_error() -> None:
    session = polling()
    with pytest.raises(LocalProtocolError, match="cannot hold"):
        session.send_message("a\x1eb")
    session.close()
    with pytest.raises(LocalProtocolError, match="cannot send a message in state CLOSED"):
        session.send_message("x")


def test_every_illegal_client_move_has_a_documented_problem() -> None:
    client_triggers = set(ILLEGAL)
    for state, moves in TRANSITIONS.items():
        for trigger in client_triggers - set(moves):
            assert trigger in ILLEGAL, (state, trigger)
    assert set(TRANSITIONS) == {POLLING, PROBING, UPGRADING, WEBSOCKET, CLOSED}
    assert not TRANSITIONS[CLOSED]
    assert all(Trigger.CLOSE in TRANSITIONS[s] for s in TRANSITIONS if s is not CLOSED)


def test_a_second_active_post_closes_the_session() -> None:
    session = polling()
    session.post_begin()
    with raises(Problem.DUPLICATE_POST):
        session.post_begin()
    assert session.state is CLOSED


def test_posts_one_after_another_are_fine() -> None:
    session = polling()
    for _ in range(3):
        session.post_begin()
        session.post(b"4a", 0.0)
        session.post_end()
    assert session.state is POLLING
