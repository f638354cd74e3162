"""A hostile client cannot hang a wsclient case or grow the runner's memory: a ping flood that never reads
the pongs, a frame declaring 2**62 bytes, an endless request head, a client that connects and stays silent,
a compressed message that inflates to 8 MiB (the runner stops inflating past its 1 MiB message limit)."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from conformance.clients.process import command_launcher
from conformance.clients.run import run_client_cases
from conformance.model import Outcome
from conformance.registry import CLIENT_CATALOGS, load
from conformance.results import CaseResult
from conformance.runner import RunSettings

CONNECT = """
import os, socket, struct, sys, time
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
s = socket.create_connection((u.hostname, u.port))
def masked(op, payload):
    return bytes([0x80 | op, 0x80 | len(payload)]) + b"\\0\\0\\0\\0" + payload
"""
HANDSHAKE = """
s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n")
"""
CLIENTS = {
    "ping-flood": CONNECT + HANDSHAKE + "flood = masked(9, b'x' * 125) * 1000\n"
                                        "while True: s.sendall(flood)\n",
    "huge-frame": CONNECT + HANDSHAKE + "s.sendall(b'\\x82\\xff' + struct.pack('!Q', 2**62) + b'\\0' * 4)\n"
                                        "time.sleep(60)\n",
    "endless-head": CONNECT + "s.sendall(b'GET / HTTP/1.1\\r\\n')\n"
                              "while True: s.sendall(b'X-A: ' + b'a' * 1000 + b'\\r\\n')\n",
    "silent": CONNECT + "time.sleep(60)\n",
    "deflate-bomb": CONNECT + HANDSHAKE.replace("Version: 13", "Version: 13\\r\\nSec-WebSocket-Extensions: "
                                                "permessage-deflate") + """
import zlib
s.recv(4096)  # the 101 agreeing to permessage-deflate
c = zlib.compressobj(9, zlib.DEFLATED, -15)
bomb = c.compress(bytes(8 * 2**20)) + c.flush(zlib.Z_SYNC_FLUSH)
s.sendall(b'\\xc1\\xfe' + struct.pack('!H', len(bomb)) + b'\\0' * 4 + bomb)
time.sleep(60)
""",
}
#: the case each hostile client meets (the bomb needs a case that agrees to permessage-deflate)
CASES = {"deflate-bomb": "wsclient/rfc7692-7.1/default-16-bytes"}


async def _run(script: str, case_id: str) -> CaseResult:
    case = load(CLIENT_CATALOGS).by_id[case_id]
    results, _ = await run_client_cases([case], command_launcher([sys.executable, "-c", script]), "hostile",
                                        RunSettings(jobs=1, timeout=4.0))
    return results[0]


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_hostile_client_ends_the_case_in_time(client: str) -> None:
    start = time.monotonic()
    case_id = CASES.get(client, "wsclient/5.5.2/ping-empty")
    result = asyncio.run(asyncio.wait_for(_run(CLIENTS[client], case_id), 20))
    assert time.monotonic() - start < 10
    # a client that got its connection answered is judged (no pong, no echo); the others never finish a
    # handshake
    judged = client in ("ping-flood", "huge-frame", "deflate-bomb")
    assert result.outcome is (Outcome.FAILED if judged else Outcome.ERRORED), (result.actual, result.error)
    if client == "deflate-bomb":
        assert "inflates past the runner's limit of 1048576 bytes" in result.actual
