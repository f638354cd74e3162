"""Properties of the reference parser and connection, from the shared strategies (fuzz/strategies.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fuzz.strategies import Expected, chunkings, invalid_frames, valid_traffic
from reference.core.ws.events import (
    BinaryMessage,
    CloseReceived,
    ConnectionClosed,
    Event,
    PingReceived,
    PongReceived,
    TextMessage,
)
from reference.core.ws.frames import FrameParser, serialize_frame
from reference.core.ws.opcodes import Opcode
from reference.core.ws.protocol import Connection


def _expected(event: Event) -> Expected | None:
    if isinstance(event, TextMessage):
        return Expected("text", event.text)
    if isinstance(event, BinaryMessage):
        return Expected("binary", event.data)
    if isinstance(event, PingReceived):
        return Expected("ping", event.payload)
    if isinstance(event, PongReceived):
        return Expected("pong", event.payload)
    if isinstance(event, CloseReceived):
        return Expected("close", event.code, event.reason)
    return None


def _feed(pieces: list[bytes]) -> tuple[list[Expected | None], Connection]:
    conn = Connection()
    events: list[Event] = []
    for piece in pieces:
        conn.receive_data(piece)
        events.extend(conn.events_received())
    return [_expected(ev) for ev in events if not isinstance(ev, ConnectionClosed)], conn


@given(st.data())
def test_server_reports_valid_traffic_whatever_the_chunking(data: st.DataObject) -> None:
    traffic = data.draw(valid_traffic())
    pieces = data.draw(chunkings(traffic.data))
    events, conn = _feed(pieces)
    assert events == list(traffic.events)
    assert conn.failure is None


@given(st.data())
def test_parser_round_trips_every_valid_frame(data: st.DataObject) -> None:
    traffic = data.draw(valid_traffic(close=True))
    for raw in traffic.frames:
        (parsed,) = list(FrameParser(mask=True).feed(raw))
        assert serialize_frame(parsed, raw[len(raw) - len(parsed.payload) - 4:][:4]) == raw


@given(st.data())
def test_server_fails_each_violation_with_its_close_code(data: st.DataObject) -> None:
    before = data.draw(valid_traffic(close=False, max_messages=2))
    invalid = data.draw(invalid_frames())
    stream = before.data + b"".join(invalid.frames)
    events, conn = _feed(data.draw(chunkings(stream)))
    assert events == list(before.events)
    assert conn.failure is not None
    assert conn.failure.close_code == invalid.code, (invalid.rule, conn.failure)
    out = conn.data_to_send()
    assert out[-1] == b""  # then close TCP
    frames = list(FrameParser(mask=False).feed(b"".join(out)))
    closes = [fr for fr in frames if fr.opcode is Opcode.CLOSE]
    assert len(closes) == 1
    assert closes[0].payload[:2] == invalid.code.to_bytes(2, "big")
