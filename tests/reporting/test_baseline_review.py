"""Baseline diffs and the review of a run (expectations + baseline -> statuses, verdict, exit code)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.baseline import BaselineError, diff, load_baseline, read_run
from conformance.expectfile import parse
from conformance.model import Level
from conformance.reporting.json import render_transcripts
from conformance.review import Review, ReviewInputs
from conformance.wire.transcript import Entry

from .builders import case, run

BASE = run(
    case("ws/1/stays-passing"),
    case("ws/1/breaks"),
    case("ws/1/gets-fixed", "failed", code=1002),
    case("ws/1/code-moves", code=1002),
    case("ws/1/gone"),
    case("ws/1/still-failing", "failed"),
    case("ws/1/should-breaks", level="SHOULD"),
)
NOW = run(
    case("ws/1/stays-passing", duration=9.9, started=3.0, transcript=(Entry(0.1, "note", "event", "x"),),
         actual="another wording"),
    case("ws/1/breaks", "failed"),
    case("ws/1/gets-fixed"),
    case("ws/1/code-moves", code=1007),
    case("ws/1/still-failing", "errored"),
    case("ws/1/should-breaks", "failed", level="SHOULD"),
    case("ws/1/new-and-failing", "failed"),
    case("ws/1/new-and-passing"),
    catalog="deadbeef",
)


def test_diff_ignores_durations_transcripts_and_wording() -> None:
    d = diff(BASE, NOW, "old.json")
    assert d.get("ws/1/stays-passing") is None
    assert d.catalog_changed
    assert [c.case_id for c in d.by_kind("newly-failing")] == [
        "ws/1/breaks", "ws/1/should-breaks", "ws/1/new-and-failing"]
    assert [c.case_id for c in d.by_kind("newly-passing")] == ["ws/1/gets-fixed"]
    assert [c.case_id for c in d.by_kind("added")] == ["ws/1/new-and-passing"]
    assert [c.case_id for c in d.by_kind("removed")] == ["ws/1/gone"]
    assert [c.case_id for c in d.by_kind("outcome")] == ["ws/1/still-failing"]
    moved = d.get("ws/1/code-moves")
    assert moved is not None
    assert (moved.kind, moved.code_changed) == ("close-code", True)
    assert moved.describe() == "ws/1/code-moves: passed -> passed, close code 1002 -> 1007"
    assert d.get("ws/1/gone").describe() == "ws/1/gone: passed -> (not run)"  # type: ignore[union-attr]


def test_regressions_are_new_failures_at_gating_levels_only() -> None:
    d = diff(BASE, NOW)
    must = frozenset({Level.MUST})
    assert [c.case_id for c in d.regressions(must)] == ["ws/1/breaks", "ws/1/new-and-failing"]
    both = frozenset({Level.MUST, Level.SHOULD})
    assert "ws/1/should-breaks" in [c.case_id for c in d.regressions(both)]


def test_same_run_has_no_changes() -> None:
    d = diff(BASE, BASE)
    assert d.changes == ()
    assert not d.catalog_changed


def test_review_with_baseline_fails_only_on_regressions() -> None:
    review = Review(NOW, baseline=diff(BASE, NOW, "old.json"))
    statuses = review.statuses()
    assert statuses["ws/1/still-failing"] == "known"
    assert statuses["ws/1/breaks"] == "failing"
    assert statuses["ws/1/should-breaks"] == "not-gating"
    assert review.exit_code == 1
    assert review.verdict() == "does not conform: 2 MUST cases failed"
    lines = review.lines()
    assert lines[0].startswith("baseline old.json: 3 newly failing cases, 1 newly passing case, "
                               "2 changed close codes (the case texts differ")
    assert "  REGRESSION ws/1/breaks: passed -> failed" in lines
    fixed_only = run(*[c for c in NOW.cases if c.id not in ("ws/1/breaks", "ws/1/new-and-failing")])
    ok = Review(fixed_only, baseline=diff(BASE, fixed_only))
    assert ok.exit_code == 0
    assert ok.verdict() == "conforms, with 1 known failure (in the baseline)"


def test_review_without_inputs_gates_on_failures_at_the_fail_on_level() -> None:
    assert Review(BASE).exit_code == 1
    assert Review(run(case("ws/1/a"), case("ws/1/b", "failed", level="SHOULD"))).exit_code == 0
    should = run(case("ws/1/a"), case("ws/1/b", "failed", level="SHOULD"), fail_on="should")
    assert Review(should).verdict() == "does not conform: 1 MUST/SHOULD case failed"
    assert Review(run(case("ws/1/a"), case("ws/1/b", "non-strict"))).verdict() == "conforms"


def test_review_with_expectations_is_strict() -> None:
    exp = parse('''[cases]
"ws/1/fails" = "known bug"
"ws/1/passes-now" = "was a bug"
"ws/1/skipped" = "cannot run"
"ws/1/wrong-failure" = { reason = "times out", outcome = "errored" }
"ws/1/not-selected" = "other"
''', "x.toml")
    r = run(case("ws/1/fails", "failed"), case("ws/1/passes-now"), case("ws/1/skipped", "skipped"),
            case("ws/1/wrong-failure", "failed"), case("ws/1/other"))
    review = Review(r, expectations=exp)
    assert review.statuses() == {"ws/1/fails": "expected", "ws/1/passes-now": "unexpected-pass",
                                 "ws/1/skipped": "ok", "ws/1/wrong-failure": "failing", "ws/1/other": "ok"}
    assert review.verdict() == "does not conform: 1 MUST case failed, 1 expected failure now passing"
    assert review.lines() == ["expectations x.toml: 1 expected failure",
                              "  now passing, remove it from the file: ws/1/passes-now (passed)"]
    only_expected = Review(run(case("ws/1/fails", "failed"), case("ws/1/other")), expectations=exp)
    assert (only_expected.exit_code, only_expected.verdict()) == (0, "conforms, with 1 expected failure")


def test_review_inputs_load_both_files_and_check_ids(tmp_path: Path) -> None:
    (tmp_path / "base.json").write_text(json.dumps(BASE.to_json()))
    (tmp_path / "exp.toml").write_text('[cases]\n"ws/1/breaks" = "regressed on purpose"\n')
    inputs = ReviewInputs.load(tmp_path / "exp.toml", tmp_path / "base.json", known_ids={"ws/1/breaks"})
    review = inputs.review(NOW)
    assert review.status(NOW.cases[1]) == "expected"
    assert review.baseline is not None
    assert review.baseline.source == str(tmp_path / "base.json")
    with pytest.raises(ValueError, match=r"unknown case ids \['ws/1/breaks'\]"):
        ReviewInputs.load(tmp_path / "exp.toml", None, known_ids={"ws/other"})
    assert ReviewInputs.load(None, None).review(NOW) == Review(NOW)


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read baseline"),
    ("{not json", "is not json"),
    ('{"schema_version": 99}', "unsupported run.json schema_version 99"),
    ('{"schema_version": 1}', "is not a run.json: KeyError"),
    ("[]", "is not a run.json: AttributeError"),
])
def test_bad_baseline_files_are_refused(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError, match=message):
        load_baseline(path)


def test_read_run_round_trips_run_json(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    now = replace(NOW, cases=tuple(replace(c, duration_s=round(c.duration_s, 6)) for c in NOW.cases))
    path.write_text(json.dumps(now.to_json()))
    (tmp_path / "transcripts.json.gz").write_bytes(render_transcripts(now))
    assert read_run(path) == now
    (tmp_path / "transcripts.json.gz").unlink()  # a run.json copied alone still reads, without transcripts
    assert read_run(path) == replace(now, cases=tuple(replace(c, transcript=()) for c in now.cases))
