"""permessage-deflate (RFC 7692) between the reference server and clients nobody here wrote: the Python
``websockets`` client (compression on by default), the npm ``ws`` client (``perMessageDeflate``) and headless
Chromium (which always offers the extension). Each checks the negotiated ``Sec-WebSocket-Extensions`` and
compressed echoes.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from devtools_page import serve_pages
from reporting.cdp import Browser, chromium
from test_interop_node_ws import JS, node_or_skip
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.sync.client import connect

pytestmark = pytest.mark.interop


def test_websockets_client_negotiates_deflate_and_round_trips(reference_url: str) -> None:
    with connect(reference_url, open_timeout=5, max_size=2**24) as ws:  # compression="deflate": the default
        assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
        (extension,) = ws.protocol.extensions
        assert isinstance(extension, PerMessageDeflate)
        text = "compressible ✓ " * 20_000
        ws.send(text)
        assert ws.recv(timeout=10) == text
        blob = bytes(range(256)) * 16_384  # 4 MiB
        ws.send(blob)
        assert ws.recv(timeout=20) == blob
        ws.send(["frag", "men", "ted"])
        assert ws.recv(timeout=5) == "fragmented"
    assert ws.close_code == 1000


def test_node_ws_client_negotiates_deflate_and_round_trips(reference_url: str) -> None:
    node = node_or_skip()
    run = subprocess.run([node, str(JS / "ws_deflate_client.js"), reference_url],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["error"] is None
    assert result["extensions"] == "permessage-deflate"
    # ws offers "permessage-deflate; client_max_window_bits"; the server answers without parameters.
    assert result["header"] == "permessage-deflate"
    expected = result["expected"]
    assert [m["sha256"] for m in result["messages"]] == [
        expected["text"], expected["big"], expected["fragmented"], expected["short"], expected["text"]]
    assert [m["binary"] for m in result["messages"]] == [False, True, False, False, False]
    assert result["close"]["code"] == 1000


PAGE_SCRIPT = """
new Promise((resolve, reject) => {
  const ws = new WebSocket(%(url)s);
  ws.binaryType = "arraybuffer";
  const text = "compress me in the browser ✓ ".repeat(5000);
  const blob = new Uint8Array(1 << 20).map((_, i) => (i >> 8) & 0xff);
  const got = [];
  ws.onopen = () => ws.send(text);
  ws.onmessage = (event) => {
    if (typeof event.data === "string") {
      got.push(event.data === text);
      ws.send(blob);
    } else {
      const echo = new Uint8Array(event.data);
      got.push(echo.length === blob.length && echo.every((b, i) => b === blob[i]));
      ws.close(1000, "done");
    }
  };
  ws.onclose = (event) => resolve({extensions: ws.extensions, got, code: event.code, clean: event.wasClean});
  ws.onerror = () => reject(new Error("websocket error"));
  setTimeout(() => reject(new Error("timed out")), 15000);
})
"""


@contextlib.contextmanager
def loopback_page() -> Iterator[str]:
    """An empty page served from 127.0.0.1: Chromium's local network access checks block a WebSocket to
    127.0.0.1 from about:blank, not from a page that is itself on the loopback address."""
    blank = b"<!doctype html><meta charset=utf-8><title>deflate</title>"
    with serve_pages({"/": ("text/html; charset=utf-8", blank)}) as origin:
        yield origin + "/"


def test_chromium_negotiates_deflate_and_round_trips(reference_url: str, tmp_path: Path) -> None:
    if chromium() is None:
        pytest.skip("chromium is not installed")
    with loopback_page() as url, Browser.start(tmp_path / "profile") as browser:
        page = browser.open(url)
        result = page.eval(PAGE_SCRIPT % {"url": json.dumps(reference_url)})
    # Chromium offers "permessage-deflate; client_max_window_bits"; ws.extensions is the server's answer.
    assert result == {"extensions": "permessage-deflate", "got": [True, True], "code": 1000, "clean": True}
