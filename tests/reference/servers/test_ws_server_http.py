"""``reference.servers.ws_upgrade.RequestReader``: the h11 side of the opening handshake, without sockets."""

from __future__ import annotations

import pytest

from reference.core.ws.handshake import Request
from reference.servers.ws_upgrade import HttpError, RequestReader

REQUEST = (
    b"GET /chat?x=1 HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"upgrade: websocket\r\n"
    b"Connection: keep-alive, Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"\r\n"
)


def test_reader_returns_the_request_with_headers_as_received() -> None:
    request = RequestReader().receive_data(REQUEST)
    assert request == Request(
        method="GET",
        target="/chat?x=1",
        http_version="1.1",
        headers=(
            ("Host", "example.com"),
            ("upgrade", "websocket"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ),
    )


def test_reader_assembles_a_request_fed_byte_by_byte() -> None:
    reader = RequestReader()
    results = [reader.receive_data(REQUEST[i : i + 1]) for i in range(len(REQUEST))]
    assert results[:-1] == [None] * (len(REQUEST) - 1)
    assert results[-1] == RequestReader().receive_data(REQUEST)


def test_reader_keeps_frames_sent_right_behind_the_request() -> None:
    reader = RequestReader()
    assert reader.receive_data(REQUEST + b"\x81\x85frame") is not None
    assert reader.trailing_data == b"\x81\x85frame"


def test_reader_refuses_a_head_over_the_limit_with_431() -> None:
    reader = RequestReader(max_head_size=1024)
    with pytest.raises(HttpError) as info:
        reader.receive_data(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 2000)
    assert info.value.status == 431


def test_reader_refuses_a_head_over_the_limit_even_when_it_arrives_whole() -> None:
    reader = RequestReader(max_head_size=len(REQUEST) - 1)
    with pytest.raises(HttpError) as info:
        reader.receive_data(REQUEST)
    assert (info.value.status, info.value.reason) == (431, f"request head too large: {len(REQUEST)} bytes, "
                                                          f"the limit is {len(REQUEST) - 1}")


def test_reader_accepts_a_head_of_exactly_the_limit_with_frames_behind_it() -> None:
    assert RequestReader(max_head_size=len(REQUEST)).receive_data(REQUEST + b"\x81" * 100) is not None


def test_reader_refuses_garbage_with_400() -> None:
    with pytest.raises(HttpError) as info:
        RequestReader().receive_data(b"\x16\x03\x01\x02\x00 not http\r\n\r\n")
    assert info.value.status == 400
    assert info.value.reason.startswith("bad request: ")


def test_reader_refuses_a_large_body_with_413() -> None:
    head = REQUEST.replace(b"\r\n\r\n", b"\r\nContent-Length: 100000\r\n\r\n")
    with pytest.raises(HttpError) as info:
        RequestReader().receive_data(head + b"x" * 100000)
    assert info.value.status == 413


def test_reader_drains_a_small_body() -> None:
    head = REQUEST.replace(b"\r\n\r\n", b"\r\nContent-Length: 3\r\n\r\n")
    request = RequestReader().receive_data(head + b"abc")
    assert request is not None
    assert ("Content-Length", "3") in request.headers


def test_reader_refuses_eof_before_the_end_of_the_head() -> None:
    reader = RequestReader()
    assert reader.receive_data(REQUEST[:20]) is None
    with pytest.raises(HttpError) as info:
        reader.receive_data(b"")
    assert info.value.status == 400


def test_switch_protocols_writes_101_with_the_given_headers() -> None:
    reader = RequestReader()
    reader.receive_data(REQUEST)
    head = reader.switch_protocols([("Upgrade", "websocket"), ("Sec-WebSocket-Accept", "abc=")])
    assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"\r\nUpgrade: websocket\r\n" in head
    assert b"\r\nSec-WebSocket-Accept: abc=\r\n" in head
    assert head.endswith(b"\r\n\r\n")


def test_switch_protocols_refuses_a_request_that_proposed_no_upgrade() -> None:
    reader = RequestReader()
    reader.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    with pytest.raises(HttpError) as info:
        reader.switch_protocols([("Upgrade", "websocket")])
    assert info.value.status == 500
    # h11 is now in its ERROR state; the error response is still written, by hand.
    response = reader.error_response(500, info.value.reason)
    assert response.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert response.endswith(b"\r\n\r\n" + info.value.reason.encode() + b"\n")


def test_error_response_carries_status_headers_and_a_text_body() -> None:
    reader = RequestReader()
    reader.receive_data(REQUEST)
    response = reader.error_response(426, "unsupported version '8'", [("Sec-WebSocket-Version", "13")])
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 426 Upgrade Required\r\n")
    assert b"\r\nSec-WebSocket-Version: 13\r\n" in head
    assert b"\r\nConnection: close" in head
    assert body == b"unsupported version '8'\n"


def test_error_response_after_a_parse_error_is_still_well_formed() -> None:
    reader = RequestReader()
    with pytest.raises(HttpError):
        reader.receive_data(b"BROKEN\r\n\r\n")
    response = reader.error_response(400, "bad request")
    assert response.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\nContent-Length: 12\r\n" in response
    assert response.endswith(b"\r\n\r\nbad request\n")
