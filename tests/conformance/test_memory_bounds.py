"""The per-connection bounds that keep the runner's memory flat with many connections at once
(docs/reports.md, "Budgets"): events and an unfinished message together, frames kept for judging, an
event stream's body, and what a case's connections drop once it is judged."""

from __future__ import annotations

from conformance.wire.httpclient import HttpExchange
from conformance.wire.httpread import MAX_STREAM_KEPT, ResponseReader
from conformance.wire.wsconn import MAX_FRAME_BYTES, MAX_HELD, WsClientConnection
from conformance.wire.wsframes import BINARY, CONT, TEXT, frame
from conformance.wire.wsrecv import Message

HEAD_101 = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


def opened(**kw: object) -> WsClientConnection:
    conn = WsClientConnection(**kw)  # type: ignore[arg-type]
    conn.connection_made("test")
    conn.send_request()
    conn.receive_data(HEAD_101)
    return conn


def srv(opcode: int, payload: bytes = b"", *, fin: bool = True) -> bytes:
    return frame(opcode, payload, fin=fin, mask=False)


def test_an_unfinished_message_after_events_counts_against_the_held_bound() -> None:
    conn = opened(max_message=100, max_held=30)
    conn.receive_data(srv(TEXT, b"a" * 20) + srv(BINARY, b"b" * 8, fin=False))
    assert conn.events == [Message.text("a" * 20)]
    assert conn.aborted == ""
    conn.receive_data(srv(CONT, b"c" * 8, fin=False))
    assert conn.aborted == "target sent more than 36 bytes in 1 events and an unfinished message"


def test_a_first_message_may_be_larger_than_the_held_bound() -> None:
    conn = opened(max_message=100, max_held=30)
    conn.receive_data(srv(TEXT, b"a" * 10, fin=False) + srv(CONT, b"b" * 60))
    assert conn.events == [Message.text("a" * 10 + "b" * 60)]
    assert conn.aborted == ""
    conn.receive_data(srv(TEXT, b"x"))
    assert conn.aborted == "target sent more than 1 events / 71 bytes"


def test_default_bounds() -> None:
    conn = opened()
    assert conn.max_held == MAX_HELD == 8 * 2**20
    for _ in range(70):
        conn.receive_data(srv(BINARY, b"p" * 16384))
    assert len(conn.events) == 70
    assert len(conn.frames) == MAX_FRAME_BYTES // 16384


def test_an_event_stream_body_is_kept_only_up_to_its_own_bound() -> None:
    reader = ResponseReader()
    reader.receive_data(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\r\n", 0.0)
    reader.receive_data(b"data: x\n\n" * (MAX_STREAM_KEPT // 4), 1.0)
    assert len(reader.body) == MAX_STREAM_KEPT
    assert reader.truncated
    json_reader = ResponseReader()
    json_reader.receive_data(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n", 0.0)
    json_reader.receive_data(b" " * (MAX_STREAM_KEPT * 2), 1.0)
    assert len(json_reader.body) == MAX_STREAM_KEPT * 2


def test_a_released_exchange_drops_its_body_and_tells_its_reader() -> None:
    ex = HttpExchange(None)  # type: ignore[arg-type]
    ex.reader.body += b"kept"
    told: list[bool] = []
    ex.on_release = lambda: told.append(True)
    ex.release()
    ex.release()
    assert ex.body == b""
    assert told == [True]
