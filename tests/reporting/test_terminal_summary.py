"""The end-of-run summary: failures in the order of what gates the run, expected failures shown as expected
with their reason, non-strict cases named, and a result line that says what gates."""

from __future__ import annotations

from conformance.expectfile import parse
from conformance.reporting.terminal import SummaryOptions, ordered_failures, render_summary, result_line
from conformance.review import Review
from conformance.statustext import status_set

from .builders import case, run

STRICT_FAIL = case("ws/8.1/close-reason-fail-fast", "failed", level="STRICT")
SHOULD_FAIL = case("ws/7.1.1/server-closes-tcp-first", "failed", level="SHOULD")
MUST_FAIL = case("ws/5.2/rsv1-without-extension", "failed")
MUST_ERROR = case("ws/5.5/ping-126", "errored", error="case timed out after 5.0s")
EXPECTED = case("ws/4.2.1/http-1-0", "failed")


def failure_heads(text: str) -> list[str]:
    tags = ("FAIL ", "ERROR ", "XFAIL ")
    return [line.split(" [")[0] for line in text.splitlines() if line.startswith(tags)]


def test_gating_failures_come_first_must_before_should_before_strict() -> None:
    # run order puts the non-gating STRICT and SHOULD failures first, as a --strict run used to print them
    strict_run = run(STRICT_FAIL, SHOULD_FAIL, MUST_FAIL, MUST_ERROR, fail_on="should")
    heads = failure_heads(render_summary(strict_run))
    assert heads == ["FAIL ws/5.2/rsv1-without-extension", "ERROR ws/5.5/ping-126",
                     "FAIL ws/7.1.1/server-closes-tcp-first",
                     "FAIL ws/8.1/close-reason-fail-fast"]  # STRICT does not gate under --fail-on should
    statuses = [s for _, s in ordered_failures(Review(strict_run))]
    assert statuses == ["failing", "failing", "failing", "not-gating"]


def test_the_hidden_failures_are_counted_and_point_at_the_html_report() -> None:
    many = run(STRICT_FAIL, SHOULD_FAIL, MUST_FAIL, MUST_ERROR, fail_on="strict")
    text = render_summary(many, options=SummaryOptions(max_failures=1, report="reports/t/index.html"))
    assert failure_heads(text) == ["FAIL ws/5.2/rsv1-without-extension"]  # the MUST failure is the one shown
    assert "... and 3 more failed/errored cases (see reports/t/index.html; -v lists them all)" in text
    assert "run.json" not in text
    everything = render_summary(many, options=SummaryOptions(max_failures=None))
    assert len(failure_heads(everything)) == 4
    assert "more failed/errored" not in everything


def test_expected_failures_are_shown_as_expected_with_their_reason() -> None:
    exp = parse('[cases]\n"ws/4.2.1/http-1-0" = "answers HTTP/1.0 with 101 (issue 12)"\n', "known.toml")
    review = Review(run(case("ws/5.6/echo-text-empty"), EXPECTED), exp)
    text = render_summary(review.run, review)
    assert "XFAIL ws/4.2.1/http-1-0 [MUST, expected]" in text
    assert "  expected failure (known.toml): answers HTTP/1.0 with 101 (issue 12)" in text
    assert text.splitlines()[-1] == "result: 1 passed, 1 failed (all expected); exit 0: no gating failure"


def test_the_result_line_never_shows_a_bare_failure_count_above_exit_0() -> None:
    tolerated = Review(run(STRICT_FAIL, fail_on="must"))
    assert result_line(tolerated) == "result: 1 failed (all not gating); exit 0: no gating failure"
    exp = parse('[cases]\n"ws/4.2.1/http-1-0" = "known"\n', "e.toml")
    mixed = Review(run(EXPECTED, MUST_FAIL, STRICT_FAIL), exp)
    line = result_line(mixed)
    assert line.startswith("result: 3 failed (1 gating, 1 expected, 1 not gating); exit 1: does not conform")
    assert result_line(mixed, exit_code=3).endswith("exit 3: the run could not judge the target "
                                                    "(see the error on stderr)")


def test_non_strict_cases_are_named_and_bounded() -> None:
    cases = [case(f"ws/7.1.1/slow-close-{i}", "non-strict") for i in range(14)]
    text = render_summary(run(*cases))
    (line,) = [ln for ln in text.splitlines() if ln.startswith("non-strict")]
    assert line.startswith("non-strict (14, acceptable but not preferred): ws/7.1.1/slow-close-0, ")
    assert line.endswith("ws/7.1.1/slow-close-9 and 4 more (-v names all)")
    everything = render_summary(run(*cases), options=SummaryOptions(max_named=None))
    assert "ws/7.1.1/slow-close-13" in everything
    assert "more (-v names all)" not in everything


def test_informational_cases_are_named_without_a_level() -> None:
    recorded = case("ws/7.13/close-code-5000", "informational")
    text = render_summary(run(recorded, case("ws/5.6/echo-text-empty")))
    assert "informational (1, the spec leaves it open: recorded, not judged): ws/7.13/close-code-5000" in text
    assert "MUST" not in text


def test_status_sets_read_as_ranges() -> None:
    assert status_set([*range(400, 500), 505]) == "400-499 or 505"
    assert status_set([426]) == "426"
    assert status_set([403, 400, 401, 405]) == "400-401, 403 or 405"
