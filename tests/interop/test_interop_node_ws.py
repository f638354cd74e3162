"""The npm ``ws`` client (Node.js) against the reference server, via ``tests/js/ws_echo_client.js``.

Needs ``node`` and ``npm ci --prefix tests/js`` (``.ci/run`` does that); skipped with the reason otherwise.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.interop

JS = Path(__file__).resolve().parents[1] / "js"
LARGE = 16 * 2**20


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (JS / "node_modules" / "ws" / "package.json").is_file():
        pytest.skip(f"the npm ws client is not installed: run `npm ci --prefix {JS}`")
    return node


def large_payload() -> bytes:
    """The same bytes as the script's ``large`` buffer: byte i is (i * 31 + (i >> 12)) & 0xff."""
    # Within each 4096-byte block k the bytes are (i * 31) & 0xff shifted by k; 4096 is a multiple of 256.
    base = bytes((i * 31) & 0xFF for i in range(4096))
    shifted = [bytes((b + k) & 0xFF for b in range(256)) for k in range(256)]
    return b"".join(base.translate(shifted[k & 0xFF]) for k in range(LARGE // 4096))


def test_node_ws_client_exchanges_messages_and_closes_cleanly(reference_url: str) -> None:
    node = node_or_skip()
    run = subprocess.run(
        [node, str(JS / "ws_echo_client.js"), reference_url, str(LARGE)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["error"] is None
    sha = hashlib.sha256(large_payload()).hexdigest()
    assert result["large_sha256"] == sha  # the script and this test agree on what was sent
    assert result["messages"] == [
        {"binary": False, "text": "héllo, wörld ✓"},
        {"binary": True, "hex": "000102fdfeff"},
        {"binary": False, "text": "fragmented"},
        {"binary": True, "length": LARGE, "sha256": sha},
    ]
    assert result["pong"] == "are you there?"
    assert result["close"]["code"] == 1000
