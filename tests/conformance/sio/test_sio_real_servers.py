"""The sio catalog against Socket.IO servers nobody here wrote: the official npm ``socket.io`` server (4.8)
and ``python-socketio`` (ASGI under uvicorn), both as the testee of docs/testee-contract.md. pingInterval is
1 s (python-engineio announces whole seconds only); pingTimeout is 1 s for npm and 3 s for python-socketio,
which has no connect timeout, so that a pong made late by a loaded machine cannot close a session its
no-handshake cases wait on; npm's connectTimeout is 2 s. Both runs say ``--profile connect-timeout=2000`` and
``max-payload=1000000`` (both fixtures set maxHttpBufferSize to 1e6).

Every case passes, or fails as the target's expectations file (conformance/expectations/) says with its
reason; a listed case that passes fails this test (the file is out of date). The npm server is run through
the command line, and its URL is recognised as Socket.IO by the probes."""

from __future__ import annotations

import asyncio
import json
import shutil
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
from target_servers import REPO, spawn_server  # tests/fixtures, put on sys.path above

EXPECTATIONS = REPO / "conformance" / "expectations"
#: Skipped in the runs below (recovery is off: it adds an offset to every event, which the official suite's
#: cases do not expect); npm's recovery is checked by its own run. python-socketio (5.18) has none.
RECOVERY = {f"sio/connection-to-a-namespace/recovery-missed-events-once-{t}" for t in ("ws", "polling")}
FIXTURES = REPO / "tests" / "fixtures"
PROFILE = (("connect-timeout", "2000"), ("max-payload", "1000000"))


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    if not (REPO / "tests" / "js" / "node_modules" / "socket.io").is_dir():
        pytest.skip("npm socket.io is not installed: run `npm ci` in tests/js")
    argv = [node, str(FIXTURES / "sio_node_server.js"), "0", "1000", "1000", "2000"]
    with spawn_server(argv) as (host, port):
        yield f"http://{host}:{port}/socket.io/"


def outcomes_of(url: str) -> dict[str, Outcome]:
    async def main() -> dict[str, Outcome]:
        endpoint = parse_url(url, ALL_SCHEMES).with_options(profile=PROFILE)
        results, _ = await run_cases(load().select(["sio"], strict=True), endpoint,
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
        elif case_id in RECOVERY:
            if outcome is not Outcome.SKIPPED:
                wrong[case_id] = ("skipped (recovery not declared)", outcome.value)
        elif case_id not in expected and outcome not in (Outcome.PASSED, Outcome.INFORMATIONAL):
            wrong[case_id] = ("passed", outcome.value)
    return wrong


@pytest.mark.slow
def test_python_socketio_verdicts_are_the_expected_ones() -> None:
    with spawn_server([sys.executable, str(FIXTURES / "sio_python_server.py"), "0", "1000", "3000"]) as (
            host, port):
        outcomes = outcomes_of(f"http://{host}:{port}/socket.io/")
    assert set(outcomes) == {c.id for c in load().select(["sio"], strict=True)}
    assert deviations(outcomes, "python-socketio.toml") == {}


@pytest.mark.slow
def test_npm_socket_io_through_the_command_line(node_url: str, tmp_path: Path) -> None:
    """``rtconform run --suite sio --target URL`` with the expectations: exit 0, every case in run.json."""
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", "--suite", "sio", "--strict", "-q",
                           "--target", node_url, "--profile", "connect-timeout=2000",
                           "--profile", "max-payload=1000000",
                           "--expect", str(EXPECTATIONS / "socket.io-node.toml"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    outcomes = {c["id"]: Outcome(c["outcome"]) for c in run["cases"]}
    assert set(outcomes) == {c.id for c in load().select(["sio"], strict=True)}
    assert deviations(outcomes, "socket.io-node.toml") == {}
    assert (tmp_path / "out" / "junit.xml").read_text().count("<testcase") == len(outcomes)
    html = (tmp_path / "out" / "index.html").read_text()
    assert "sio/acknowledgement/binary-event-with-ack-polling" in html


@pytest.mark.slow
def test_npm_socket_io_with_connection_state_recovery() -> None:
    """The npm server with ``connectionStateRecovery`` (30 s) passes the recovery cases it declares."""
    node = shutil.which("node")
    if node is None or not (REPO / "tests" / "js" / "node_modules" / "socket.io").is_dir():
        pytest.skip("node or npm socket.io is not installed")
    argv = [node, str(FIXTURES / "sio_node_server.js"), "0", "1000", "1000", "2000", "30000"]
    with spawn_server(argv) as (host, port):
        async def main() -> dict[str, tuple[Outcome, str]]:
            endpoint = parse_url(f"http://{host}:{port}/socket.io/", ALL_SCHEMES).with_options(
                profile=(*PROFILE, ("recovery-window", "30000")))
            results, _ = await run_cases(load().select(sorted(RECOVERY), strict=True), endpoint,
                                         RunSettings(jobs=2, timeout=20.0))
            return {r.id: (r.outcome, r.actual or r.error or "") for r in results}

        outcomes = asyncio.run(main())
    assert set(outcomes) == RECOVERY
    assert {i: o for i, o in outcomes.items() if o[0] is not Outcome.PASSED} == {}


def test_a_socket_io_url_is_recognised_by_its_probe(node_url: str) -> None:
    """Without ``--suite`` the probes pick sio for a Socket.IO URL (not eio, which it also speaks)."""
    found = asyncio.run(infer_suites(parse_url(node_url, ALL_SCHEMES), suites()))
    assert [s.spec for s in found] == ["sio"]
