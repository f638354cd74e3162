"""Real EventSource clients through the sseclient catalog: each client's verdicts are recorded in
tests/interop/clients/sse_<client>.json (outcome and what it did, per case) and this test checks a fresh
run gives the same outcomes. docs/client-mode-sse.md explains every MUST failure recorded there.

Re-record after a catalog change with ``SSE_CLIENT_RECORD=1`` (the file is rewritten from the run)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from conformance.clients.browser import BrowserLauncher, chromium_path
from conformance.clients.process import Launch, command_launcher
from conformance.clients.run import run_client_cases
from conformance.registry import CLIENT_CATALOGS, load
from conformance.runner import RunSettings

TESTS = Path(__file__).resolve().parents[1]
RECORDS = TESTS / "interop" / "clients"
FIXTURES = TESTS / "fixtures"


def _npm_eventsource() -> list[str]:
    if shutil.which("node") is None or not (TESTS / "js" / "node_modules" / "eventsource").is_dir():
        pytest.skip("node or the npm eventsource package (tests/js) is not installed")
    return ["node", str(FIXTURES / "sse_client_eventsource.js")]


def _httpx_sse() -> list[str]:
    if importlib.util.find_spec("httpx_sse") is None:
        pytest.skip("httpx-sse is not installed")
    return [sys.executable, str(FIXTURES / "sse_client_httpx_sse.py")]


CLIENTS = {"npm_eventsource": _npm_eventsource, "httpx_sse": _httpx_sse}


def _results(launch: Launch, name: str, jobs: int) -> dict[str, dict[str, str]]:
    cases = load(CLIENT_CATALOGS).select(["sseclient"], strict=True)
    results, _ = asyncio.run(run_client_cases(cases, launch, name, RunSettings(jobs=jobs, timeout=5.0)))
    return {r.id: {"outcome": r.outcome.value, "actual": r.actual or r.error} for r in results}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_recorded_verdicts_of_a_real_client(name: str) -> None:
    _compare(name, _results(command_launcher(CLIENTS[name]()), name, jobs=4))


@pytest.mark.slow
def test_recorded_verdicts_of_chromium() -> None:
    """Chromium's EventSource on the driver page of ``rtconform clients --browser chromium``, served from
    another origin than the case servers (so a CORS client: every case runs)."""
    if chromium_path() is None:
        pytest.skip("chromium is not installed")

    async def run() -> dict[str, dict[str, str]]:
        async with BrowserLauncher("sseclient") as browser:
            cases = load(CLIENT_CATALOGS).select(["sseclient"], strict=True)
            results, _ = await run_client_cases(cases, browser.launch, "chromium",
                                                RunSettings(jobs=4, timeout=5.0))
        return {r.id: {"outcome": r.outcome.value, "actual": r.actual or r.error} for r in results}

    _compare("chromium", asyncio.run(run()))


def _compare(name: str, got: dict[str, dict[str, str]]) -> None:
    record = RECORDS / f"sse_{name}.json"
    if os.environ.get("SSE_CLIENT_RECORD"):
        record.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
    recorded = json.loads(record.read_text(encoding="utf-8"))
    assert {i: v["outcome"] for i, v in got.items()} == {i: v["outcome"] for i, v in recorded.items()}
