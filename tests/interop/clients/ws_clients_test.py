"""Real WebSocket clients under ``rtconform clients --suite wsclient``: websockets, aiohttp, the npm ws
client, a wsproto driver, and Chromium's WebSocket through the driver page.

Each runs the whole wsclient catalog (every level) through the echo scripts in tests/fixtures/
(ws_client_*.py, ws_client_node.js); the verdicts are recorded in ``ws_verdicts.json`` next to this file
and the test fails when one changes (a changed case, or a new release of the client). Re-record with
``RTCONFORM_RECORD=1``; docs/client-mode.md explains every MUST failure recorded there.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conformance.clients.browser import BrowserLauncher, chromium_path
from conformance.clients.process import Launch, command_launcher
from conformance.clients.run import run_client_cases
from conformance.registry import load
from conformance.runner import RunSettings

pytestmark = [pytest.mark.interop, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[1] / "fixtures"
NODE_WS = HERE.parents[1] / "js" / "node_modules" / "ws" / "package.json"
VERDICTS = HERE / "ws_verdicts.json"
PY = sys.executable


def _python(module: str, script: str) -> list[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    return [PY, str(FIXTURES / script)]


def _node() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not NODE_WS.is_file():
        pytest.skip("the npm ws client is not installed: run `npm ci --prefix tests/js`")
    return [node, str(FIXTURES / "ws_client_node.js")]


COMMANDS = {
    "websockets": lambda: _python("websockets", "ws_client_websockets.py"),
    "aiohttp": lambda: _python("aiohttp", "ws_client_aiohttp.py"),
    "npm-ws": _node,
    "wsproto": lambda: _python("wsproto", "ws_client_wsproto.py"),
}


@contextlib.asynccontextmanager
async def _launcher(client: str) -> AsyncIterator[Launch]:
    if client != "chromium":
        yield command_launcher(COMMANDS[client]())
        return
    if chromium_path() is None:
        pytest.skip("chromium is not installed")
    async with BrowserLauncher("wsclient") as browser:
        yield browser.launch


async def _verdicts(client: str) -> dict[str, str]:
    cases = load(("conformance.catalog.wsclient",)).cases  # the WebSocket client catalog only
    async with _launcher(client) as launch:
        results, _ = await run_client_cases(cases, launch, client, RunSettings(jobs=8, timeout=15.0))
    return {r.id: r.outcome.value for r in results}


@pytest.mark.parametrize("client", [*COMMANDS, "chromium"])
def test_recorded_verdicts(client: str) -> None:
    got = asyncio.run(asyncio.wait_for(_verdicts(client), 400))
    recorded = json.loads(VERDICTS.read_text()) if VERDICTS.is_file() else {}
    if os.environ.get("RTCONFORM_RECORD"):
        recorded[client] = got
        VERDICTS.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    changed = {i: (recorded.get(client, {}).get(i), o) for i, o in got.items()
               if recorded.get(client, {}).get(i) != o}
    assert changed == {}, f"{client}: verdicts changed (recorded, now)"
