"""Review one run against an expectations file and a baseline: which failures are tolerated, and
whether the run passes (the exit code of ``rtconform run`` and ``rtconform report --check``).

The rule, per case:

=====================  =============================================================  ============
status                 when                                                           fails run
=====================  =============================================================  ============
``ok``                 the case did not fail or error                                 no
``failing``            failed or errored at a gating level, and not tolerated         yes
``not-gating``         failed or errored below the gating level (``--fail-on``)      no
``expected``           failed as the expectations file says (``--expect``)            no
``known``              failed in the baseline too (``--baseline``)                    no
``unexpected-pass``    listed in the expectations file, but passes now (strict)       yes
=====================  =============================================================  ============

A listed case that is skipped, or not selected, is neither expected nor an unexpected pass.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from conformance.baseline import (
    DEFAULT_PERF_REGRESSION_FACTOR,
    BaselineDiff,
    check_factor,
    diff,
    load_baseline,
)
from conformance.exitcodes import ExitCode
from conformance.expectfile import FAILING, Expectations, ExpectationsError, unknown_ids
from conformance.expectfile import load as load_expectations
from conformance.gating import gating_levels
from conformance.model import Level, Outcome
from conformance.results import CaseResult, RunResult

__all__ = ["BLOCKING", "STATUSES", "Review", "ReviewInputs", "baseline_lines", "fail_levels"]

STATUSES = ("ok", "failing", "not-gating", "expected", "known", "unexpected-pass")
#: The statuses that make a run fail (exit 1).
BLOCKING = frozenset({"failing", "unexpected-pass"})


def fail_levels(run: RunResult) -> frozenset[Level]:
    """The levels whose failures fail ``run`` (its ``fail_on`` option: "must", "should" or "strict")."""
    return gating_levels(run.options.get("fail_on"))


@dataclass(frozen=True, slots=True)
class Review:
    """A run, with the expectations and the baseline diff it is judged against (both optional)."""

    run: RunResult
    expectations: Expectations | None = None
    baseline: BaselineDiff | None = None

    @property
    def levels(self) -> frozenset[Level]:
        """The gating levels."""
        return fail_levels(self.run)

    def status(self, case: CaseResult) -> str:
        """The case's status (one of :data:`STATUSES`, see the module docstring)."""
        exp = self.expectations.get(case.id) if self.expectations else None
        if case.outcome not in FAILING:
            listed = exp is not None and case.outcome is not Outcome.SKIPPED
            return "unexpected-pass" if listed else "ok"
        if case.level not in self.levels:
            return "not-gating"
        if exp is not None and exp.matches(case.outcome):
            return "expected"
        change = self.baseline.get(case.id) if self.baseline else None
        if self.baseline is not None and (change is None or not change.newly_failing):
            return "known"
        return "failing"

    def statuses(self) -> dict[str, str]:
        """Case ID -> status, in run order."""
        return {c.id: self.status(c) for c in self.run.cases}

    def with_status(self, *wanted: str) -> list[CaseResult]:
        """The cases whose status is one of ``wanted``."""
        return [c for c in self.run.cases if self.status(c) in wanted]

    @property
    def conforms(self) -> bool:
        """No case fails the run."""
        return not self.with_status(*BLOCKING)

    @property
    def exit_code(self) -> int:
        """0 when the run passes, 1 otherwise."""
        return ExitCode.OK if self.conforms else ExitCode.FAILED

    def verdict(self) -> str:
        """One line: ``conforms``, ``conforms, with 2 expected failures`` or ``does not conform: ...``."""
        n = {s: len(self.with_status(s)) for s in STATUSES}
        words = (("expected", "expected failure", ""), ("known", "known failure", " (in the baseline)"))
        tolerated = [_count(n[s], what) + tail for s, what, tail in words if n[s]]
        if self.conforms:
            return "conforms" + (", with " + " and ".join(tolerated) if tolerated else "")
        levels = "/".join(lv.value for lv in Level if lv in self.levels)
        problems = [_count(n["failing"], f"{levels} case") + " failed" if n["failing"] else "",
                    _count(n["unexpected-pass"], "expected failure") + " now passing" if n["unexpected-pass"]
                    else ""]
        return "does not conform: " + ", ".join(p for p in problems if p)

    def lines(self) -> list[str]:
        """Terminal lines about the expectations and the baseline (empty when neither was given)."""
        out: list[str] = []
        if self.expectations is not None:
            out.append(f"expectations {self.expectations.source}: "
                       f"{_count(len(self.with_status('expected')), 'expected failure')}")
            out += [f"  now passing, remove it from the file: {c.id} ({c.outcome.value})"
                    for c in self.with_status("unexpected-pass")]
        if self.baseline is not None:
            out += baseline_lines(self.baseline, self.levels)
        return out


def baseline_lines(diff: BaselineDiff, levels: frozenset[Level]) -> list[str]:
    """Terminal lines describing a baseline diff."""
    regressions = {c.case_id for c in diff.regressions(levels)}
    head = f"baseline {diff.source}: " + ", ".join([
        _count(len(diff.by_kind("newly-failing")), "newly failing case"),
        _count(len(diff.by_kind("newly-passing")), "newly passing case"),
        _count(sum(1 for c in diff.changes if c.code_changed), "changed close code"),
    ])
    if diff.catalog_changed:
        head += " (the case texts differ: catalog hashes do not match)"
    out = [head]
    for change in diff.changes:
        tag = "REGRESSION " if change.case_id in regressions else ""
        out.append(f"  {tag}{change.describe()}")
    if diff.perf:
        slower = diff.perf_regressions()
        out.append(f"baseline performance: {_count(len(diff.perf), 'measured case')} compared, "
                   f"{_count(len(slower), 'regression')} beyond x{diff.perf_factor:g} (reported, not gating)")
        out += [f"  SLOWER {p.describe()}" for p in slower]
    return out


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


@dataclass(frozen=True, slots=True)
class ReviewInputs:
    """What ``--expect`` and ``--baseline`` point at, loaded before the run starts (so a typo costs
    nothing): apply them to a finished run with :meth:`review`."""

    expectations: Expectations | None = None
    baseline: RunResult | None = None
    baseline_source: str = ""
    perf_factor: float = DEFAULT_PERF_REGRESSION_FACTOR

    @classmethod
    def load(cls, expect: str | Path | None, baseline: str | Path | None,
             known_ids: Collection[str] | None = None,
             perf_factor: float = DEFAULT_PERF_REGRESSION_FACTOR) -> ReviewInputs:
        """Read the files; ``known_ids`` (the catalog) catches IDs the expectations file gets wrong;
        ``perf_factor`` is ``--perf-regression-factor`` (:mod:`conformance.baseline`).

        Raises:
            ValueError: a file cannot be read or is malformed, lists unknown case IDs, or the factor is
                not above 1.
        """
        check_factor(perf_factor)
        exp = load_expectations(expect) if expect is not None else None
        if exp is not None and known_ids is not None:
            unknown = unknown_ids(exp, known_ids)
            if unknown:
                raise ExpectationsError(f"{exp.source}: unknown case ids {unknown}")
        base = load_baseline(baseline) if baseline is not None else None
        return cls(exp, base, str(baseline or ""), perf_factor)

    def review(self, run: RunResult) -> Review:
        """``run`` reviewed against the loaded expectations and baseline."""
        change = (diff(self.baseline, run, self.baseline_source, self.perf_factor)
                  if self.baseline is not None else None)
        return Review(run, self.expectations, change)
