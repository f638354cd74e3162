"""The server object: the official test suite's Socket.IO tests (without Engine.IO's ``4`` prefix), the
gap cases' handlers, acks both ways, rooms across sessions, and connection state recovery."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from reference.core.sio.errors import ApiError
from reference.core.sio.recovery import Recovery
from reference.core.sio.server import CloseSession, Deliver, Namespace, Output, Server
from reference.core.sio.testee import MAX_ROOMS, build_testee_namespaces


def ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"id{next(counter)}"


def make(**kw: Any) -> Server:
    server = Server(build_testee_namespaces(), new_id=ids(), **kw)
    for eio in ("A", "B", "C"):
        server.open(eio, 0.0)
    return server


def sent(out: list[Output], eio: str = "A") -> list[str | bytes]:
    return [p for o in out if isinstance(o, Deliver) and o.eio_sid == eio for p in o.payloads]


def closed(out: list[Output]) -> list[str]:
    return [o.eio_sid for o in out if isinstance(o, CloseSession)]


# -- socket.io-protocol/test-suite, the Socket.IO part (numbers as in protocol-test-matrix.md §2.4) -----


@pytest.mark.parametrize(("connect", "answer_prefix", "auth"), [
    ("0", "0", '2["auth",{}]'),  # 1
    ('0{"token":"123"}', "0", '2["auth",{"token":"123"}]'),  # 2
    ("0/custom,", "0/custom,", '2/custom,["auth",{}]'),  # 3
    ('0/custom,{"token":"abc"}', "0/custom,", '2/custom,["auth",{"token":"abc"}]'),  # 4
])
def test_suite_connect(connect: str, answer_prefix: str, auth: str) -> None:
    out = sent(make().receive_text("A", connect, 0.0))
    assert len(out) == 2
    answer = out[0]
    assert isinstance(answer, str)
    assert answer.startswith(answer_prefix)
    body = json.loads(answer[len(answer_prefix):])
    assert list(body) == ["sid"]
    assert isinstance(body["sid"], str)
    assert out[1] == auth


def test_suite_5_unknown_namespace() -> None:
    assert sent(make().receive_text("A", "0/random", 0.0)) == ['4/random,{"message":"Invalid namespace"}']


@pytest.mark.parametrize("text", ["abc", "2{}", '2abc["message-with-ack",1,"2",{"3":[false]}]'])
def test_suite_6_14_15_16_invalid_input_closes(text: str) -> None:
    server = make()
    if text != "abc":
        server.receive_text("A", "0", 0.0)
    assert closed(server.receive_text("A", text, 0.0)) == ["A"]
    assert server.receive_text("A", "0", 0.0) == []  # the rest of a polling batch: dropped
    assert server.transport_closed("A", 0.0) == []
    with pytest.raises(ApiError):
        server.receive_text("A", "0", 0.0)  # forgotten


def test_suite_7_no_handshake_closes() -> None:
    server = Server(build_testee_namespaces(), connect_timeout=1.0, new_id=ids())
    server.open("A", 10.0)
    assert server.next_deadline() == 11.0
    assert closed(server.handle_timeout(11.0)) == ["A"]


def test_suite_8_disconnect_sends_nothing() -> None:
    server = make()
    server.receive_text("A", "0", 0.0)
    assert server.receive_text("A", "1", 0.0) == []
    assert server.sockets("/") == {}


def test_suite_9_custom_disconnect_keeps_main() -> None:
    server = make()
    server.receive_text("A", "0", 0.0)
    assert sent(server.receive_text("A", "0/custom", 0.0))[1] == '2/custom,["auth",{}]'
    assert server.receive_text("A", "1/custom", 0.0) == []
    out = sent(server.receive_text("A", '2["message","message to main namespace"]', 0.0))
    assert out == ['2["message-back","message to main namespace"]']


def test_suite_10_to_13_messages_and_acks() -> None:
    server = make()
    server.receive_text("A", "0", 0.0)
    assert sent(server.receive_text("A", '2["message",1,"2",{"3":[true]}]', 0.0)) == [
        '2["message-back",1,"2",{"3":[true]}]']
    ph = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}'
    assert server.receive_text("A", f'52-["message",{ph}]', 0.0) == []
    assert server.receive_binary("A", b"\x01\x02\x03", 0.0) == []
    assert sent(server.receive_binary("A", b"\x04\x05\x06", 0.0)) == [
        f'52-["message-back",{ph}]', b"\x01\x02\x03", b"\x04\x05\x06"]
    assert sent(server.receive_text("A", '2456["message-with-ack",1,"2",{"3":[false]}]', 0.0)) == [
        '3456[1,"2",{"3":[false]}]']
    server.receive_text("A", f'52-789["message-with-ack",{ph}]', 0.0)
    server.receive_binary("A", b"\x01\x02\x03", 0.0)
    assert sent(server.receive_binary("A", b"\x04\x05\x06", 0.0)) == [
        f"62-789[{ph}]", b"\x01\x02\x03", b"\x04\x05\x06"]


# -- gap cases' handlers -------------------------------------------------------------------------------


def test_sio1_server_emits_with_ack_and_gets_the_answer() -> None:
    server = make()
    server.receive_text("A", "0/custom,", 0.0)
    assert sent(server.receive_text("A", '2/custom,["emit-with-ack","x"]', 0.0)) == [
        '2/custom,0["ack-request","x"]']
    assert sent(server.receive_text("A", "3/custom,0[]", 0.0)) == ['2/custom,["ack-response"]']
    assert server.receive_text("A", "3/custom,0[]", 0.0) == []  # resolved once; a repeat is ignored
    server.receive_text("A", '2/custom,["emit-with-ack"]', 0.0)
    server.receive_text("A", '61-/custom,1[{"_placeholder":true,"num":0}]', 0.0)
    assert sent(server.receive_binary("A", b"\xfe", 0.0)) == [
        '51-/custom,["ack-response",{"_placeholder":true,"num":0}]', b"\xfe"]


def test_sio2_refusing_namespace() -> None:
    out = sent(make().receive_text("A", "0/refused,", 0.0))
    assert out == ['4/refused,{"message":"Not authorized","data":{"reason":"testee"}}']


def test_sio5_disconnect_me() -> None:
    server = make()
    server.receive_text("A", "0", 0.0)
    server.receive_text("A", "0/custom,", 0.0)
    assert sent(server.receive_text("A", '2/custom,["disconnect-me"]', 0.0)) == ["1/custom,"]
    assert sent(server.receive_text("A", '2["message",1]', 0.0)) == ['2["message-back",1]']


def test_ack_after_disconnect_is_dropped() -> None:
    kept = []
    nsp = Namespace("/")
    nsp.on("later", lambda socket, args, ack: kept.append(ack))
    server = Server([nsp], new_id=ids())
    server.open("A", 0.0)
    server.receive_text("A", "0", 0.0)
    server.receive_text("A", '25["later"]', 0.0)
    server.receive_text("A", "1", 0.0)
    kept[0]("x")
    assert server.take_output() == []
    with pytest.raises(ApiError):
        kept[0]("again")


# -- rooms ---------------------------------------------------------------------------------------------


def test_rooms_broadcast_to_room_except_sender() -> None:
    server = make()
    for eio in "ABC":
        server.receive_text(eio, "0", 0.0)
    assert sent(server.receive_text("A", '21["join","r"]', 0.0), "A") == ['31["r"]']
    server.receive_text("B", '2["join","r"]', 0.0)
    out = server.receive_text("A", '2["broadcast","r",1,{"k":"v"}]', 0.0)
    assert sent(out, "A") == []
    assert sent(out, "B") == ['2["broadcast-back",1,{"k":"v"}]']
    assert sent(out, "C") == []
    server.receive_text("B", '2["leave","r"]', 0.0)
    out = server.receive_text("A", '2["broadcast","r",2]', 0.0)
    assert out == []
    server.receive_text("C", '2["join","r"]', 0.0)
    out = server.receive_text("B", '2["broadcast","r","x"]', 0.0)
    assert (sent(out, "A"), sent(out, "C")) == (['2["broadcast-back","x"]'], ['2["broadcast-back","x"]'])


def test_rooms_are_per_namespace_and_emptied_on_disconnect() -> None:
    server = make()
    server.receive_text("A", "0", 0.0)
    server.receive_text("A", "0/custom,", 0.0)
    server.receive_text("B", "0/custom,", 0.0)
    server.receive_text("A", '2["join","r"]', 0.0)
    assert sent(server.receive_text("B", '2/custom,["broadcast","r","x"]', 0.0), "A") == []
    assert server.room_members("/", "r") == {"id2"}
    server.transport_closed("A", 1.0)
    assert server.room_members("/", "r") == set()
    assert set(server.sockets("/custom")) == {"id4"}


def test_server_wide_emit_with_binary() -> None:
    server = make()
    server.receive_text("A", "0", 0.0)
    server.receive_text("B", "0", 0.0)
    out = server.emit("/", "news", b"\x00")
    assert sent(out, "A") == sent(out, "B") == ['51-["news",{"_placeholder":true,"num":0}]', b"\x00"]


# -- connection state recovery --------------------------------------------------------------------------


def recovering() -> Server:
    return make(recovery=Recovery(window=60.0, max_packets=50))


def connect_payload(out: list[Output], eio: str) -> dict[str, Any]:
    first = sent(out, eio)[0]
    assert isinstance(first, str)
    return dict(json.loads(first[1:]))


def last_offset(payloads: list[str | bytes]) -> str:
    text = payloads[-1]
    assert isinstance(text, str)
    return str(json.loads(text[1:])[-1])


def test_recovery_replays_missed_packets_once() -> None:
    server = recovering()
    hello = connect_payload(server.receive_text("A", "0", 0.0), "A")
    assert set(hello) == {"sid", "pid"}
    server.receive_text("A", '2["join","r"]', 0.0)
    server.receive_text("B", "0", 0.0)
    got = sent(server.receive_text("B", '2["broadcast","r","one"]', 1.0), "A")
    assert str(got[0]).startswith('2["broadcast-back","one","')
    offset = last_offset(got)
    server.transport_closed("A", 2.0)  # the transport drops
    server.receive_text("B", '2["broadcast","r","two"]', 3.0)  # missed
    server.emit("/", "to-all", 3)  # missed
    server.emit("/", "elsewhere", rooms=["other"])  # not for A's rooms
    server.open("A2", 4.0)
    out = sent(server.receive_text("A2", json.dumps({"pid": hello["pid"], "offset": offset}).join(["0", ""]),
                                   5.0), "A2")
    again = json.loads(str(out[0])[1:])
    assert again == hello  # the same sid and pid
    replayed = [json.loads(str(p)[1:])[:-1] for p in out[1:3]]
    assert replayed == [["broadcast-back", "two"], ["to-all", 3]]
    assert str(out[3]).startswith('2["auth",{"pid"')  # on_connect runs after the replay
    assert server.room_members("/", "r") == {hello["sid"]}
    # a second reconnect with the same pid gets a fresh session: the replay happened once
    server.transport_closed("A2", 6.0, recoverable=False)
    server.open("A3", 7.0)
    retry = "0" + json.dumps({"pid": hello["pid"], "offset": offset})
    fresh = connect_payload(server.receive_text("A3", retry, 7.0), "A3")
    assert fresh["sid"] != hello["sid"]


def test_recovery_outside_the_window_gives_a_fresh_session() -> None:
    server = recovering()
    hello = connect_payload(server.receive_text("A", "0", 0.0), "A")
    offset = last_offset(sent(server.emit("/", "x"), "A"))
    server.transport_closed("A", 1.0)
    server.open("A2", 100.0)
    out = server.receive_text("A2", "0" + json.dumps({"pid": hello["pid"], "offset": offset}), 100.0)
    assert connect_payload(out, "A2")["sid"] != hello["sid"]
    assert len(sent(out, "A2")) == 2  # CONNECT and auth only: nothing replayed


def test_recovery_not_after_a_disconnect_on_purpose_nor_with_an_unknown_offset() -> None:
    server = recovering()
    hello = connect_payload(server.receive_text("A", "0", 0.0), "A")
    offset = last_offset(sent(server.emit("/", "x"), "A"))
    server.receive_text("A", "1", 1.0)  # the client left
    server.receive_text("A", "0" + json.dumps({"pid": hello["pid"], "offset": offset}), 2.0)
    assert server.sockets("/").keys() != {hello["sid"]}
    server2 = recovering()
    hello = connect_payload(server2.receive_text("A", "0", 0.0), "A")
    server2.transport_closed("A", 1.0)
    server2.open("A2", 2.0)
    out = server2.receive_text("A2", "0" + json.dumps({"pid": hello["pid"], "offset": "nope"}), 2.0)
    assert connect_payload(out, "A2")["sid"] != hello["sid"]


def test_recovery_history_is_bounded() -> None:
    server = make(recovery=Recovery(window=60.0, max_packets=3, max_sessions=2))
    hello = connect_payload(server.receive_text("A", "0", 0.0), "A")
    offset = last_offset(sent(server.emit("/", "x"), "A"))
    server.transport_closed("A", 1.0)
    for n in range(3):  # pushes the packet at the client's offset out of the history
        server.emit("/", "n", n)
    server.open("A2", 2.0)
    out = server.receive_text("A2", "0" + json.dumps({"pid": hello["pid"], "offset": offset}), 2.0)
    assert connect_payload(out, "A2")["sid"] != hello["sid"]
    server.receive_text("B", "0", 3.0)
    server.receive_text("C", "0", 3.0)
    for eio in ("A2", "B", "C"):  # three dropped sessions, at most two are kept
        server.transport_closed(eio, 3.0)
    assert server._store is not None
    assert len(server._store.kept) == 2
    server.handle_timeout(3.0 + 61.0)
    assert not server._store.kept
    assert not any(server._store.history.values())


def test_an_emit_that_cannot_be_encoded_is_not_recorded() -> None:
    server = recovering()
    server.receive_text("A", "0", 0.0)
    assert server._store is not None
    assert [s.args[0] for s in server._store.history["/"]] == ["auth"]
    with pytest.raises(ApiError):
        server.emit("/", "bad", object())
    assert [s.args[0] for s in server._store.history["/"]] == ["auth"]


def test_the_testee_bounds_the_rooms_a_peer_can_join() -> None:
    server = make()
    server.receive_text("A", "0", 0.0)
    for n in range(MAX_ROOMS - 1):  # the socket's own room counts
        assert sent(server.receive_text("A", f'21["join","r{n}"]', 0.0)) == [f'31["r{n}"]']
    assert sent(server.receive_text("A", '21["join","one-too-many"]', 0.0)) == ["31[]"]
    assert server.room_members("/", "one-too-many") == set()
    assert sent(server.receive_text("A", '21["join","r0"]', 0.0)) == ['31["r0"]']  # already in: fine
