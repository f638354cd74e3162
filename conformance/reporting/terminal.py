"""Terminal output: a one-screen summary at the end of a run (progress while it runs: :mod:`.progress`).

The summary lists failures in the order of what gates the run: the failures that make the exit code 1
first (MUST before SHOULD before STRICT), then the tolerated ones (expected by ``--expect``, known from
``--baseline``), then those below the gating level. The result line says what gates, so "5 failed" never
stands bare above an exit code of 0.

Every line is shown through :func:`conformance.reporting.visible.visible`: a target's reason phrase,
close reason or payload cannot colour the terminal, set its title or clear it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from conformance.expectfile import FAILING
from conformance.model import Level, Outcome
from conformance.reporting.visible import visible
from conformance.results import CaseResult, RunResult
from conformance.review import Review
from conformance.textbudget import clip

__all__ = ["ACTUAL_SHOWN", "SummaryOptions", "ordered_failures", "render_summary", "result_line",
           "visible_line"]

#: Characters of a failed case's ``actual`` shown in the summary (run.json and the report have it all).
ACTUAL_SHOWN = 400

_SHORT = {Outcome.PASSED: "pass", Outcome.NON_STRICT: "non-strict", Outcome.INFORMATIONAL: "info",
          Outcome.UNIMPLEMENTED: "unimpl", Outcome.SKIPPED: "skip", Outcome.FAILED: "FAIL",
          Outcome.ERRORED: "ERROR"}

#: How a failure's review status is listed: its rank (gating first) and the words after the case id.
_STATUS_ORDER = {"failing": 0, "expected": 1, "known": 2, "not-gating": 3}
_LEVEL_ORDER = {Level.MUST: 0, Level.SHOULD: 1, Level.STRICT: 2, Level.MAY: 3}


@dataclass(frozen=True, slots=True)
class SummaryOptions:
    """How much the summary shows.

    Attributes:
        max_failures: failures listed in full (None: all, ``-v``); the rest are counted.
        max_named: non-strict cases named (None: all); the rest are counted.
        tail: transcript entries shown per failure.
        report: where the HTML report was written (the "... and N more" line points there), or None.
        exit_code: the run's exit code, for the result line.
    """

    max_failures: int | None = 8
    max_named: int | None = 10
    tail: int = 6
    report: str | None = None
    exit_code: int | None = None


def _group_key(c: CaseResult) -> str:
    if c.autobahn:
        return f"autobahn {c.autobahn.split('.')[0]}"
    return f"{c.spec}/{c.section.split('.')[0]}"


def ordered_failures(review: Review) -> list[tuple[CaseResult, str]]:
    """The failed and errored cases with their review status, in the order of what gates the run:
    gating failures first (MUST, SHOULD, STRICT), then expected, known, and non-gating ones."""
    bad = [(c, review.status(c)) for c in review.run.cases if c.outcome in FAILING]
    return sorted(bad, key=lambda cs: (_STATUS_ORDER.get(cs[1], 0), _LEVEL_ORDER[cs[0].level]))


def _failure_head(c: CaseResult, status: str) -> str:
    ab = f" [autobahn {c.autobahn}]" if c.autobahn else ""
    tag = _SHORT[c.outcome]
    if status == "expected":
        tag = "XFAIL" if c.outcome is Outcome.FAILED else "XERROR"
        why = "expected"
    elif status == "known":
        why = "known failure (in the baseline), not gating"
    elif status == "not-gating":
        why = "not gating"
    else:
        why = "gating"
    return f"{tag} {c.id}{ab} [{c.level.label}, {why}]: {c.desc}"


def _failure_lines(c: CaseResult, status: str, review: Review, tail: int) -> list[str]:
    lines = ["", _failure_head(c, status)]
    exp = review.expectations.get(c.id) if review.expectations is not None else None
    if status == "expected" and exp is not None and review.expectations is not None:
        lines.append(f"  expected failure ({review.expectations.source}): {exp.reason}")
    lines.append(f"  requirement: {c.requirement}")
    if c.expected:
        lines.append("  expected: " + " | ".join(c.expected))
    actual = (c.actual or c.error.splitlines()[0]) if (c.actual or c.error) else "-"
    lines.append(f"  actual:   {clip(actual, ACTUAL_SHOWN)}")
    lines += ["    " + e.render() for e in c.transcript[-tail:]] if tail else []
    return lines


def _named(ids: list[str], limit: int | None) -> str:
    shown = ids if limit is None else ids[:limit]
    more = len(ids) - len(shown)
    return ", ".join(shown) + (f" and {more} more (-v names all)" if more else "")


def result_line(review: Review, exit_code: int | None = None) -> str:
    """``result: 260 passed, 5 failed (all expected), 3 non-strict; exit 0: no gating failure``."""
    run = review.run
    parts = []
    for outcome, n in run.counts().items():
        if not n:
            continue
        text = f"{n} {outcome}"
        if outcome in (Outcome.FAILED.value, Outcome.ERRORED.value):
            mine = Counter(review.status(c) for c in run.cases if c.outcome.value == outcome)
            text += _how_gating(mine)
        parts.append(text)
    line = "result: " + ", ".join(parts) + (" (run timeout reached)" if run.run_timed_out else "")
    if exit_code is None:
        exit_code = review.exit_code
    return line + f"; exit {exit_code}: {_exit_reason(review, exit_code)}"


def _how_gating(statuses: Counter[str]) -> str:
    """" (all expected)", " (2 gating, 1 expected)"... or "" when every one gates."""
    words = {"failing": "gating", "expected": "expected", "known": "in the baseline",
             "not-gating": "not gating"}
    present = [(words[s], statuses[s]) for s in words if statuses[s]]
    if len(present) == 1:
        return f" (all {present[0][0]})" if present[0][0] != "gating" else ""
    return " (" + ", ".join(f"{n} {w}" for w, n in present) + ")"


def _exit_reason(review: Review, exit_code: int) -> str:
    if exit_code == 0:
        return "no gating failure"
    if exit_code == 1:
        return review.verdict()
    return "the run could not judge the target (see the error on stderr)"


def render_summary(run: RunResult, review: Review | None = None,
                   options: SummaryOptions | None = None) -> str:
    """The end-of-run summary: counts per group, failures (gating first) with requirement and
    transcript tail, the non-strict cases by name, the slowest cases and the result line."""
    review = review or Review(run)
    opts = options or SummaryOptions()
    lines = [f"rtconform {run.tool_version}: {len(run.cases)} cases against {run.target.url} "
             f"({run.target.kind}) in {run.duration_s:.3f}s"]
    groups: dict[str, Counter[Outcome]] = defaultdict(Counter)
    for c in run.cases:
        groups[_group_key(c)][c.outcome] += 1
    for name in sorted(groups, key=_natural):
        tally = sorted(groups[name].items(), key=lambda kv: kv[0].value)
        row = ", ".join(f"{n} {_SHORT[o]}" for o, n in tally)
        lines.append(f"  {name:16} {row}")
    bad = ordered_failures(review)
    shown = bad if opts.max_failures is None else bad[:opts.max_failures]
    for c, status in shown:
        lines += _failure_lines(c, status, review, opts.tail)
    if len(bad) > len(shown):
        where = f"see {opts.report}" if opts.report else "reports were not written"
        lines += ["", f"... and {len(bad) - len(shown)} more failed/errored cases ({where}; "
                      f"-v lists them all)"]
    named = [(Outcome.NON_STRICT, "acceptable but not preferred"),
             (Outcome.INFORMATIONAL, "the spec leaves it open: recorded, not judged")]
    for outcome, meaning in named:
        ids = [c.id for c in run.cases if c.outcome is outcome]
        if ids:
            lines += ["", f"{outcome.value} ({len(ids)}, {meaning}): " + _named(ids, opts.max_named)]
    slow = sorted(run.cases, key=lambda c: c.duration_s, reverse=True)[:3]
    if slow:
        lines.append("slowest: " + ", ".join(f"{c.id} {c.duration_s * 1000:.0f}ms" for c in slow))
    lines.append(result_line(review, opts.exit_code))
    return "".join(visible_line(line) for line in lines)


def visible_line(text: str) -> str:
    """One line for the terminal: control characters (line breaks included) shown as escapes, then a
    line break."""
    return visible(text) + "\n"


def _natural(key: str) -> list[tuple[int, int, str]]:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in key.replace("/", " ").split()]
