"""One Engine.IO session's Socket.IO state: the namespace table, acks, failures, the connect timeout."""

from __future__ import annotations

import pytest

from reference.core.sio import events as ev
from reference.core.sio.errors import ApiError
from reference.core.sio.session import Session
from reference.core.sio.states import RECEIVED, TRANSITIONS, NspState, Trigger


def connected(nsp: str = "/") -> Session:
    session = Session()
    assert session.receive_text("0" if nsp == "/" else f"0{nsp},") == [ev.ConnectRequested(nsp, {})]
    assert session.state(nsp) is NspState.CONNECTING
    assert session.accept(nsp, {"sid": "s1"}) == ['0{"sid":"s1"}' if nsp == "/" else f'0{nsp},{{"sid":"s1"}}']
    assert session.state(nsp) is NspState.CONNECTED
    return session


def test_table_has_every_state_and_no_received_move_out_of_not_connected_but_connect() -> None:
    assert set(TRANSITIONS) == set(NspState)
    moves = {t for t in TRANSITIONS[NspState.NOT_CONNECTED] if t in RECEIVED}
    assert moves == {Trigger.RECEIVE_CONNECT}
    assert Trigger.RECEIVE_CONNECT_ERROR not in {t for row in TRANSITIONS.values() for t in row}


@pytest.mark.parametrize("first", ['2["message"]', "1", '31["x"]', '4{"message":"x"}', '51-["a",'
                                   '{"_placeholder":true,"num":0}]'])
def test_anything_but_connect_first_closes(first: str) -> None:
    session = Session()
    out = session.receive_text(first)
    if first.startswith("5"):  # the header is fine; the packet is complete with its attachment
        assert out == []
        out = session.receive_binary(b"x")
    assert len(out) == 1
    assert isinstance(out[0], ev.SessionFailed)
    assert session.closed
    assert session.receive_text("0") == []  # input is no longer read


def test_refuse_leaves_the_namespace_not_connected() -> None:
    session = Session()
    session.receive_text("0/admin,")
    assert session.refuse("/admin", "Not authorized", {"x": 1}) == [
        '4/admin,{"message":"Not authorized","data":{"x":1}}']
    assert session.state("/admin") is NspState.NOT_CONNECTED
    assert isinstance(session.receive_text('2/admin,["a"]')[-1], ev.SessionFailed)


def test_connect_twice_closes() -> None:
    session = connected()
    assert session.receive_text("0") == [ev.Disconnected("/", by_peer=False), ev.SessionFailed(
        "cannot receive CONNECT on namespace '/' in state connected")]


def test_events_acks_and_disconnect_per_namespace() -> None:
    session = connected()
    session.receive_text("0/custom,")
    session.accept("/custom", {"sid": "s2"})
    assert session.receive_text('2/custom,9["hi",1]') == [ev.EventReceived("/custom", "hi", [1], 9)]
    assert session.ack("/custom", 9, [b"\x01"]) == ['61-/custom,9[{"_placeholder":true,"num":0}]', b"\x01"]
    assert session.receive_text("1/custom,") == [ev.Disconnected("/custom", by_peer=True)]
    assert session.connected == ["/"]  # SIO-4: the other namespace stays
    assert session.receive_text('2["still"]') == [ev.EventReceived("/", "still", [], None)]
    with pytest.raises(ApiError):
        session.emit("/custom", "x", [])


def test_server_acks_resolve_once_and_unknown_ids_are_ignored() -> None:
    session = connected()
    ack_id, out = session.emit("/", "q", [1], with_ack=True)
    assert (ack_id, out) == (0, ['20["q",1]'])
    assert session.emit("/", "q", [], with_ack=True)[0] == 1
    assert session.receive_text("37[]") == []  # never sent: ignored
    assert session.receive_text('30["a"]') == [ev.AckReceived("/", 0, ["a"])]
    assert session.receive_text('30["a"]') == []  # already resolved: ignored
    assert session.receive_text('61-1[{"_placeholder":true,"num":0}]') == []
    assert session.receive_binary(b"\x07") == [ev.AckReceived("/", 1, [b"\x07"])]
    assert not session.closed


def test_pending_acks_are_bounded() -> None:
    session = Session(max_pending_acks=2)
    session.receive_text("0")
    session.accept("/", {"sid": "s"})
    for _ in range(3):
        session.emit("/", "q", [], with_ack=True)
    assert session.receive_text("30[]") == []  # the oldest was forgotten
    assert session.receive_text("32[]") == [ev.AckReceived("/", 2, [])]


def test_server_disconnect_then_events_for_it_close() -> None:
    session = connected("/custom")
    assert session.disconnect("/custom") == ["1/custom,"]
    assert isinstance(session.receive_text('2/custom,["a"]')[-1], ev.SessionFailed)


def test_failure_disconnects_every_namespace_then_fails_last() -> None:
    session = connected()
    out = session.receive_text("2{}")
    assert out[0] == ev.Disconnected("/", by_peer=False)
    assert isinstance(out[1], ev.SessionFailed)
    assert "invalid EVENT payload" in out[1].reason
    assert session.failure is not None


def test_transport_closed() -> None:
    session = connected()
    assert session.transport_closed() == [ev.Disconnected("/", by_peer=False)]
    assert session.transport_closed() == []
    assert session.receive_text('2["a"]') == []


def test_connect_timeout() -> None:
    session = Session(now=100.0, connect_timeout=1.0)
    assert session.next_deadline() == 101.0
    assert session.handle_timeout(100.5) == []
    assert session.handle_timeout(101.0) == [
        ev.SessionFailed("no namespace connected within the connect timeout")]
    ok = Session(now=0.0, connect_timeout=1.0)
    ok.receive_text("0")
    ok.accept("/", {"sid": "s"})
    assert ok.handle_timeout(5.0) == []
    assert ok.next_deadline() is None
    assert not ok.closed


def test_api_errors_leave_the_state_alone() -> None:
    session = Session()
    with pytest.raises(ApiError):
        session.accept("/", {"sid": "s"})  # no CONNECT pending
    session.receive_text("0")
    with pytest.raises(ApiError):
        session.emit("/", "connect", [])  # reserved, refused before the state moves
    assert session.state("/") is NspState.CONNECTING


def test_emit_encoded_moves_the_state_like_emit() -> None:
    session = connected()
    assert session.emit_encoded("/", ['2["pre-encoded"]']) == ['2["pre-encoded"]']
    with pytest.raises(ApiError):
        session.emit_encoded("/custom", ['2/custom,["x"]'])
