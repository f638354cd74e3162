"""The time rules: a case gets min(its own timeout or --timeout, --max-case-timeout) seconds; the run
timeout, when not given, is derived from the selection (sum / jobs + longest + 10 s, rounded up); a case
that has its verdict in time keeps it while its context tears down (up to TEARDOWN_GRACE more seconds)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from engine_fakes import echo_loop, threaded_server

from conformance import runner
from conformance.cli import build_parser, main
from conformance.cli.run import options_from_args
from conformance.model import MUST, Case, CaseFailed, Outcome, Verdict, group
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import DEFAULT_MAX_CASE_TIMEOUT, RunSettings, run_case
from conformance.suites import CaseEnv, Suite
from conformance.wire.endpoint import parse_url

G = group("ws", "99", "timeouts")


@G.case("own-long", level=MUST, timeout=140.0, desc="d", requirement="r", quote="q")
async def own_long(_: object) -> Verdict:
    return Verdict()


@G.case("default", level=MUST, desc="d", requirement="r", quote="q")
async def default(_: object) -> Verdict:
    return Verdict()


LONG, SHORT = G.cases


def test_a_case_gets_its_own_timeout_or_timeout_capped_by_max_case_timeout() -> None:
    s = RunSettings(timeout=5.0)
    assert (s.case_timeout(LONG), s.case_timeout(SHORT)) == (140.0, 5.0)
    capped = RunSettings(timeout=5.0, max_case_timeout=3.0)
    assert (capped.case_timeout(LONG), capped.case_timeout(SHORT)) == (3.0, 3.0)


def test_the_default_cap_leaves_every_catalog_case_its_own_wait() -> None:
    longest = max(c.timeout or 0.0 for c in load().cases)
    assert longest <= DEFAULT_MAX_CASE_TIMEOUT
    assert RunSettings().case_timeout(next(c for c in load().cases if c.timeout == longest)) == longest


def test_run_timeout_is_derived_from_the_selection_unless_given() -> None:
    s = RunSettings(jobs=2, timeout=5.0)
    # (140 + 5) / 2 + 140 + 10 = 222.5 -> 223
    assert s.for_cases([LONG, SHORT]).run_timeout == 223.0
    assert RunSettings(jobs=2, run_timeout=7.0).for_cases([LONG, SHORT]).run_timeout == 7.0
    assert s.for_cases([]).run_timeout is None


def test_cli_options_reach_the_settings() -> None:
    opts = options_from_args(build_parser().parse_args(["run", "--timeout", "2", "--max-case-timeout", "9"]))
    s = opts.settings
    assert (s.timeout, s.max_case_timeout, s.run_timeout) == (2.0, 9.0, None)


def test_run_json_records_the_time_limits_used(tmp_path: Path) -> None:
    with threaded_server(echo_loop) as port:
        code = main(["run", "--target", f"ws://127.0.0.1:{port}", "--case", "ws/5.6/echo-text-empty",
                     "-j", "1", "--timeout", "2", "-q", "--report-dir", str(tmp_path)])
    assert code == 0
    (run_json,) = tmp_path.glob("*/run.json")
    options = json.loads(run_json.read_text())["options"]
    assert (options["timeout"], options["max_case_timeout"], options["run_timeout"]) == (2.0, 150.0, 14.0)


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_bad_max_case_timeout_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--max-case-timeout", value]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rtconform: error: argument --max-case-timeout: must be a positive number")
    assert err.count("\n") == 1


TEARDOWN = group("td", "1", "teardown")


@TEARDOWN.case("passes", level=MUST, timeout=0.5, desc="d", requirement="r", quote="q")
async def passes_at_once(_: object) -> Verdict:
    return Verdict(actual="judged")


@TEARDOWN.case("fails", level=MUST, timeout=0.5, desc="d", requirement="r", quote="q")
async def fails_at_once(_: object) -> Verdict:
    raise CaseFailed(["e"], "judged red")


@TEARDOWN.case("never-judges", level=MUST, timeout=0.5, desc="d", requirement="r", quote="q")
async def never_judges(_: object) -> Verdict:
    await asyncio.sleep(60)
    return Verdict()


def _slow_teardown(seconds: float, stopped: list[str]) -> Suite:
    """A suite whose context takes ``seconds`` to leave (a client that floods and never reads, a client
    process slow to stop); records how each teardown ended."""
    @contextlib.asynccontextmanager
    async def context(case: Case, env: CaseEnv) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            try:
                await asyncio.sleep(seconds)
                stopped.append("finished")
            except asyncio.CancelledError:
                stopped.append("cancelled")
                raise

    return Suite(spec="td", context=context, title="t", spec_link="https://example.org/",
                 schemes=frozenset({"ws"}))


def _run_one(case_id: str) -> CaseResult:
    (case,) = [c for c in TEARDOWN.cases if c.id == case_id]
    return asyncio.run(run_case(case, parse_url("ws://127.0.0.1:1/"), RunSettings(timeout=0.5)))


@pytest.mark.parametrize(("case_id", "outcome", "actual"), [("td/1/passes", Outcome.PASSED, "judged"),
                                                            ("td/1/fails", Outcome.FAILED, "judged red")])
def test_a_verdict_reached_in_time_stands_while_the_context_tears_down(
        monkeypatch: pytest.MonkeyPatch, case_id: str, outcome: Outcome, actual: str) -> None:
    """The case has its verdict within its 0.5 s; leaving its context takes 1 s (within TEARDOWN_GRACE):
    the teardown finishes and the verdict is the case's, not a timeout."""
    stopped: list[str] = []
    monkeypatch.setattr(runner, "suite_of", lambda spec: _slow_teardown(1.0, stopped))
    result = _run_one(case_id)
    assert (result.outcome, result.actual, stopped) == (outcome, actual, ["finished"])


def test_a_teardown_past_the_grace_is_cancelled_and_the_verdict_stands(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[str] = []
    monkeypatch.setattr(runner, "suite_of", lambda spec: _slow_teardown(60.0, stopped))
    monkeypatch.setattr(runner, "TEARDOWN_GRACE", 0.3)
    start = time.monotonic()
    result = _run_one("td/1/passes")
    assert time.monotonic() - start < 5
    assert (result.outcome, stopped) == (Outcome.PASSED, ["cancelled"])


def test_a_case_without_a_verdict_at_its_timeout_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled at its timeout, the case's context still tears down (here in 1 s), and the result is the
    timeout: the grace is only for a case that has its verdict."""
    stopped: list[str] = []
    monkeypatch.setattr(runner, "suite_of", lambda spec: _slow_teardown(1.0, stopped))
    result = _run_one("td/1/never-judges")
    assert (result.outcome, result.error, stopped) == (Outcome.ERRORED, "case timed out after 0.5s",
                                                       ["finished"])
