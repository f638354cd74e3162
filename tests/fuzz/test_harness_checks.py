"""The harnesses can fail (each invariant broken on purpose once); the bugs they found stay fixed."""

from __future__ import annotations

import pytest

from conformance.wire import httpread, wsconn
from conformance.wire.wsframes import BINARY, CLOSE, CONT, PING, TEXT, frame
from fuzz import (
    fuzz_http_reader,
    fuzz_wire_reader,
    fuzz_ws_client,
    fuzz_ws_frames,
    fuzz_ws_handshake,
    fuzz_ws_protocol,
)
from fuzz._harness import HarnessFailure
from reference.core.errors import InvalidUtf8, PayloadTooBig
from reference.core.ws.frames import FrameParser
from reference.core.ws.protocol import Connection

KEY = b"\x01\x02\x03\x04"


def test_parser_size_error_carries_1009() -> None:
    # Found by fuzz_ws_frames: PayloadTooBig from the parser carried the default close code 1002.
    parser = FrameParser(max_size=0)
    with pytest.raises(PayloadTooBig) as info:
        list(parser.feed(frame(BINARY, b"x", mask_key=KEY)))
    assert info.value.close_code == 1009
    assert InvalidUtf8("bad").close_code == 1007


def test_frames_harness_catches_a_bad_serializer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzz_ws_frames, "serialize_frame", lambda fr, key=None: b"\x82\x00")
    with pytest.raises(HarnessFailure, match="serialize_frame"):
        fuzz_ws_frames.test_one_input(b"\x00" + frame(TEXT, b"hello", mask_key=KEY))


def test_frames_harness_catches_chunking_dependence(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fuzz_ws_frames.parse
    monkeypatch.setattr(fuzz_ws_frames, "parse", lambda pieces, **kw: real(list(pieces)[:1], **kw))
    with pytest.raises(HarnessFailure, match="parse differs"):
        fuzz_ws_frames.test_one_input(b"\x00" + frame(TEXT, b"hello", mask_key=KEY))


def test_protocol_harness_catches_a_wrong_close_code(monkeypatch: pytest.MonkeyPatch) -> None:
    import reference.core.ws.protocol as protocol

    monkeypatch.setattr(protocol, "close_code_for", lambda exc: (1011, "internal error"))
    with pytest.raises(HarnessFailure, match="close code 1011"):
        fuzz_ws_protocol.test_one_input(b"\x00" + frame(3, b"", mask_key=KEY))


def test_protocol_harness_accepts_a_clean_close() -> None:
    fuzz_ws_protocol.test_one_input(b"\x08" + frame(TEXT, b"hi", mask_key=KEY) + frame(CLOSE, b"\x03\xe8",
                                                                                       mask_key=KEY))
    conn = Connection()
    conn.receive_data(frame(CLOSE, b"\x03\xe8", mask_key=KEY))
    assert conn.data_to_send() == [b"\x88\x02\x03\xe8", b""]


def test_handshake_harness_catches_a_wrong_accept_key(monkeypatch: pytest.MonkeyPatch) -> None:
    head = (b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    fuzz_ws_handshake.test_one_input(b"\x00" + head)
    monkeypatch.setattr(fuzz_ws_handshake, "accept_key", lambda key: "wrong")
    with pytest.raises(HarnessFailure, match="sec-websocket-accept"):
        fuzz_ws_handshake.test_one_input(b"\x00" + head)


def test_wire_reader_harness_catches_a_missing_deviation(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"\x03" + frame(TEXT, b"x", rsv1=True, mask=False)
    fuzz_wire_reader.test_one_input(data)
    monkeypatch.setattr(fuzz_wire_reader.Receiver, "_check_header", lambda self, fr: None)
    with pytest.raises(HarnessFailure, match="deviations"):
        fuzz_wire_reader.test_one_input(data)


#: fuzz_ws_client configuration: max_message 125, answer pings and closes, a canned 101 first.
CLIENT = bytes([0x4D])


def test_client_harness_accepts_fragments_pings_and_a_close() -> None:
    fuzz_ws_client.test_one_input(CLIENT + frame(BINARY, b"a" * 100, fin=False, mask=False)
                                  + frame(PING, b"p", mask=False) + frame(CONT, b"b" * 25, mask=False)
                                  + frame(CLOSE, b"\x03\xe8", mask=False))


def test_client_harness_catches_an_unbounded_fragmented_message(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unbounded(wsconn.WsClientConnection):
        def __init__(self, **kw: object) -> None:
            super().__init__(**kw)  # type: ignore[arg-type]
            self.receiver.max_message = None

    data = CLIENT + frame(BINARY, b"a" * 100, fin=False, mask=False) + frame(CONT, b"b" * 100, fin=False,
                                                                             mask=False)
    fuzz_ws_client.test_one_input(data)
    monkeypatch.setattr(fuzz_ws_client, "WsClientConnection", Unbounded)
    with pytest.raises(HarnessFailure, match="fragmented message held"):
        fuzz_ws_client.test_one_input(data)


def test_client_harness_catches_a_pong_that_does_not_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    real = wsconn.build_frame
    monkeypatch.setattr(wsconn, "build_frame", lambda op, payload=b"", **kw: real(op, payload + b"!", **kw))
    with pytest.raises(HarnessFailure, match="do not echo the pings"):
        fuzz_ws_client.test_one_input(CLIENT + frame(PING, b"p", mask=False))


def test_client_harness_catches_chunking_dependence(monkeypatch: pytest.MonkeyPatch) -> None:
    class DropsSingleBytes(wsconn.WsClientConnection):
        def receive_data(self, data: bytes) -> None:
            if len(data) > 1:
                super().receive_data(data)

    monkeypatch.setattr(fuzz_ws_client, "WsClientConnection", DropsSingleBytes)
    with pytest.raises(HarnessFailure, match="1-byte reads differ"):
        fuzz_ws_client.test_one_input(CLIENT + frame(TEXT, b"hi", mask=False))


def test_http_reader_harness_catches_a_body_kept_past_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"\x31HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n0123456789ab"
    fuzz_http_reader.test_one_input(data)

    def keep_everything(self: httpread.ResponseReader, body: bytes, now: float) -> None:
        self.body += body
        self.body_size += len(body)

    monkeypatch.setattr(httpread.ResponseReader, "_record", keep_everything)
    with pytest.raises(HarnessFailure, match="body bytes kept"):
        fuzz_http_reader.test_one_input(data)


def test_http_reader_harness_catches_chunking_dependence(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"\x30HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    fuzz_http_reader.test_one_input(data)
    real = httpread.Dechunker.feed
    monkeypatch.setattr(httpread.Dechunker, "feed", lambda self, d: real(self, d[:4]))  # loses bytes
    with pytest.raises(HarnessFailure, match="reads differ"):
        fuzz_http_reader.test_one_input(data)
