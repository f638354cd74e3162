"""The opening handshake over a real socket: 101, and every refusal the server writes before upgrading."""

from __future__ import annotations

import socket
import time

from raw_ws_client import TEXT, RawClient, encode_frame, expected_accept, upgrade_request
from ws_server_harness import StartServer

from reference.servers.ws import WsSettings


def refusal(port: int, request: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    """Send ``request``; return status, headers, body, and whether the server then closed the socket."""
    client = RawClient.open(port)
    client.sock.sendall(request)
    response = client.read_response()
    closed = client.read_eof()
    client.close()
    return response.status, response.headers, response.body, closed


def test_server_accepts_a_valid_upgrade_with_101(start_server: StartServer) -> None:
    server = start_server()
    client = RawClient.open(server.port)
    client.sock.sendall(upgrade_request(server.port))
    response = client.read_response()
    assert response.status == 101
    assert response.headers["upgrade"].lower() == "websocket"
    assert response.headers["connection"].lower() == "upgrade"
    assert response.headers["sec-websocket-accept"] == expected_accept()
    assert "sec-websocket-protocol" not in response.headers
    client.close()


def test_server_refuses_a_missing_key_with_400_and_closes(start_server: StartServer) -> None:
    server = start_server()
    request = upgrade_request(server.port, drop=("Sec-WebSocket-Key",))
    status, headers, body, closed = refusal(server.port, request)
    assert status == 400
    assert body == b"missing sec-websocket-key\n"
    assert headers["content-type"].startswith("text/plain")
    assert closed


def test_server_refuses_an_unknown_version_with_426_and_its_version(start_server: StartServer) -> None:
    server = start_server()
    status, headers, body, closed = refusal(server.port, upgrade_request(server.port, version="8"))
    assert status == 426
    assert headers["sec-websocket-version"] == "13"
    assert b"8" in body
    assert closed


def test_server_refuses_an_origin_outside_the_allowlist_with_403(start_server: StartServer) -> None:
    server = start_server(WsSettings(origins=("https://good.example",)))
    bad = upgrade_request(server.port, extra=(("Origin", "https://evil.example"),))
    status, _, body, closed = refusal(server.port, bad)
    assert (status, closed) == (403, True)
    assert b"https://evil.example" in body
    good = RawClient.connect(server.port, extra=(("Origin", "https://good.example"),))
    good.close()


def test_server_refuses_a_request_that_is_not_http_with_400(start_server: StartServer) -> None:
    server = start_server()
    status, _, body, closed = refusal(server.port, b"HELLO THERE\r\n\r\n")
    assert (status, closed) == (400, True)
    assert body.startswith(b"bad request: ")


def test_server_refuses_a_head_over_the_limit_with_431(start_server: StartServer) -> None:
    server = start_server(WsSettings(max_head_size=2048))
    big = upgrade_request(server.port, extra=(("X-Padding", "p" * 4096),))
    status, _, _, closed = refusal(server.port, big)
    assert (status, closed) == (431, True)


def test_server_answers_408_when_the_head_does_not_arrive_in_time(start_server: StartServer) -> None:
    server = start_server(WsSettings(handshake_timeout=0.2))
    client = RawClient.open(server.port)
    client.sock.sendall(upgrade_request(server.port)[:30])
    started = time.monotonic()
    response = client.read_response()
    assert response.status == 408
    assert 0.15 < time.monotonic() - started < 3
    assert client.read_eof()
    client.close()


def test_server_chooses_a_subprotocol_in_its_own_order(start_server: StartServer) -> None:
    server = start_server(WsSettings(subprotocols=("chat.v2", "chat.v1")))
    client = RawClient.open(server.port)
    client.sock.sendall(upgrade_request(server.port, extra=(("Sec-WebSocket-Protocol", "chat.v1, chat.v2"),)))
    response = client.read_response()
    assert response.status == 101
    assert response.headers["sec-websocket-protocol"] == "chat.v2"
    client.close()


def test_server_reads_frames_sent_in_the_same_segment_as_the_request(start_server: StartServer) -> None:
    server = start_server()
    client = RawClient.open(server.port)
    client.sock.sendall(upgrade_request(server.port) + encode_frame(TEXT, b"early"))
    assert client.read_response().status == 101
    echo = client.read_frame()
    assert (echo.opcode, echo.payload, echo.fin, echo.masked) == (TEXT, b"early", True, False)
    client.close()


def test_server_over_its_limit_answers_503_before_the_upgrade(start_server: StartServer) -> None:
    server = start_server(WsSettings(max_connections=2))
    first = RawClient.connect(server.port)
    second = RawClient.connect(server.port)
    for _ in range(3):  # refused connections do not take a slot
        status, _, body, closed = refusal(server.port, upgrade_request(server.port))
        assert (status, closed) == (503, True)
        assert b"the limit is 2" in body
    first.close()
    # the slot is given back once the server has seen the socket close
    deadline = time.monotonic() + 5
    while server.call(lambda: len(server.server.connections)) > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    third = RawClient.connect(server.port)
    second.close()
    third.close()


def test_server_closes_a_connection_that_ends_mid_head(start_server: StartServer) -> None:
    server = start_server()
    client = RawClient.open(server.port)
    client.sock.sendall(upgrade_request(server.port)[:40])
    client.sock.shutdown(socket.SHUT_WR)
    assert client.read_response().status == 400
    assert client.read_eof()
    client.close()
