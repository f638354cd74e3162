"""The npm ``eventsource`` client (Node.js) against the reference SSE server, across server-side
disconnects: it reconnects with Last-Event-ID and receives every event exactly once.

Needs ``node`` and ``npm ci --prefix tests/js``; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from sse_interop_harness import SseThread

pytestmark = pytest.mark.interop

HERE = Path(__file__).resolve().parent
MODULE = HERE.parents[1] / "js" / "node_modules" / "eventsource" / "dist" / "index.js"


def test_npm_eventsource_resumes_after_server_disconnects() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not MODULE.is_file():
        pytest.skip("the npm eventsource client is not installed: run `npm ci --prefix tests/js`")
    with SseThread(retry_ms=200, heartbeat_interval=5) as server:
        proc = subprocess.Popen([node, str(HERE / "eventsource_client.mjs"), MODULE.as_uri(), server.url],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        lines: queue.Queue[dict[str, object]] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(json.loads(x)) for x in proc.stdout or ()],
                         daemon=True).start()
        got: list[str] = []

        def until(kind: str, count: int = 1) -> None:
            seen = 0
            while seen < count:
                item = lines.get(timeout=10)
                if item["kind"] == "message":
                    got.append(str(item["data"]))
                seen += item["kind"] == kind

        try:
            until("open")
            for data in ("e1", "e2", "e3"):
                server.publish(data)
            until("message", 3)
            server.end_streams()          # a clean end of the body
            server.publish("e4")          # published while the client is away
            until("open")
            server.publish("e5")
            until("message", 2)
            server.drop_streams()         # an abrupt TCP drop
            server.publish("e6")
            until("open")
            server.publish("e7")
            until("message", 2)
        finally:
            assert proc.stdin is not None
            proc.stdin.write("stop\n")
            proc.stdin.flush()
            proc.wait(10)
        assert got == ["e1", "e2", "e3", "e4", "e5", "e6", "e7"]
        assert server.server.last_ids == [None, "3", "5"]
