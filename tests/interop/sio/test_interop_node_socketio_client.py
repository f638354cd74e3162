"""The official npm ``socket.io-client`` (v4, Node.js) against the reference Socket.IO server.

Via ``tests/js/sio_client.js``; needs ``node`` and ``npm ci --prefix tests/js`` (``.ci/run`` does that),
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
from reference.core.sio.recovery import Recovery
from reference.servers.eio import EioSettings
from reference.servers.sio import SioServer, SioSettings

pytestmark = pytest.mark.interop

JS = Path(__file__).resolve().parents[2] / "js"
EIO = EioSettings(config=EioConfig(ping_interval=300, ping_timeout=2000), path="/socket.io/")


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (JS / "node_modules" / "socket.io-client" / "package.json").is_file():
        pytest.skip(f"socket.io-client is not installed: run `npm ci --prefix {JS}`")
    return node


async def _client(node: str, server: SioServer, mode: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        node, str(JS / "sio_client.js"), f"http://127.0.0.1:{server.port}", mode,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 25)
    assert proc.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    assert result["error"] is None, result
    return result


def test_socket_io_client_namespaces_acks_binary_rooms() -> None:
    node = node_or_skip()

    async def main() -> None:
        async with serving(SioServer(SioSettings(eio=EIO))) as server:
            result = await _client(node, server, "basic")
            assert (result["firstTransport"], result["upgradedTo"]) == ("polling", "websocket")
            assert result["auth"] == {"token": "abc"}
            assert result["messageBack"] == [1, "two", {"binary": [0, 1, 255]}]
            assert result["ack"] == {"nested": {"binary": [7]}}
            assert result["ackResponse"] == ["answered", "ping", 2]  # the client answered our ack request
            assert result["customAuth"] == {"where": "custom"}
            assert result["sameEngine"] is True  # namespaces multiplexed on one Engine.IO session
            assert result["/refused"] == {"message": "Not authorized", "data": {"reason": "testee"}}
            assert result["/nope"] == {"message": "Invalid namespace", "data": None}
            assert result["joined"] == ["r", "r"]
            assert sorted(result["broadcasts"]) == [["a", "from b"], ["b", "from a"]]  # never the sender
            assert result["disconnectReason"] == "io server disconnect"
            assert result["afterDisconnectMe"] == ["main still connected"]

    run(main, timeout=40)


def test_socket_io_client_recovers_its_state_after_a_drop() -> None:
    node = node_or_skip()

    async def main() -> None:
        settings = SioSettings(eio=EIO, recovery=Recovery(window=30.0))
        async with serving(SioServer(settings)) as server:
            result = await _client(node, server, "recovery")
            assert result["recoveredAtFirst"] is False
            assert result["dropReason"] == "forced close"
            assert (result["sameSid"], result["recovered"]) == (True, True)
            assert result["missed"] == ["missed-1", "missed-2"]  # each once

    run(main, timeout=40)
