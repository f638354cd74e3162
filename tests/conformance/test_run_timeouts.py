"""The time rules: a case gets min(its own timeout or --timeout, --max-case-timeout) seconds; the run
timeout, when not given, is derived from the selection (sum / jobs + longest + 10 s, rounded up)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_fakes import echo_loop, threaded_server

from conformance.cli import build_parser, main
from conformance.cli.run import options_from_args
from conformance.model import MUST, Verdict, group
from conformance.registry import load
from conformance.runner import DEFAULT_MAX_CASE_TIMEOUT, RunSettings

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
