"""An open connection over a real socket: echo, control frames, timers, and closing, all through the pump."""

from __future__ import annotations

import socket
import struct
import threading
import time

from raw_ws_client import BINARY, CLOSE, PING, PONG, TEXT, RawClient, close_payload, encode_frame
from ws_server_harness import StartServer

from reference.servers.ws import WsSettings


def test_server_echoes_text_and_binary_with_the_same_opcode(start_server: StartServer) -> None:
    server = start_server()
    client = RawClient.connect(server.port)
    client.send_frame(TEXT, "ünïcode ✓".encode())
    client.send_frame(BINARY, bytes(range(256)) * 300)  # 76,800 bytes: a 64-bit length on the way back
    text, binary = client.read_frame(), client.read_frame()
    assert (text.opcode, text.payload.decode(), text.fin, text.masked) == (TEXT, "ünïcode ✓", True, False)
    assert (binary.opcode, binary.payload) == (BINARY, bytes(range(256)) * 300)
    client.close()


def test_server_echoes_a_fragmented_message_as_one_message(start_server: StartServer) -> None:
    server = start_server()
    client = RawClient.connect(server.port)
    client.send_frame(TEXT, b"frag", fin=False)
    client.send_frame(PING, b"in between")  # control frames may come between fragments (RFC 6455 §5.4)
    client.send_frame(0x0, b"men", fin=False)
    client.send_frame(0x0, b"ted", fin=True)
    pong, echo = client.read_frame(), client.read_frame()
    assert (pong.opcode, pong.payload) == (PONG, b"in between")
    assert (echo.opcode, echo.payload, echo.fin) == (TEXT, b"fragmented", True)
    client.close()


def test_server_echoes_a_message_that_arrives_with_the_close_in_one_read(start_server: StartServer) -> None:
    # Autobahn 7.1.1 with both frames in one TCP segment: the echo goes out before the answering Close.
    server = start_server()
    client = RawClient.connect(server.port)
    client.sock.sendall(encode_frame(TEXT, b"last words") + encode_frame(CLOSE, close_payload(1000, "")))
    echo, reply = client.read_frame(), client.read_frame()
    assert (echo.opcode, echo.payload) == (TEXT, b"last words")
    assert (reply.opcode, reply.payload[:2]) == (CLOSE, struct.pack("!H", 1000))
    assert client.read_eof()


def test_server_answers_a_message_that_arrives_with_bad_input_in_one_read(start_server: StartServer) -> None:
    # Autobahn 3.2 with both frames in one TCP segment: the echo, then the failing Close (strict "OK").
    server = start_server()
    client = RawClient.connect(server.port)
    rsv1_text = bytearray(encode_frame(TEXT, b"bad"))
    rsv1_text[0] |= 0x40
    client.sock.sendall(encode_frame(TEXT, b"good") + bytes(rsv1_text))
    echo, close = client.read_frame(), client.read_frame()
    assert (echo.opcode, echo.payload) == (TEXT, b"good")
    assert (close.opcode, close.payload[:2]) == (CLOSE, struct.pack("!H", 1002))
    assert client.read_eof()


def test_server_sends_nothing_unsolicited_by_default(start_server: StartServer) -> None:
    server = start_server()
    client = RawClient.connect(server.port)
    client.sock.settimeout(0.3)
    try:
        unsolicited = client.sock.recv(1)
    except TimeoutError:
        unsolicited = None
    assert unsolicited is None
    client.close()


def test_server_completes_the_closing_handshake_and_closes_tcp_first(start_server: StartServer) -> None:
    server = start_server()
    client = RawClient.connect(server.port)
    client.send_frame(CLOSE, close_payload(1000, "bye"))
    reply = client.read_frame()
    assert (reply.opcode, reply.payload[:2]) == (CLOSE, struct.pack("!H", 1000))
    assert client.read_eof()  # the server half-closed first (RFC 6455 §7.1.1) and now drains our side
    client.close()
    deadline = time.monotonic() + 1.0  # our FIN ends the server's lingering at once, well within its 2 s
    while server.call(lambda: server.server.connections) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.call(lambda: server.server.connections) == []  # the socket is gone and forgotten


def test_server_fails_an_unmasked_frame_with_1002_and_closes(start_server: StartServer) -> None:
    server = start_server()
    client = RawClient.connect(server.port)
    client.sock.sendall(b"\x81\x05hello")  # FIN=1 op=TEXT, MASK=0 len=5: RFC 6455 §5.1 requires a mask
    reply = client.read_frame()
    assert (reply.opcode, reply.payload[:2]) == (CLOSE, struct.pack("!H", 1002))
    assert client.read_eof()
    client.close()


def test_server_keepalive_pings_and_drops_a_peer_that_never_pongs(start_server: StartServer) -> None:
    server = start_server(WsSettings(keepalive_interval=0.1, pong_timeout=0.2))
    client = RawClient.connect(server.port)
    ping = client.read_frame()
    assert ping.opcode == PING
    started = time.monotonic()
    assert client.read_eof()  # no pong: dropped without a closing handshake
    assert 0.1 < time.monotonic() - started < 3
    client.close()


def test_server_keepalive_keeps_a_peer_that_pongs(start_server: StartServer) -> None:
    server = start_server(WsSettings(keepalive_interval=0.1, pong_timeout=0.2))
    client = RawClient.connect(server.port)
    for _ in range(3):
        ping = client.read_frame()
        assert ping.opcode == PING
        client.send_frame(PONG, ping.payload)
    client.send_frame(TEXT, b"still here")
    while (frame := client.read_frame()).opcode == PING:
        client.send_frame(PONG, frame.payload)
    assert (frame.opcode, frame.payload) == (TEXT, b"still here")
    client.close()


def test_server_closes_an_idle_connection_with_1001(start_server: StartServer) -> None:
    server = start_server(WsSettings(idle_timeout=0.2))
    client = RawClient.connect(server.port)
    started = time.monotonic()
    close = client.read_frame()
    assert (close.opcode, close.payload[:2]) == (CLOSE, struct.pack("!H", 1001))
    assert 0.15 < time.monotonic() - started < 3
    client.send_frame(CLOSE, close.payload[:2])
    assert client.read_eof()
    client.close()


def test_shutdown_sends_1001_and_waits_for_the_peers_close(start_server: StartServer) -> None:
    server = start_server()
    clients = [RawClient.connect(server.port) for _ in range(3)]
    stopping = threading.Thread(target=server.run, args=(server.server.shutdown(timeout=5),))
    stopping.start()
    for client in clients:
        close = client.read_frame()
        assert (close.opcode, close.payload[:2]) == (CLOSE, struct.pack("!H", 1001))
        client.send_frame(CLOSE, close.payload[:2])
        assert client.read_eof()
        client.close()
    started = time.monotonic()
    stopping.join(5)
    assert not stopping.is_alive()
    assert time.monotonic() - started < 1  # it did not sit out its 5 s timeout
    with socket.socket() as probe:  # and it stopped listening
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0


def test_shutdown_drops_a_peer_that_does_not_answer(start_server: StartServer) -> None:
    server = start_server()
    silent = RawClient.connect(server.port)
    handshaking = RawClient.open(server.port)
    # Wait until the server has accepted it: on Python 3.11, asyncio loses a connection that it accepts
    # while the listener closes (Server._attach asserts), and that is not what this test is about.
    deadline = time.monotonic() + 5
    while len(server.call(lambda: server.server.connections)) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    started = time.monotonic()
    server.run(server.server.shutdown(timeout=0.3))
    assert 0.25 < time.monotonic() - started < 3
    assert silent.read_frame().opcode == CLOSE
    assert silent.read_eof()
    assert handshaking.read_eof()
    assert server.call(lambda: server.server.connections) == []
    silent.close()
    handshaking.close()
