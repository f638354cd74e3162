"""Item 9: clients that send one 63 MiB message each and never read cannot pin the server's memory.

Before the budget, four such clients held 514 MiB of server RSS for as long as they stayed: each message
was assembled, echoed into a write buffer nobody read, and kept there. Now the server charges every
connection's buffered bytes to one budget (here 96 MiB, room for one such message): a connection holding
more than its free share while the server is past the budget is closed with 1009, and a peer that leaves
its echo unread for ``--write-timeout`` seconds is dropped. RSS is read from /proc/PID/status of the
server subprocess.

The peak bound: the budget holds what stays buffered; completing one message copies it transiently about
twice more (the unmasked payload next to the frame being serialized, then the transport's copy of what the
socket did not take), and the allocator does not hand every freed block back at once. Measured peak growth:
2.4-2.9 messages above the budget on Python 3.11 and 3.10 (217-284 MiB), 280 MiB in a full CI run, so the
bound is BUDGET + 4 * MESSAGE (348 MiB), where the server without a budget peaked at 646 MiB and held 489 MiB
until the clients left. What stays afterwards: 0.2 MiB on 3.11, 32 MiB on 3.10 (its allocator keeps more
of the freed arenas); the bound is 64 MiB.
"""

from __future__ import annotations

import struct
import threading
import time

import pytest
from raw_ws_client import BINARY, CLOSE, RawClient, encode_frame
from server_process import ServerProcess
from ws_server_harness import StartServer

from reference.servers.memory_budget import FREE_PER_CONNECTION, MemoryBudget
from reference.servers.ws import WsSettings

MiB = 2**20
MESSAGE = 63 * MiB
BUDGET = 96 * MiB
WRITE_TIMEOUT = 2.0
CLIENTS = 4


def _send_big_message(port: int, outcome: dict[int, str], index: int) -> None:
    """Handshake, send one MESSAGE-byte binary frame (mask key 0: payload as is), read nothing yet."""
    client = RawClient.connect(port)
    client.sock.settimeout(20)
    head = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", MESSAGE) + b"\0\0\0\0"
    try:
        client.sock.sendall(head + bytes(MESSAGE))
        outcome[index] = "sent"
    except OSError as exc:  # closed by the budget while still sending: the Close is read below
        outcome[index] = f"send failed: {exc!r}"
    # do not read: the server must close or drop us meanwhile. Its write timer starts only once the echo
    # has filled our receive buffer, after it assembled 63 MiB (seconds on a loaded machine or Python 3.12)
    time.sleep(WRITE_TIMEOUT + 6.0)
    outcome[index] = _ending(client)


def _ending(client: RawClient) -> str:
    """What the connection ended with: 'close CODE' (a Close frame first) or 'echo, then gone'."""
    sock = client.sock
    sock.settimeout(5)
    try:
        first = client.read_exact(2)
        if first[0] & 0x0F == CLOSE:
            length = first[1] & 0x7F
            payload = client.read_exact(length)
            return f"close {struct.unpack('!H', payload[:2])[0]}"
        while sock.recv(1 << 20):  # the echo was dropped part-way: read what got out, then EOF or reset
            pass
        return "echo, then gone"
    except (ConnectionResetError, BrokenPipeError):
        return "echo, then gone"
    except TimeoutError:
        return "still open"
    finally:
        sock.close()


@pytest.mark.slow
def test_four_non_reading_63_mib_senders_are_bounded_and_released() -> None:
    server = ServerProcess("ws", "--memory-budget", str(BUDGET), "--write-timeout", str(WRITE_TIMEOUT))
    try:
        baseline = server.rss()
        peak = baseline
        outcome: dict[int, str] = {}
        threads = [threading.Thread(target=_send_big_message, args=(server.port, outcome, i), daemon=True)
                   for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 40
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            peak = max(peak, server.rss())
            time.sleep(0.02)
        time.sleep(0.5)
        after = server.rss()
        print(f"baseline {baseline / MiB:.1f} MiB, peak growth {(peak - baseline) / MiB:.1f} MiB, "
              f"growth after {(after - baseline) / MiB:.1f} MiB, outcomes {sorted(outcome.values())}")
        assert not any(t.is_alive() for t in threads)
        assert len(outcome) == CLIENTS
        assert set(outcome.values()) <= {"close 1009", "echo, then gone"}, outcome
        assert "close 1009" in outcome.values()  # the budget admitted at most one message of the four
        assert peak - baseline <= BUDGET + 4 * MESSAGE
        assert after - baseline <= 64 * MiB  # released once the write timeout dropped the non-reader
        assert "Traceback" not in server.stderr()
    finally:
        server.stop()


def test_a_message_over_the_remaining_budget_gets_1009_and_its_memory_back(start_server: StartServer) -> None:
    server = start_server(WsSettings(memory_budget=256 * 1024))
    small = RawClient.connect(server.port)
    small.send_frame(BINARY, b"x" * 1000)  # within the connection's free share: never refused
    assert small.read_frame().payload == b"x" * 1000
    big = RawClient.connect(server.port)
    big.sock.sendall(encode_frame(BINARY, bytes(MiB), mask_key=b"\0\0\0\0"))
    reply = big.read_frame()
    assert reply.opcode == CLOSE
    assert struct.unpack("!H", reply.payload[:2])[0] == 1009
    assert b"memory budget of 262144 bytes" in reply.payload
    assert big.read_eof()  # half-closed after the Close; the connection drains, then goes
    big.close()
    deadline = time.monotonic() + 3
    while server.call(lambda: server.server.budget.held) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.call(lambda: server.server.budget.held) == 0
    assert server.call(lambda: server.server.budget.refusals) == 1
    small.send_frame(BINARY, b"y" * 1000)  # the budget is free again for everybody
    assert small.read_frame().payload == b"y" * 1000
    small.close()


def test_budget_asks_only_connections_past_their_free_share() -> None:
    budget = MemoryBudget(100_000)
    budget.charge(0, 150_000)  # another connection holds more than the whole budget
    assert budget.allows(0, FREE_PER_CONNECTION)  # a small message still goes through
    assert not budget.allows(0, FREE_PER_CONNECTION + 1)
    budget.charge(150_000, 0)
    assert budget.allows(0, 100_000)
    assert not budget.allows(0, 100_001)
    assert budget.peak == 150_000
