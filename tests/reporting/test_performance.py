"""Measurements (Autobahn 9.x): run.json round trip, the --baseline comparison with its regression factor,
the terminal lines, the report's Performance (9.x) table, and the CLI flag. Synthetic runs only."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from conformance.baseline import DEFAULT_PERF_REGRESSION_FACTOR, PERF_NOISE_FLOOR_S, diff, perf_changes
from conformance.cli import build_parser, main
from conformance.cli.args import UsageError
from conformance.cli.run import options_from_args
from conformance.measure import Measurement, percentile
from conformance.reporting.fuzzreport import previous_perf_factor
from conformance.reporting.html import render
from conformance.results import CaseResult, RunResult
from conformance.review import ReviewInputs
from conformance.wire.transcript import Entry

from .builders import case, run
from .htmlscan import scan


def timed(case_id: str, seconds: float, *, ab: str = "9.1.1", outcome: str = "passed",
          extra: tuple[Measurement, ...] = ()) -> CaseResult:
    numbers = (Measurement("seconds", seconds, "s"), Measurement("mib_per_s", 1 / seconds, "MiB/s", False),
               *extra) if outcome == "passed" else ()
    return case(case_id, outcome, level="STRICT", autobahn=ab, measurements=numbers)


BASE = run(
    timed("ws/10.4/steady", 0.100),
    timed("ws/10.4/slower", 0.100, ab="9.1.2"),
    timed("ws/10.4/tiny-but-doubled", 0.002, ab="9.2.1"),
    timed("ws/10.4/faster", 0.300, ab="9.3.1"),
    timed("ws/10.4/breaks", 0.100, ab="9.4.1"),
    case("ws/1/plain"),
)
NOW = run(
    timed("ws/10.4/steady", 0.120),
    timed("ws/10.4/slower", 0.200, ab="9.1.2"),
    timed("ws/10.4/tiny-but-doubled", 0.004, ab="9.2.1"),
    timed("ws/10.4/faster", 0.100, ab="9.3.1"),
    timed("ws/10.4/breaks", 0.0, ab="9.4.1", outcome="failed"),
    timed("ws/10.4/new", 0.5, ab="9.7.2", extra=(Measurement("msgs_per_s", 2000.0, "msg/s", False),
                                                  Measurement("rtt_p50_ms", 0.4, "ms"),
                                                  Measurement("rtt_p99_ms", 1.5, "ms"))),
    case("ws/1/plain"),
)


def test_measurements_survive_run_json() -> None:
    doc = json.loads(json.dumps(NOW.to_json()))
    back = RunResult.from_json(doc)
    assert back.to_json() == doc
    assert [len(c.measurements) for c in back.cases] == [len(c.measurements) for c in NOW.cases]
    assert NOW.to_json()["cases"][0]["measurements"][0] == {"name": "seconds", "value": 0.12, "unit": "s",
                                                            "lower_is_better": True}


def test_a_run_json_without_measurements_still_reads() -> None:
    doc = run(case("ws/1/x")).to_json()
    del doc["cases"][0]["measurements"]
    assert RunResult.from_json(doc).cases[0].measurements == ()


def test_measurements_must_be_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        Measurement("seconds", math.nan, "s")


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    with pytest.raises(ValueError, match="percentile"):
        percentile([], 50)


def test_only_cases_measured_in_both_runs_are_compared() -> None:
    changes = {p.case_id: p for p in perf_changes(BASE, NOW)}
    assert sorted(changes) == ["ws/10.4/faster", "ws/10.4/slower", "ws/10.4/steady",
                               "ws/10.4/tiny-but-doubled"]
    assert changes["ws/10.4/slower"].ratio == pytest.approx(2.0)
    assert changes["ws/10.4/faster"].ratio == pytest.approx(1 / 3)


def test_a_regression_is_beyond_the_factor_and_above_the_noise_floor() -> None:
    d = diff(BASE, NOW, "old.json")
    assert d.perf_factor == DEFAULT_PERF_REGRESSION_FACTOR == 1.5
    # 0.1 -> 0.2 s is x2 (regression); 0.1 -> 0.12 s is x1.2 (within); 2 ms -> 4 ms is x2 but under 10 ms
    assert [p.case_id for p in d.perf_regressions()] == ["ws/10.4/slower"]
    assert PERF_NOISE_FLOOR_S == 0.010
    looser = diff(BASE, NOW, "old.json", perf_factor=2.5)
    assert looser.perf_regressions() == []
    tighter = diff(BASE, NOW, "old.json", perf_factor=1.1)
    assert [p.case_id for p in tighter.perf_regressions()] == ["ws/10.4/steady", "ws/10.4/slower"]


def test_a_rate_regresses_when_it_drops() -> None:
    def rate(value: float) -> RunResult:
        measured = (Measurement("msgs", value, "msg/s", lower_is_better=False),)
        return run(case("ws/10.4/r", level="STRICT", measurements=measured))

    before, after = rate(1000.0), rate(400.0)
    (change,) = perf_changes(before, after)
    assert change.slowdown == pytest.approx(2.5)
    assert change.regression


def test_regressions_are_reported_but_never_change_the_verdict_or_exit_code() -> None:
    review = ReviewInputs(baseline=BASE, baseline_source="old.json").review(NOW)
    assert review.exit_code == 0  # a STRICT failure does not gate a default run; timing never gates
    lines = review.lines()
    assert ("baseline performance: 4 measured cases compared, 1 regression beyond x1.5 (reported, not gating)"
            in lines)
    assert "  SLOWER ws/10.4/slower [9.1.2]: seconds 100 ms -> 200 ms (x2.00)" in lines
    same = ReviewInputs(baseline=BASE, baseline_source="old.json").review(BASE)
    assert same.baseline is not None
    assert same.baseline.perf_regressions() == []


def test_an_invalid_factor_is_refused() -> None:
    with pytest.raises(ValueError, match="above 1"):
        ReviewInputs.load(None, None, perf_factor=1.0)
    with pytest.raises(ValueError, match="above 1"):
        diff(BASE, NOW, perf_factor=math.inf)


def perf_rows(index_html: str) -> tuple[str, dict[str, str]]:
    """The performance section's markup and its rows' markup by case id."""
    section = index_html.split('<section id="performance">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr data-case="([^"]+)"([^>]*)>(.*?)</tr>', section, re.S)
    return section, {cid: attrs + body for cid, attrs, body in rows}


def test_report_shows_the_performance_table_with_ratios() -> None:
    review = ReviewInputs(baseline=BASE, baseline_source="old.json").review(NOW)
    files = render([NOW], reviews=[review])
    assert scan(files["index.html"]).problems() == []
    section, rows = perf_rows(files["index.html"])
    assert "Performance (9.x)" in files["index.html"]
    assert list(rows) == ["ws/10.4/steady", "ws/10.4/slower", "ws/10.4/tiny-but-doubled", "ws/10.4/faster",
                          "ws/10.4/breaks", "ws/10.4/new"]
    assert 'class="perf-regression"' in rows["ws/10.4/slower"]
    assert "x2.00 <strong" in rows["ws/10.4/slower"]
    assert "perf-regression" not in rows["ws/10.4/tiny-but-doubled"]
    assert "x2.00" in rows["ws/10.4/tiny-but-doubled"]  # doubled, but 2 ms is under the noise floor
    assert "o-failed" in rows["ws/10.4/breaks"]  # a failed echo has no numbers, only its outcome
    assert 'data-m="seconds"></td>' in rows["ws/10.4/breaks"]
    assert 'data-m="msgs_per_s">2000 msg/s' in rows["ws/10.4/new"]
    assert 'data-m="rtt_p99_ms">1.5 ms' in rows["ws/10.4/new"]
    assert 'data-m="seconds">100 ms' in rows["ws/10.4/faster"]
    assert 'data-perf-regressions="1"' in section
    assert 'data-m="rtt_p99_ms">1.5 ms' in files["cases/ws_10.4_new.html"]
    slower = files["cases/ws_10.4_slower.html"]
    assert "Since the baseline: seconds 100 ms -> 200 ms (x2.00)" in slower
    assert "a performance regression (reported, not gating)" in slower
    # a regression earns the case a page of its own; steady ones stay on the page of passed cases
    assert "cases/ws_10.4_steady.html" not in files
    assert "performance regression" not in files["cases/passed.html"]


def test_report_without_measurements_has_no_performance_section() -> None:
    files = render([run(case("ws/1/x", transcript=(Entry(0.0, "note", "event", "x"),)))])
    assert 'id="performance"' not in files["index.html"]


def test_cli_report_takes_the_factor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(BASE.to_json()))
    new.write_text(json.dumps(NOW.to_json()))
    code = main(["report", str(new), "--baseline", str(old), "--perf-regression-factor", "1.1",
                 "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "2 regressions beyond x1.1" in out
    assert main(["report", str(new), "--baseline", str(old), "--perf-regression-factor", "0.5",
                 "-o", str(tmp_path / "out")]) == 2


def test_cli_run_takes_the_factor() -> None:
    parse = build_parser().parse_args
    assert options_from_args(parse(["run"])).perf_factor == DEFAULT_PERF_REGRESSION_FACTOR
    assert options_from_args(parse(["run", "--perf-regression-factor", "2.5"])).perf_factor == 2.5
    for bad in ("1", "0.9", "nan", "x"):
        with pytest.raises(UsageError, match="above 1"):
            parse(["run", "--perf-regression-factor", bad])


def test_the_fuzz_refresh_keeps_the_factor(tmp_path: Path) -> None:
    review = ReviewInputs(baseline=BASE, baseline_source="old.json", perf_factor=2.5).review(NOW)
    index = tmp_path / "index.html"
    index.write_text(render([NOW], reviews=[review])["index.html"], encoding="utf-8")
    assert previous_perf_factor(index) == 2.5
    index.write_text(render([NOW])["index.html"], encoding="utf-8")
    assert previous_perf_factor(index) == DEFAULT_PERF_REGRESSION_FACTOR
