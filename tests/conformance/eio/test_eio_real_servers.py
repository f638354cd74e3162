"""The eio catalog against Engine.IO servers nobody here wrote: the official npm ``engine.io`` server and
``python-engineio`` (ASGI under uvicorn), both as the protocol test suite's echo testee, with pingInterval and
pingTimeout of 500 ms (npm) and 1 s (python-engineio announces a sub-second pingInterval truncated to whole
seconds, 300 ms as 0); the suite's 300/200 ms would leave a loaded machine 200 ms for each pong.

Every case passes, or fails as the target's expectations file (conformance/expectations/) says with its
reason; a listed case that passes fails this test (the file is out of date). The npm server is also run
once through the command line, and the suite is picked by probing its URL. The embedded reference
server's verdicts are in the snapshot (tests/conformance/test_verdicts_unchanged.py)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.expectfile import load as load_expectations
from conformance.model import Outcome
from conformance.registry import load, suites
from conformance.runner import RunSettings, run_cases
from conformance.suites import infer_suites
from conformance.wire.endpoint import ALL_SCHEMES, parse_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))
from target_servers import REPO, TargetUnavailable, eio_node_server, eio_python_server

EXPECTATIONS = REPO / "conformance" / "expectations"


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    try:
        launcher = eio_node_server(500, 500)
    except TargetUnavailable as exc:
        pytest.skip(str(exc))
    with launcher as (host, port):
        yield f"http://{host}:{port}/engine.io/"


def outcomes_of(url: str) -> dict[str, Outcome]:
    async def main() -> dict[str, Outcome]:
        results, _ = await run_cases(load().select(["eio"], strict=True), parse_url(url, ALL_SCHEMES),
                                     RunSettings(jobs=16, timeout=10.0))
        return {r.id: r.outcome for r in results}

    return asyncio.run(main())


def deviations(outcomes: dict[str, Outcome], expectations: str) -> dict[str, tuple[str, str]]:
    """Case id -> (expected, actual) for every case that is not what the expectations file says."""
    expected = load_expectations(EXPECTATIONS / expectations).cases
    wrong = {}
    for case_id, outcome in outcomes.items():
        want = expected[case_id].outcome if case_id in expected else None
        if case_id in expected and outcome is not (want or Outcome.FAILED):
            wrong[case_id] = (f"{want} (expected deviation)", outcome.value)
        elif case_id not in expected and outcome not in (Outcome.PASSED, Outcome.INFORMATIONAL):
            wrong[case_id] = ("passed", outcome.value)
    return wrong


@pytest.mark.slow
def test_python_engineio_verdicts_are_the_expected_ones() -> None:
    with eio_python_server(1000, 1000) as (host, port):
        outcomes = outcomes_of(f"http://{host}:{port}/engine.io/")
    assert deviations(outcomes, "python-engineio.toml") == {}


def test_npm_engine_io_through_the_command_line(node_url: str, tmp_path: Path) -> None:
    """``rtconform run --suite eio --target URL`` with the expectations: exit 0, every case in run.json."""
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", "--suite", "eio", "--strict", "-q",
                           "--target", node_url, "--expect", str(EXPECTATIONS / "engine.io-node.toml"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    outcomes = {c["id"]: Outcome(c["outcome"]) for c in run["cases"]}
    assert set(outcomes) == {c.id for c in load().select(["eio"], strict=True)}
    assert deviations(outcomes, "engine.io-node.toml") == {}
    assert (tmp_path / "out" / "junit.xml").read_text().count("<testcase") == len(outcomes)
    assert "eio/upgrade/polling-to-websocket" in (tmp_path / "out" / "index.html").read_text()


def test_an_engine_io_url_is_recognised_by_its_probe(node_url: str) -> None:
    """Without ``--suite`` the probes of the http suites pick eio for the URL (not sse, not poll)."""
    found = asyncio.run(infer_suites(parse_url(node_url, ALL_SCHEMES), suites()))
    assert [s.spec for s in found] == ["eio"]

