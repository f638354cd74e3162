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

from conformance.clients.process import command_launcher
from conformance.clients.run import run_client_cases
from conformance.registry import load
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


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_recorded_verdicts_of_a_real_client(name: str) -> None:
    argv = CLIENTS[name]()
    cases = load().select(["sseclient"], strict=True)
    results, _ = asyncio.run(run_client_cases(cases, command_launcher(argv), name,
                                              RunSettings(jobs=4, timeout=5.0)))
    got = {r.id: {"outcome": r.outcome.value, "actual": r.actual or r.error} for r in results}
    record = RECORDS / f"sse_{name}.json"
    if os.environ.get("SSE_CLIENT_RECORD"):
        record.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
    recorded = json.loads(record.read_text(encoding="utf-8"))
    assert {i: v["outcome"] for i, v in got.items()} == {i: v["outcome"] for i, v in recorded.items()}
