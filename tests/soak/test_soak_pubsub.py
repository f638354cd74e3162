"""Soak: the reference SSE and long-polling servers under a hostile mix keep their memory and their clients.

Bad peers (``bad_peers.py``, their own process): non-readers (subscribers that never read; pollers that
pipeline 64 polls at a time and never read), a client announcing a 1 GiB publish every half second while
it keeps sending, slowloris request heads, and a flood holding the server at its connection cap (200).
Well-behaved clients: one publisher posting a numbered event every 10 ms and 20 subscribers (SSE streams,
or keep-alive long-poll loops) timing each event from publish to receipt: alone (the idle baseline: 4 s
before the mix and 4 s after it, pooled, so that a burst of outside load on a shared VM does not decide
it) and inside the mix.

Asserted: RSS growth bounded, every subscriber saw every event exactly once and in order, every oversized
publish answered 413 (no reset), and no traceback on the server's stderr; with `tox -e bench`
(RTCONFORM_SOAK_TIMING=1) also the good clients' p99 within 2x of their idle p99 (or of 2 ms, below which a
2-core VM's scheduler noise dominates).
"""

from __future__ import annotations

import asyncio

import pytest
from good_clients import run_pubsub
from soak_lib import BadPeers, MiB, SoakServer, check_soak, pooled, stop_all

pytestmark = pytest.mark.slow

CAP = 200
GOOD = 20
IDLE_SECONDS, LOAD_SECONDS, WARMUP = 8.0, 20.0, 3.0
HISTORY_BYTES = 8 * MiB
#: The history (8 MiB here), each connection's buffers (64 KiB write high water, a 64 KiB read buffer, a
#: 1 MiB publish body at most while it is read) and asyncio's per-connection objects.
RSS_BOUND = HISTORY_BYTES + 16 * MiB + CAP * 256 * 1024


@pytest.mark.parametrize("protocol", ["sse", "poll"])
def test_pubsub_server_soak(protocol: str) -> None:
    server = SoakServer(protocol, "--history-bytes", str(HISTORY_BYTES), "--connection-cap", str(CAP))
    bad: list[BadPeers] = []
    try:
        before = asyncio.run(run_pubsub(protocol, server.port, GOOD, 1.0, IDLE_SECONDS / 2, lambda: None))
        duration = WARMUP + LOAD_SECONDS + 1

        def start_bad_peers() -> None:
            bad.append(BadPeers(protocol, server.port, duration, "--non-readers", "4", "--slowloris", "20",
                                "--flood", str(CAP)))

        loaded = asyncio.run(run_pubsub(protocol, server.port, GOOD, WARMUP, LOAD_SECONDS, start_bad_peers))
        outcome = bad[0].result(timeout=60)
        after = asyncio.run(run_pubsub(protocol, server.port, GOOD, 1.0, IDLE_SECONDS / 2, lambda: None))
        idle = pooled(before, after)
    finally:
        stopped = stop_all(server, bad)
    check_soak(protocol, server, stopped, idle, loaded, outcome, RSS_BOUND)
    assert "oversized answered 413" in outcome
    assert "oversized reset" not in outcome, outcome
    assert "oversized failed" not in outcome, outcome
    assert "slowloris answered 408" in outcome
    assert "flood closed by the server" in outcome
