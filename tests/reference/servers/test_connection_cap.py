"""Item 10: at the connection cap (and at the fd limit) a server stops accepting, logs one line, recovers.

Each server runs with RLIMIT_NOFILE 256 and the test opens 400 connections. Before, asyncio's accept loop
logged a traceback for every failed ``accept()`` (1.6 MB of stderr in 3 s here; 358 MB in 76 s in the
issue). Now the default cap, ``min(256 - 64, 10000)`` = 192, pauses accepting: the other clients wait in
the listen backlog, stderr gets a line or two, and once connections close the waiting clients are served.
With a cap set above the limit, ``accept()`` runs out of descriptors and the listener pauses for a second
at a time, logging at most a line per 10 s.
"""

from __future__ import annotations

import socket

import pytest
from server_process import ServerProcess

from reference.servers.rate_limited_log import RateLimitedLog

NOFILE = 256
FLOOD = 400


def _open(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _answer(sock: socket.socket, timeout: float) -> bytes:
    """The first bytes of the server's answer to a request that is not an upgrade ('' if none in time)."""
    sock.settimeout(timeout)
    try:
        return sock.recv(64)
    except TimeoutError:
        return b""


@pytest.mark.slow
@pytest.mark.parametrize(("protocol", "args"), [
    ("ws", ()), ("sse", ()), ("poll", ()),
    ("ws", ("--connection-cap", "1000")),  # above the fd limit: accept() itself fails
])
def test_a_flood_past_the_fd_limit_waits_quietly_and_is_served_later(protocol: str,
                                                                     args: tuple[str, ...]) -> None:
    server = ServerProcess(protocol, *args, nofile=NOFILE)
    held: list[socket.socket] = []
    try:
        for _ in range(FLOOD):
            held.append(_open(server.port))  # the kernel completes the handshake from its backlog
        waiting = _open(server.port)
        waiting.sendall(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answer(waiting, 1.5) == b""  # not accepted while the server is full: it waits
        stderr = server.stderr()
        assert "Traceback" not in stderr
        assert len(stderr.splitlines()) <= 3, stderr
        for sock in held:
            sock.close()
        answer = _answer(waiting, 10)
        assert answer.startswith(b"HTTP/1.1 4"), answer  # served (400 or 404) once places are free
        waiting.close()
        later = _open(server.port)
        later.sendall(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answer(later, 5).startswith(b"HTTP/1.1 4")
        later.close()
        assert "Traceback" not in server.stderr()
    finally:
        for sock in held:
            sock.close()
        server.stop()


def test_rate_limited_log_prints_one_line_per_interval_and_counts_the_rest() -> None:
    now = [0.0]
    lines: list[str] = []

    class Sink:
        def write(self, text: str) -> int:
            lines.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    log = RateLimitedLog(10.0, Sink(), clock=lambda: now[0])  # type: ignore[arg-type]
    assert log.warn("full")
    for _ in range(1000):
        now[0] += 0.005
        log.warn("full")
    now[0] = 10.0
    assert log.warn("full")
    printed = [line for line in lines if line.strip()]
    assert printed == ["full", "full (1000 similar lines left out)"]
