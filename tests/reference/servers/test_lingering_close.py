"""Item 11: a peer still sending when the server fails or refuses it reads the answer, not a reset.

A client sends an oversized message (or publish body) and keeps sending while it reads. The server
answers at once (Close 1009; HTTP 413) and, before this change, closed its socket with unread input: the
kernel answered the next segment with a reset, which can discard the answer before the client reads it.
Now the server half-closes, drains input for a bounded time, then closes (RFC 6455 §7.1.1, RFC 9112
§9.6): the client reads the whole answer, then EOF. (Without the lingering close these tests failed in
about one run out of two: the reset is a race, so each case runs three times.)
"""

from __future__ import annotations

import socket
import struct
import threading

import pytest
from raw_ws_client import CLOSE, RawClient
from server_process import ServerProcess

CHUNK = bytes(64 * 1024)
ANNOUNCED = 1 << 30  # far more than the client sends in the few seconds the test lasts


def _keep_sending(sock: socket.socket, stop: threading.Event) -> None:
    for _ in range(20_000):  # bounded: at most ~1.3 GB, and stopped as soon as the answer is read
        if stop.is_set():
            return
        try:
            sock.sendall(CHUNK)
        except OSError:
            return


def _read_until_eof(sock: socket.socket, limit: int = 1 << 16) -> tuple[bytes, str]:
    """Everything the server sends and how it ended: 'eof' or 'reset'."""
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return data, "reset"
        if not chunk:
            return data, "eof"
        data += chunk
    return data, "more"


@pytest.mark.parametrize("round_", range(3))
def test_ws_client_still_sending_an_oversized_message_reads_the_1009_close(round_: int) -> None:
    server = ServerProcess("ws", "--max-message-size", "1000")
    stop = threading.Event()
    try:
        client = RawClient.connect(server.port)
        client.sock.settimeout(10)
        header = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", ANNOUNCED) + b"\0\0\0\0"
        client.sock.sendall(header)
        sender = threading.Thread(target=_keep_sending, args=(client.sock, stop), daemon=True)
        sender.start()
        data, ending = _read_until_eof(client.sock)
        stop.set()
        sender.join(10)
        assert data[:1] == bytes([0x80 | CLOSE]), (data[:16], ending)
        assert struct.unpack("!H", data[2:4])[0] == 1009
        assert ending == "eof"  # the server's FIN after its Close frame, not a reset
        client.sock.close()
    finally:
        stop.set()
        server.stop()


@pytest.mark.parametrize("round_", range(3))
@pytest.mark.parametrize("protocol", ["sse", "poll"])
def test_http_client_still_sending_an_oversized_publish_reads_the_413(protocol: str, round_: int) -> None:
    server = ServerProcess(protocol, "--max-publish-size", "1000")
    stop = threading.Event()
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(f"POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: {ANNOUNCED}\r\n\r\n".encode())
        sender = threading.Thread(target=_keep_sending, args=(sock, stop), daemon=True)
        sender.start()
        data, ending = _read_until_eof(sock)
        stop.set()
        sender.join(10)
        assert data.startswith(b"HTTP/1.1 413 "), (data[:64], ending)
        assert b"\r\n\r\n" in data
        assert ending == "eof"
        sock.close()
    finally:
        stop.set()
        server.stop()
