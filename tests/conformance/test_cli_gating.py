"""``--strict`` and ``--fail-on``: which levels run and which fail the run, against servers that fail only
a SHOULD case or only a STRICT case; the warning for a ``--fail-on`` that gates on no selected case; what
run.json records."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_fakes import echo_loop, keep_tcp_open, threaded_server

from conformance.cli import build_parser, main
from conformance.cli.run import options_from_args
from conformance.gating import gating_levels, unselected_gate_warning
from conformance.model import Level

MUST_CASE = "ws/5.6/echo-text-empty"
SHOULD_CASE = "ws/7.1.1/server-closes-tcp-first"
STRICT_CASE = "ws/8.1/close-reason-fail-fast"
FAST = ["--close-timeout", "0.3", "--no-reports", "-q"]


@pytest.fixture(scope="module")
def should_failing() -> Iterator[str]:
    """Answers the close frame but leaves TCP open: fails the SHOULD case only."""
    with threaded_server(keep_tcp_open) as port:
        yield f"ws://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def strict_failing() -> Iterator[str]:
    """Reads a whole close frame before it answers (no fail-fast): fails the STRICT case only."""
    with threaded_server(echo_loop) as port:
        yield f"ws://127.0.0.1:{port}"


def test_levels_gate_from_must_down_to_strict_and_may_never() -> None:
    assert gating_levels("must") == {Level.MUST}
    assert gating_levels("should") == {Level.MUST, Level.SHOULD}
    assert gating_levels("strict") == {Level.MUST, Level.SHOULD, Level.STRICT}
    assert gating_levels(None) == {Level.MUST}  # a run.json without the option


@pytest.mark.parametrize(("argv", "fail_on", "levels"), [
    ([], "must", {"MUST"}),
    (["--strict"], "strict", {"MUST", "SHOULD", "STRICT"}),
    (["--strict", "--fail-on", "must"], "must", {"MUST"}),
    (["--strict", "--fail-on", "should"], "should", {"MUST", "SHOULD"}),
    (["--fail-on", "strict"], "strict", {"MUST", "SHOULD", "STRICT"}),
])
def test_strict_gates_every_level_unless_fail_on_says_otherwise(argv: list[str], fail_on: str,
                                                                levels: set[str]) -> None:
    opts = options_from_args(build_parser().parse_args(["run", *argv]))
    assert opts.gate == fail_on
    assert {lv.value for lv in opts.fail_levels} == levels


@pytest.mark.parametrize(("extra", "code"), [
    ([], 0),  # the SHOULD case is not selected without --strict
    (["--strict"], 1),
    (["--strict", "--fail-on", "must"], 0),  # what --strict used to do
    (["--strict", "--fail-on", "should"], 1),
    (["--strict", "--fail-on", "strict"], 1),
])
def test_exit_code_against_a_server_failing_only_a_should_case(should_failing: str, extra: list[str],
                                                              code: int,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "--target", should_failing, "--case", MUST_CASE, "--case", SHOULD_CASE]
    assert main([*argv, *extra, *FAST]) == code
    out, err = capsys.readouterr()
    # the MUST case's close is non-strict (TCP left open), which fails no run; the result line says
    # what gates (MUST/SHOULD with --fail-on should, MUST/SHOULD/STRICT with --fail-on strict)
    if "--strict" not in extra:
        assert out == "result: 1 non-strict; exit 0: no gating failure\n"
    elif code:
        assert out.startswith("result: 1 non-strict, 1 failed; exit 1: does not conform: 1 MUST/SHOULD")
        assert out.endswith(" case failed\n")
    else:
        assert out == "result: 1 non-strict, 1 failed (all not gating); exit 0: no gating failure\n"
    assert err == ""


@pytest.mark.parametrize(("extra", "code"), [
    ([], 1), (["--fail-on", "must"], 0), (["--fail-on", "should"], 0), (["--fail-on", "strict"], 1)])
def test_exit_code_against_a_server_failing_only_a_strict_case(strict_failing: str, extra: list[str],
                                                              code: int,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "--target", strict_failing, "--case", SHOULD_CASE, "--case", STRICT_CASE, "--strict"]
    assert main([*argv, *extra, *FAST]) == code
    gated = "result: 1 passed, 1 failed; exit 1: does not conform: 1 MUST/SHOULD/STRICT case failed\n"
    tolerated = "result: 1 passed, 1 failed (all not gating); exit 0: no gating failure\n"
    assert capsys.readouterr().out == (gated if code else tolerated)


def test_fail_on_should_without_strict_warns_once(should_failing: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "--target", should_failing, "--case", MUST_CASE, "--case", SHOULD_CASE]
    assert main([*argv, "--fail-on", "should", *FAST]) == 0
    assert capsys.readouterr().err == ("rtconform: warning: --fail-on should, but no SHOULD case is selected "
                                       "(add --strict)\n")


def test_fail_on_strict_warns_when_the_selection_has_no_case_of_those_levels(
        should_failing: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "--target", should_failing, "--case", MUST_CASE, "--strict", "--fail-on", "strict"]
    assert main([*argv, *FAST]) == 0
    assert capsys.readouterr().err == ("rtconform: warning: --fail-on strict, but no SHOULD or STRICT "
                                       "case is selected (the selection has none)\n")


def test_warning_rule() -> None:
    assert unselected_gate_warning("must", [Level.MUST], strict=False) is None
    assert unselected_gate_warning("should", [Level.MUST, Level.SHOULD], strict=True) is None
    assert unselected_gate_warning("strict", [Level.STRICT], strict=True) is None
    assert unselected_gate_warning("should", [Level.MUST, Level.STRICT], strict=True) == (
        "--fail-on should, but no SHOULD case is selected (the selection has none)")


@pytest.mark.parametrize(("extra", "fail_on", "levels", "code"), [
    ([], "strict", ["MUST", "SHOULD", "STRICT"], 1),
    (["--fail-on", "must"], "must", ["MUST"], 0),
])
def test_run_json_junit_and_report_check_follow_the_gate(
        should_failing: str, tmp_path: Path, extra: list[str], fail_on: str, levels: list[str], code: int,
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "--target", should_failing, "--case", SHOULD_CASE, "--strict", "--close-timeout", "0.3",
            "-q", "--report-dir", str(tmp_path / "runs")]
    assert main([*argv, *extra]) == code
    (run_json,) = (tmp_path / "runs").glob("*/run.json")
    options = json.loads(run_json.read_text())["options"]
    assert (options["strict"], options["fail_on"], options["fail_levels"]) == (True, fail_on, levels)
    suite = ET.parse(run_json.with_name("junit.xml")).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == str(code)
    assert main(["report", str(run_json), "-o", str(tmp_path / "html"), "--check"]) == code
    capsys.readouterr()


def test_help_says_what_the_flags_do(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "let SHOULD and STRICT failures fail the run (--fail-on strict, unless given)" in text
    assert "Default: strict with --strict, else must" in text
    assert "MAY never does" in text
