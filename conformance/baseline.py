"""Baseline diff (``--baseline RUN.json``): what changed between a saved run and this one.

Like tokio-tungstenite's golden ``expected-results.json``, but per case and with reasons: only the
outcome, the close word and the target's close code are compared; durations, timestamps, transcripts
and the ``actual`` text are ignored. A case that fails now and did not fail in the baseline (or was not
in it) is *newly failing*; at a gating level that is a regression and the run exits 1.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.expectfile import FAILING
from conformance.model import Level, Outcome
from conformance.results import CaseResult, RunResult

__all__ = ["BaselineDiff", "BaselineError", "Change", "diff", "load_baseline", "read_run"]


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
class BaselineDiff:
    """Every change between a baseline run and the current run, in the current run's case order.

    Attributes:
        source: where the baseline was read from.
        baseline: the baseline run.
        changes: the changed cases (unchanged cases are not listed).
        catalog_changed: the two runs used different case texts (``catalog_hash`` differs).
    """

    source: str
    baseline: RunResult
    changes: tuple[Change, ...]
    catalog_changed: bool

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


def diff(baseline: RunResult, current: RunResult, source: str = "<baseline>") -> BaselineDiff:
    """Compare ``current`` with ``baseline`` (ignoring durations and transcripts)."""
    old = {c.id: c for c in baseline.cases}
    new = {c.id: c for c in current.cases}
    order: Sequence[str] = [*new, *(i for i in old if i not in new)]
    changes = tuple(ch for i in order if (ch := _change(i, old.get(i), new.get(i))) is not None)
    return BaselineDiff(source, baseline, changes, baseline.catalog_hash != current.catalog_hash)


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
