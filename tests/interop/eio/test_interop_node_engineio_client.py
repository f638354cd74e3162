"""The official npm ``engine.io-client`` (v6, Node.js) against the reference Engine.IO server.

Via ``tests/js/eio_echo_client.js``; needs ``node`` and ``npm ci --prefix tests/js`` (``.ci/run`` does that),
skipped with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from http_server_harness import run, serving

from reference.core.eio.handshake import EioConfig
from reference.servers.eio import EioServer, EioSettings

pytestmark = pytest.mark.interop

JS = Path(__file__).resolve().parents[2] / "js"
SETTINGS = EioSettings(config=EioConfig(ping_interval=200, ping_timeout=1000))
ECHOES = [{"text": "héllo ✓"}, {"binary": [0, 1, 2, 253, 254, 255]}]


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (JS / "node_modules" / "engine.io-client" / "package.json").is_file():
        pytest.skip(f"engine.io-client is not installed: run `npm ci --prefix {JS}`")
    return node


async def _client(node: str, server: EioServer, transports: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        node, str(JS / "eio_echo_client.js"), f"http://127.0.0.1:{server.port}", transports,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.parametrize(("transports", "first", "upgraded"), [
    ("polling,websocket", "polling", "websocket"),
    ("polling", "polling", None),
    ("websocket", "websocket", None),
])
def test_engine_io_client_connects_upgrades_and_echoes(transports: str, first: str,
                                                       upgraded: str | None) -> None:
    node = node_or_skip()

    async def main() -> None:
        async with serving(EioServer(SETTINGS)) as server:
            result = await _client(node, server, transports)
            assert result["error"] is None, result
            assert result["open"]["transport"] == first
            assert result["upgraded"] == upgraded
            assert result["messages"] == ECHOES
            assert result["pings"] >= 1  # the server's heartbeat reached the client (and it answered)

    run(main, timeout=30)
