"""Baseline diff (``--baseline RUN.json``): what changed between a saved run and this one.

Like tokio-tungstenite's golden ``expected-results.json``, but per case and with reasons: only the
outcome, the close word and the target's close code are compared; durations, timestamps, transcripts
and the ``actual`` text are ignored. A case that fails now and did not fail in the baseline (or was not
in it) is *newly failing*; at a gating level that is a regression and the run exits 1.

Cases that record measurements (the Autobahn 9.x performance cases, :mod:`conformance.measure`) are also
compared on their primary measurement (the round trip in seconds): a :class:`PerfChange` per case that
has it in both runs, with the ratio. A slowdown beyond ``--perf-regression-factor`` (default
:data:`DEFAULT_PERF_REGRESSION_FACTOR`) and above the noise floor (:data:`PERF_NOISE_FLOOR_S`) is a
*performance regression*: reported in the terminal lines, the report's performance table and run
summary, but it never changes an outcome nor the exit code (timing depends on the machine; a verdict
must not).
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.expectfile import FAILING
from conformance.measure import show_value
from conformance.model import Level, Outcome
from conformance.results import CaseResult, RunResult

__all__ = [
    "DEFAULT_PERF_REGRESSION_FACTOR",
    "PERF_NOISE_FLOOR_S",
    "BaselineDiff",
    "BaselineError",
    "Change",
    "PerfChange",
    "check_factor",
    "diff",
    "load_baseline",
    "perf_changes",
    "read_run",
]

#: ``--perf-regression-factor`` by default: a case 1.5 times slower than in the baseline is a regression.
DEFAULT_PERF_REGRESSION_FACTOR = 1.5
#: A slowdown of fewer seconds than this is noise (a 1 ms echo taking 2 ms), never a regression.
PERF_NOISE_FLOOR_S = 0.010


def check_factor(factor: float) -> float:
    """``factor`` if it is a valid ``--perf-regression-factor`` (finite, above 1).

    Raises:
        ValueError: it is not.
    """
    if not (math.isfinite(factor) and factor > 1):
        raise ValueError(f"--perf-regression-factor must be a number above 1, not {factor!r}")
    return factor


class BaselineError(ValueError):
    """The baseline run.json cannot be read (the message names the file)."""


@dataclass(frozen=True, slots=True)
class Change:
    """How one case differs from the baseline.

    Attributes:
        case_id: the case ID.
        level: the case's level in the current run (or the baseline's for a removed case).
        before, after: the outcomes (None: the case was not in that run).
        before_code, after_code: the target's close codes.
        before_detail, after_detail: Autobahn's close words.
    """

    case_id: str
    level: Level
    before: Outcome | None
    after: Outcome | None
    before_code: int | None = None
    after_code: int | None = None
    before_detail: str = ""
    after_detail: str = ""

    @property
    def newly_failing(self) -> bool:
        """Fails now, did not fail (or did not run) in the baseline."""
        return self.after in FAILING and self.before not in FAILING

    @property
    def newly_passing(self) -> bool:
        """Failed in the baseline, runs now and does not fail."""
        return self.before in FAILING and self.after is not None and self.after not in FAILING

    @property
    def code_changed(self) -> bool:
        """Both runs have the case and the target's close code differs."""
        return None not in (self.before, self.after) and self.before_code != self.after_code

    @property
    def kind(self) -> str:
        """One word for reports: newly-failing, newly-passing, added, removed, outcome, close-code."""
        if self.newly_failing:
            return "newly-failing"
        if self.newly_passing:
            return "newly-passing"
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        if (self.before, self.before_detail) != (self.after, self.after_detail):
            return "outcome"
        return "close-code"

    def describe(self) -> str:
        """One line: ``ws/5.2/x: passed -> failed, close 1000 -> 1002``."""
        def word(outcome: Outcome | None, detail: str) -> str:
            if outcome is None:
                return "(not run)"
            return outcome.value + (f" ({detail})" if detail and detail not in ("OK", "FAILED") else "")

        parts = [f"{word(self.before, self.before_detail)} -> {word(self.after, self.after_detail)}"]
        if self.code_changed:
            parts.append(f"close code {self.before_code} -> {self.after_code}")
        return f"{self.case_id}: " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class PerfChange:
    """One case's primary measurement in the baseline and now.

    Attributes:
        case_id: the case ID; ``autobahn`` its Autobahn id, if any.
        name, unit: the measurement ("seconds", "s").
        before, after: its value in the baseline and in this run.
        lower_is_better: a smaller value is an improvement.
        factor: the ``--perf-regression-factor`` it is judged with.
    """

    case_id: str
    autobahn: str | None
    name: str
    unit: str
    before: float
    after: float
    lower_is_better: bool
    factor: float

    @property
    def ratio(self) -> float:
        """``after / before`` (infinite when the baseline measured 0)."""
        return self.after / self.before if self.before else math.inf

    @property
    def slowdown(self) -> float:
        """How many times worse it got (below 1: better), whichever direction is better."""
        if self.lower_is_better:
            return self.ratio
        return self.before / self.after if self.after else math.inf

    @property
    def regression(self) -> bool:
        """Worse by more than ``factor``, and (for a time) by more than the noise floor."""
        if self.slowdown <= self.factor:
            return False
        return self.unit != "s" or abs(self.after - self.before) >= PERF_NOISE_FLOOR_S

    def describe(self) -> str:
        """One line: ``ws/10.4/text-message-16mib [9.1.6]: seconds 94 ms -> 200 ms (x2.13)``."""
        ab = f" [{self.autobahn}]" if self.autobahn else ""
        return (f"{self.case_id}{ab}: {self.name} {show_value(self.before, self.unit)} -> "
                f"{show_value(self.after, self.unit)} (x{self.ratio:.2f})")


def perf_changes(baseline: RunResult, current: RunResult,
                 factor: float = DEFAULT_PERF_REGRESSION_FACTOR) -> tuple[PerfChange, ...]:
    """The primary measurement of every case that has one (of the same name) in both runs, in the current
    run's order."""
    old = {c.id: c for c in baseline.cases if c.measurements}
    out = []
    for case in current.cases:
        before = old.get(case.id)
        if not case.measurements or before is None:
            continue
        now, then = case.measurements[0], before.measurements[0]
        if now.name != then.name:
            continue
        out.append(PerfChange(case.id, case.autobahn, now.name, now.unit, then.value, now.value,
                              now.lower_is_better, factor))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class BaselineDiff:
    """Every change between a baseline run and the current run, in the current run's case order.

    Attributes:
        source: where the baseline was read from.
        baseline: the baseline run.
        changes: the changed cases (unchanged cases are not listed).
        catalog_changed: the two runs used different case texts (``catalog_hash`` differs).
        perf: the measured cases compared on their primary measurement (:func:`perf_changes`).
        perf_factor: the ``--perf-regression-factor`` they were judged with.
    """

    source: str
    baseline: RunResult
    changes: tuple[Change, ...]
    catalog_changed: bool
    perf: tuple[PerfChange, ...] = ()
    perf_factor: float = DEFAULT_PERF_REGRESSION_FACTOR

    def perf_regressions(self) -> list[PerfChange]:
        """The measured cases that got worse beyond the factor (reported, never failing the run)."""
        return [p for p in self.perf if p.regression]

    def perf_of(self, case_id: str) -> PerfChange | None:
        """The comparison of ``case_id``'s primary measurement, if both runs measured it."""
        return next((p for p in self.perf if p.case_id == case_id), None)

    def by_kind(self, kind: str) -> list[Change]:
        """The changes of one :attr:`Change.kind`."""
        return [c for c in self.changes if c.kind == kind]

    def regressions(self, levels: frozenset[Level]) -> list[Change]:
        """Newly failing cases at one of the gating ``levels``: each one makes the run exit 1."""
        return [c for c in self.changes if c.newly_failing and c.level in levels]

    def get(self, case_id: str) -> Change | None:
        """The change of ``case_id``, if it changed."""
        return next((c for c in self.changes if c.case_id == case_id), None)


def _change(case_id: str, before: CaseResult | None, after: CaseResult | None) -> Change | None:
    either = after or before
    assert either is not None
    change = Change(
        case_id, either.level,
        before.outcome if before else None, after.outcome if after else None,
        before.remote_close_code if before else None, after.remote_close_code if after else None,
        before.close_detail if before else "", after.close_detail if after else "")
    same = (change.before, change.before_detail, change.before_code) == (
        change.after, change.after_detail, change.after_code)
    return None if same else change


def diff(baseline: RunResult, current: RunResult, source: str = "<baseline>",
         perf_factor: float = DEFAULT_PERF_REGRESSION_FACTOR) -> BaselineDiff:
    """Compare ``current`` with ``baseline``: outcomes, close words and codes (ignoring durations and
    transcripts), and the measured cases' primary measurement against ``perf_factor``."""
    old = {c.id: c for c in baseline.cases}
    new = {c.id: c for c in current.cases}
    order: Sequence[str] = [*new, *(i for i in old if i not in new)]
    changes = tuple(ch for i in order if (ch := _change(i, old.get(i), new.get(i))) is not None)
    return BaselineDiff(source, baseline, changes, baseline.catalog_hash != current.catalog_hash,
                        perf_changes(baseline, current, check_factor(perf_factor)), perf_factor)


def _transcripts(path: Path, obj: Any) -> dict[str, Any] | None:
    """The transcripts file run.json names, read from beside it; None when it names none or the file is
    not there (a run.json copied alone, e.g. as a baseline: its cases then have no transcripts)."""
    name = obj.get("transcripts") if isinstance(obj, dict) else None
    if not isinstance(name, str) or "/" in name or "\\" in name or not (path.parent / name).is_file():
        return None
    with gzip.open(path.parent / name, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict):
        raise ValueError(f"{name} is not a transcripts document")
    return doc


def read_run(path: str | Path, what: str = "run") -> RunResult:
    """Read a saved run.json, with the transcripts file beside it when there is one (``what`` names it in
    messages: "run", "baseline").

    Raises:
        BaselineError: the file cannot be read, is not JSON or not a run.json this version reads.
    """
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
        return RunResult.from_json(obj, _transcripts(Path(path), obj))
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise BaselineError(f"cannot read {what} {str(path)!r}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{what} {str(path)!r} is not json: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BaselineError(f"{what} {str(path)!r} is not a run.json: {type(exc).__name__}: {exc}") from None


def load_baseline(path: str | Path) -> RunResult:
    """Read the baseline run.json (see :func:`read_run`)."""
    return read_run(path, "baseline")
