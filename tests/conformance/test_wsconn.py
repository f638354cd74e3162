"""``WsClientConnection``, the runner's sans-IO WebSocket client: phases, bounds, automatic replies and the
close bookkeeping, driven with bytes only (no sockets)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.wire.wsconn import TRANSITIONS, Phase, Trigger, WsClientConnection
from conformance.wire.wsframes import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Frame,
    FrameReader,
    close_payload,
    frame,
)
from conformance.wire.wsrecv import CloseFrame, Message, Ping, Pong

HEAD_101 = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


def srv(opcode: int, payload: bytes = b"", *, fin: bool = True) -> bytes:
    """A frame as a server sends it (unmasked)."""
    return frame(opcode, payload, fin=fin, mask=False)


def opened(**kw: object) -> WsClientConnection:
    """A connection that sent its request and read a 101."""
    conn = WsClientConnection(**kw)  # type: ignore[arg-type]
    conn.connection_made("test")
    conn.send_request()
    conn.receive_data(HEAD_101)
    assert conn.phase is Phase.OPEN
    return conn


def sent(conn: WsClientConnection) -> list[Frame]:
    """The automatic replies queued, decoded."""
    frames = FrameReader(2**20).feed(b"".join(conn.data_to_send()))
    assert all(fr.masked for fr in frames), "RFC 6455 §5.1: a client MUST mask every frame it sends"
    return frames


def feed(conn: WsClientConnection, data: bytes, size: int) -> None:
    for start in range(0, len(data), size):
        conn.receive_data(data[start:start + size])


# ---- phases -------------------------------------------------------------------------------------------

Step = Callable[[WsClientConnection], None]


def _request(c: WsClientConnection) -> None:
    c.send_request()


def _data(data: bytes) -> Step:
    return lambda c: c.receive_data(data)


def _close(c: WsClientConnection) -> None:
    c.send_close(close_payload(1000))


def _eof(c: WsClientConnection) -> None:
    c.receive_eof(False)


def _abort(c: WsClientConnection) -> None:
    c.abort("enough")


PHASES: list[tuple[str, list[Step], Phase]] = [
    ("new", [], Phase.IDLE),
    ("request sent", [_request], Phase.HANDSHAKE),
    ("bytes before the request are ignored", [_data(HEAD_101)], Phase.IDLE),
    ("101", [_request, _data(HEAD_101)], Phase.OPEN),
    ("101 in pieces", [_request, _data(HEAD_101[:10]), _data(HEAD_101[10:])], Phase.OPEN),
    ("400", [_request, _data(b"HTTP/1.1 400 Bad Request\r\n\r\n")], Phase.DONE),
    ("not http", [_request, _data(b"SSH-2.0-OpenSSH\r\n\r\n")], Phase.DONE),
    ("target close", [_request, _data(HEAD_101 + srv(CLOSE, close_payload(1001)))], Phase.CLOSING),
    ("runner close", [_request, _data(HEAD_101), _close], Phase.CLOSING),
    ("runner close before the 101", [_request, _close, _data(HEAD_101)], Phase.CLOSING),
    ("both closes", [_request, _data(HEAD_101), _close, _data(srv(CLOSE))], Phase.CLOSING),
    ("eof while idle", [_eof], Phase.DONE),
    ("eof during the handshake", [_request, _eof], Phase.DONE),
    ("eof when open", [_request, _data(HEAD_101), _eof], Phase.DONE),
    ("eof when closing", [_request, _data(HEAD_101), _close, _eof], Phase.DONE),
    ("abort when open", [_request, _data(HEAD_101), _abort], Phase.DONE),
    ("eof after a 400", [_request, _data(b"HTTP/1.1 400 Bad Request\r\n\r\n"), _eof], Phase.DONE),
]


@pytest.mark.parametrize(("steps", "phase"), [(s, p) for _, s, p in PHASES], ids=[n for n, _, _ in PHASES])
def test_phase_after(steps: list[Step], phase: Phase) -> None:
    conn = WsClientConnection()
    conn.connection_made("test")
    for step in steps:
        step(conn)
    assert conn.phase is phase
    assert conn.is_open is (phase is Phase.OPEN)


def test_the_table_lets_the_target_end_any_phase_and_done_is_final() -> None:
    assert set(TRANSITIONS) == set(Phase)
    for phase, moves in TRANSITIONS.items():
        # the target (eof) and the runner (abort) can end the connection whatever the phase
        assert (moves[Trigger.EOF], moves[Trigger.ABORT]) == (Phase.DONE, Phase.DONE), phase
    assert set(TRANSITIONS[Phase.DONE].values()) == {Phase.DONE}
    # a close frame can only be received where frames are read
    assert {p for p, m in TRANSITIONS.items() if Trigger.RECEIVE_CLOSE in m} == {Phase.OPEN, Phase.CLOSING}
    assert {p for p, m in TRANSITIONS.items() if Trigger.UPGRADE in m} == {Phase.HANDSHAKE}


@pytest.mark.parametrize("steps", [[_request], [_request, _data(HEAD_101)], [_eof]],
                         ids=["handshake", "open", "done"])
def test_a_second_request_is_an_illegal_move(steps: list[Step]) -> None:
    conn = WsClientConnection()
    for step in steps:
        step(conn)
    with pytest.raises(RuntimeError, match="cannot send the opening request in phase"):
        conn.send_request()


def test_response_heads() -> None:
    conn = WsClientConnection()
    conn.send_request()
    conn.receive_data(b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\nbody")
    assert conn.response is not None
    assert conn.response.status == 426
    assert conn.response.header("sec-websocket-version") == "13"
    garbage = WsClientConnection()
    garbage.send_request()
    garbage.receive_data(b"\x16\x03\x01\r\n\r\n")
    assert garbage.response is None
    assert "not an http status line" in garbage.handshake_error


def test_frames_after_the_head_in_the_same_read_and_extensions() -> None:
    conn = WsClientConnection()
    conn.send_request()
    head = HEAD_101[:-2] + b"Sec-WebSocket-Extensions: x-test\r\n\r\n"
    conn.receive_data(head + srv(TEXT, b"hi") + frame(TEXT, b"x", rsv1=True, mask=False))
    assert conn.events == [Message.text("hi"), Message.text("x")]
    assert conn.deviations == [], "rsv bits are not judged when an extension was negotiated"


# ---- the response head bound ---------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 7, 64, 1000])
@pytest.mark.parametrize(("head_len", "accepted"), [(63, True), (64, True), (65, False), (500, False)])
def test_head_bound_does_not_depend_on_the_reads(head_len: int, accepted: bool, size: int) -> None:
    head = b"HTTP/1.1 400 Bad\r\nX: " + b"a" * (head_len - 25) + b"\r\n\r\n"
    assert len(head) == head_len
    conn = WsClientConnection(max_head=64)
    conn.connection_made("test")
    conn.send_request()
    feed(conn, head + b"more", size)
    assert (conn.response is not None) is accepted
    if not accepted:
        assert conn.handshake_error == "response head over 64 bytes" == conn.aborted
        assert conn.tcp_closed_by == "runner"
        assert conn.phase is Phase.DONE
    assert conn.buffered == 0


def test_head_never_buffers_past_the_bound() -> None:
    conn = WsClientConnection(max_head=100)
    conn.connection_made("test")
    conn.send_request()
    for _ in range(30):
        conn.receive_data(b"HTTP/1.1 200 OK\r\nX: y\r\n")
        assert conn.buffered < 100
    assert conn.aborted == "response head over 100 bytes"


# ---- automatic replies ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("answer_pings", "runner_closed", "pongs", "events"), [
    (True, False, [b"p1", b"p2"], []),
    (False, False, [], [Ping(b"p1"), Ping(b"p2")]),
    (True, True, [], []),  # after its own close the runner sends nothing more
])
def test_pings(answer_pings: bool, runner_closed: bool, pongs: list[bytes], events: list[Ping]) -> None:
    conn = opened(answer_pings=answer_pings)
    if runner_closed:
        conn.send_close(close_payload(1000))
    conn.receive_data(srv(PING, b"p1") + srv(PONG, b"unsolicited") + srv(PING, b"p2"))
    assert [(fr.opcode, fr.payload) for fr in sent(conn)] == [(PONG, p) for p in pongs]
    assert conn.events == [*events[:1], Pong(b"unsolicited"), *events[1:]]
    assert conn.data_to_send() == [], "replies are handed out once"


@pytest.mark.parametrize(("auto", "runner_first", "target", "reply", "initiator"), [
    (True, False, close_payload(1001, "bye"), close_payload(1001), "target"),
    (True, False, b"", b"", "target"),
    (False, False, close_payload(1001), None, "target"),
    (True, True, close_payload(1000), None, "runner"),
])
def test_close_reply(auto: bool, runner_first: bool, target: bytes, reply: bytes | None,
                     initiator: str) -> None:
    conn = opened(auto_close_reply=auto)
    if runner_first:
        conn.send_close(close_payload(1000))
    conn.receive_data(srv(CLOSE, target) + srv(TEXT, b"late"))
    out = sent(conn)
    assert [fr.payload for fr in out] == ([] if reply is None else [reply])
    assert all(fr.opcode == CLOSE for fr in out)
    info = conn.close_info()
    assert info.initiator == initiator
    assert info.target_close == CloseFrame(int.from_bytes(target[:2], "big") if target else None,
                                           target[2:].decode(), target)
    assert info.runner_sent is (runner_first or reply is not None)
    assert conn.events == [], "nothing after the target's close is an event"
    assert any("after the target's close frame" in d for d in conn.deviations)
    assert conn.phase is Phase.CLOSING


# ---- bounds --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 5, 1000])
def test_a_fragmented_message_is_bounded(size: int) -> None:
    conn = opened(max_message=10)
    feed(conn, srv(TEXT, b"12345", fin=False) + srv(CONT, b"12345") + srv(BINARY, b"1234", fin=False), size)
    assert conn.events == [Message.text("1234512345")], "exactly max_message bytes is fine"
    feed(conn, srv(CONT, b"123", fin=False) + srv(CONT, b"456", fin=False), size)
    assert conn.receiver.pending == 10
    assert conn.phase is Phase.OPEN
    feed(conn, srv(CONT, b"7", fin=False), size)
    assert conn.aborted == ("target sent a fragmented message over the runner's limit of 10 bytes "
                            "(11 bytes so far)")
    assert conn.phase is Phase.DONE
    assert conn.tcp_closed_by == "runner"
    assert conn.buffered == 0
    conn.receive_data(srv(CONT, b"8"))
    assert conn.events == [Message.text("1234512345")], "nothing is read after the abort"


def test_a_frame_over_the_limit_aborts_after_the_frames_before_it() -> None:
    conn = opened(max_message=10)
    conn.receive_data(srv(TEXT, b"ok") + srv(BINARY, b"x" * 11) + b"rest")
    assert conn.events == [Message.text("ok")]
    assert conn.aborted == "target frame declares 11 bytes of payload, over the runner's limit of 10"
    assert conn.buffered == 0


@pytest.mark.parametrize(("max_events", "max_message", "messages", "kept", "reason"), [
    (3, 100, [b"a"] * 4, 3, "target sent more than 3 events / 4 bytes"),
    (100, 10, [b"0123456789"] * 5, 4, "target sent more than 4 events / 50 bytes"),
    (3, 100, [b"a"] * 3, 3, ""),
])
def test_events_are_bounded(max_events: int, max_message: int, messages: list[bytes], kept: int,
                            reason: str) -> None:
    conn = opened(max_events=max_events, max_message=max_message)
    conn.receive_data(b"".join(srv(TEXT, m) for m in messages))
    assert len(conn.events) == kept
    assert conn.aborted == reason
    assert conn.held <= 4 * max_message or reason


def test_frames_kept_are_bounded_without_aborting() -> None:
    conn = opened(max_events=2)
    conn.receive_data(srv(PING, b"1") * 5)
    assert len(conn.frames) == 2
    assert len(sent(conn)) == 5
    assert not conn.aborted
    assert conn.is_open


# ---- tcp bookkeeping -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("steps", "closed_by", "reset", "aborted", "described"), [
    ([_eof], "target", False, "", "no close frame from the target, tcp closed by target"),
    ([lambda c: c.receive_eof(True)], "target", True, "",
     "no close frame from the target, tcp reset by target"),
    ([_abort], "runner", False, "enough",
     "no close frame from the target, tcp closed by runner, runner aborted: enough"),
    ([_eof, _abort], "target", False, "enough",
     "no close frame from the target, tcp closed by target, runner aborted: enough"),
    ([_abort, _eof], "runner", False, "enough",
     "no close frame from the target, tcp closed by runner, runner aborted: enough"),
    ([_close, _data(srv(CLOSE, close_payload(1000))), _eof], "target", False, "",
     "target sent close 1000, in reply to the runner's close, tcp closed by target"),
])
def test_tcp_close_bookkeeping(steps: list[Step], closed_by: str, reset: bool, aborted: str,
                               described: str) -> None:
    conn = opened()
    for step in steps:
        step(conn)
    info = conn.close_info()
    assert (info.tcp_closed, info.tcp_closed_by) == (True, closed_by)
    assert (info.reset, info.aborted) == (reset, aborted)
    assert info.describe() == described
    conn.receive_data(srv(TEXT, b"late"))
    assert conn.events == [], "nothing is read once tcp closed"


def test_abort_before_connecting_closes_no_tcp() -> None:
    conn = WsClientConnection()
    conn.abort("never connected")
    assert (conn.tcp_closed, conn.tcp_closed_by, conn.aborted) == (False, None, "never connected")


@pytest.mark.parametrize(("received", "error"), [
    (b"", "connection closed before a response head (0 bytes)"),
    (b"HTTP/1.1 101", "connection closed before a response head (12 bytes)"),
])
def test_eof_during_the_handshake_says_why(received: bytes, error: str) -> None:
    conn = WsClientConnection()
    conn.connection_made("test")
    conn.send_request()
    conn.receive_data(received)
    conn.receive_eof(False)
    assert conn.handshake_error == error
    conn.give_up_handshake()
    assert conn.handshake_error == error, "the first reason stays"


@pytest.mark.parametrize(("eof", "error"), [
    (False, "no response head before the case timeout"),
    (True, "no response head; no close frame from the target, tcp closed by target"),
])
def test_giving_up_on_the_handshake(eof: bool, error: str) -> None:
    conn = WsClientConnection()
    conn.connection_made("test")
    if eof:
        conn.receive_eof(False)
    else:
        conn.send_request()
    conn.give_up_handshake()
    assert conn.handshake_error == error


def test_the_transcript_records_the_target_bytes_frames_and_replies() -> None:
    conn = opened()
    conn.receive_data(srv(PING, b"x"))
    texts = [e.text for e in conn.transcript.entries]
    assert texts[0] == "connected to test"
    assert "PING fin=1 masked=0 len=1" in texts
    assert "PONG (automatic answer to the target's ping)" in texts
