"""Backpressure: a peer that sends but never reads stops being read, so the memory it pins stays bounded.

The client sends 16 KiB binary messages as fast as the socket takes them and reads nothing. Every echo
lands in the server's write buffer; past ``write_high_water`` the server must stop reading that peer, so
the client's sends soon block. Without backpressure the server would keep reading and buffer every echo
(tens of MiB here), and the bound below would fail.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

from raw_ws_client import BINARY, TEXT, RawClient, encode_frame
from ws_server_harness import StartServer

from reference.servers.ws import WsSettings

HIGH_WATER = 64 * 1024
PAYLOAD = 16 * 1024
#: asyncio's selector transports read at most 256 KiB per data_received; one read can complete one
#: message begun earlier. So the buffer can overshoot the high-water mark by one read plus one message.
READ_CHUNK = 256 * 1024
BOUND = HIGH_WATER + READ_CHUNK + PAYLOAD + 1024
SEND_LIMIT = 64 * 2**20


def fill_until_blocked(sock: socket.socket, frame: bytes, total: int, limit: int) -> int:
    """Send ``frame`` over and over until the socket stays unwritable for 0.3 s (or ``limit`` bytes).

    Args:
        total: Bytes of the stream of frames sent so far (a frame may have been cut short).

    Returns:
        The new total.
    """
    sock.setblocking(False)
    view = memoryview(frame)
    while total < limit:
        _, writable, _ = select.select([], [sock], [], 0.3)
        if not writable:
            break
        total += sock.send(view[total % len(frame) :])
    sock.setblocking(True)
    return total


def test_server_stops_reading_a_peer_that_does_not_read(start_server: StartServer) -> None:
    server = start_server(WsSettings(write_high_water=HIGH_WATER))
    slow = RawClient.connect(server.port)
    (pump,) = server.call(lambda: server.server.connections)

    peak = 0
    sampling = True

    def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, server.call(lambda: pump.buffered_bytes))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    frame = encode_frame(BINARY, b"\xab" * PAYLOAD, mask_key=b"\0\0\0\0")
    sent = 0
    # Blocked alone could be a busy server; blocked while the server says it paused reading is backpressure.
    while sent < SEND_LIMIT:
        sent = fill_until_blocked(slow.sock, frame, sent, SEND_LIMIT)
        buffered, paused = server.call(lambda: (pump.buffered_bytes, pump.reading_paused))
        if paused:
            break
    sampling = False
    sampler.join()

    assert sent < SEND_LIMIT, "the client was never blocked: the server kept reading"
    assert paused
    assert buffered > HIGH_WATER
    assert max(peak, buffered) < BOUND, (buffered, peak, BOUND)

    # Another client is served meanwhile: the slow peer stalls nobody else.
    other = RawClient.connect(server.port)
    other.send_frame(TEXT, b"not stuck")
    assert other.read_frame().payload == b"not stuck"
    other.close()

    # Once the slow peer reads, the server resumes reading it and every message is echoed.
    offset = sent % len(frame)
    messages = sent // len(frame) + (offset > 0)
    echo_size = 4 + PAYLOAD  # FIN|BINARY, len=126, 16-bit length, payload (no mask from a server)
    received = 0

    def drain() -> None:
        nonlocal received
        while received < messages * echo_size:
            chunk = slow.sock.recv(1 << 20)
            if not chunk:
                return
            received += len(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    if offset:
        slow.sock.sendall(frame[offset:])
    reader.join(20)
    assert received == messages * echo_size
    assert not server.call(lambda: pump.reading_paused)
    slow.close()


def test_server_drops_a_peer_that_leaves_a_full_write_buffer_unread(start_server: StartServer) -> None:
    """Item 9: ``write_timeout`` seconds without the socket taking a byte of a full write buffer: dropped."""
    server = start_server(WsSettings(write_high_water=HIGH_WATER, write_timeout=0.5))
    slow = RawClient.connect(server.port)
    (pump,) = server.call(lambda: server.server.connections)
    frame = encode_frame(BINARY, b"\xab" * PAYLOAD, mask_key=b"\0\0\0\0")
    sent = 0
    with contextlib.suppress(ConnectionResetError):  # dropped already while the client kept sending
        while sent < SEND_LIMIT and not server.call(lambda: pump.reading_paused):
            sent = fill_until_blocked(slow.sock, frame, sent, SEND_LIMIT)
    deadline = time.monotonic() + 5
    while server.call(lambda: server.server.connections) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.call(lambda: server.server.connections) == []
    closed = server.call(lambda: pump.closed)
    assert closed is not None
    assert (closed.code, closed.reason) == (1006, "peer read nothing for 0.5 s")
    assert server.call(lambda: server.server.budget.held) == 0  # what it buffered is released
    slow.close()


def test_a_slow_reader_is_not_dropped_while_it_keeps_reading(start_server: StartServer) -> None:
    server = start_server(WsSettings(write_high_water=HIGH_WATER, write_timeout=1.0))
    slow = RawClient.connect(server.port)
    (pump,) = server.call(lambda: server.server.connections)
    frame = encode_frame(BINARY, b"\xab" * PAYLOAD, mask_key=b"\0\0\0\0")
    sent = 0
    while sent < SEND_LIMIT and not server.call(lambda: pump.reading_paused):
        sent = fill_until_blocked(slow.sock, frame, sent, SEND_LIMIT)
    for _ in range(30):  # 3 s, three write timeouts: 64 KiB every 0.1 s is slow, but progress
        slow.sock.recv(65536)
        time.sleep(0.1)
    assert server.call(lambda: server.server.connections) == [pump]
    slow.close()
