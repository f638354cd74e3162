"""The data behind the HTML report: columns (one per run), rows (one per case), groups, in the order
the report shows them (failures first). Pure functions of :class:`RunResult` and :class:`Review`; the
links to the cited documents come from the suites the catalog packages declare.

Nothing here produces markup; every string goes through the autoescaping templates.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from conformance.baseline import Change
from conformance.expectfile import FAILING, Expectation
from conformance.model import Level, Outcome
from conformance.registry import suite
from conformance.reporting.fuzzview import FuzzView
from conformance.reporting.perfview import PerfTable, perf_table
from conformance.reporting.resview import ResourceView, resource_view
from conformance.results import CaseResult, RunResult
from conformance.review import BLOCKING, Review

__all__ = ["PASSED_PAGE", "Cell", "Column", "GroupView", "ReportModel", "Row", "build", "case_file",
           "spec_link"]

#: Words for the statuses of :mod:`conformance.review`, as the cells show them.
STATUS_WORDS = {"ok": "", "failing": "", "not-gating": "not gating", "expected": "expected",
                "known": "in baseline", "unexpected-pass": "expected to fail"}
#: The one page that holds the evidence of every case that passed in every run (with anchors per case).
PASSED_PAGE = "cases/passed.html"
_SAFE_ID = re.compile(r"^[a-z0-9]+/[A-Za-z0-9][A-Za-z0-9.-]*/[a-z0-9-]+$")
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def case_file(case_id: str) -> str:
    """The case page's file name: stable and readable for catalog IDs, hashed for anything else."""
    if _SAFE_ID.match(case_id):
        return case_id.replace("/", "_") + ".html"
    digest = hashlib.sha256(case_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"x_{_UNSAFE.sub('-', case_id)[:48].strip('.-')}_{digest}.html"


@lru_cache(maxsize=4096)
def spec_link(spec: str, section: str) -> tuple[str, str]:
    """(document name, URL of the section) from the spec's suite, or ("", "") when no catalog package
    declares that suite or the section has no known anchor (remembered: every row asks, several times)."""
    found = suite(spec)
    url = found.section_link(section) if found is not None else ""
    return (found.title, url) if found is not None and url else ("", "")


def duration(seconds: float) -> str:
    """A short duration: ``3 ms``, ``1.25 s``."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


@dataclass(frozen=True, slots=True)
class Column:
    """One run (one target).

    Attributes:
        index: 1-based position; the case pages anchor each run as ``run-<index>``.
        label: the column heading.
        review: the run with its expectations and baseline.
        counts: (outcome value, number) for every outcome.
        by_level: level value -> outcome value -> number (levels present in the run only).
        fuzz: the wire-fuzz session saved next to the run's run.json (``fuzz.json``), if any.
    """

    index: int
    label: str
    review: Review
    counts: tuple[tuple[str, int], ...]
    by_level: dict[str, dict[str, int]]
    by_id: dict[str, CaseResult]
    fuzz: FuzzView | None = None

    @property
    def run(self) -> RunResult:
        """The run."""
        return self.review.run

    @property
    def perf(self) -> PerfTable | None:
        """The run's measured cases (Autobahn 9.x) with their numbers, or None when it measured none."""
        return perf_table(self.review)

    @property
    def resources(self) -> ResourceView | None:
        """The target's memory and CPU use during the run, or None when nothing was sampled."""
        return resource_view(self.run.target.resources)


@dataclass(frozen=True, slots=True)
class Cell:
    """One case in one run (``result`` is None when that run did not have the case)."""

    column: Column
    result: CaseResult | None
    status: str
    expectation: Expectation | None
    change: Change | None

    @property
    def outcome(self) -> str:
        """The outcome value, or "not-run"."""
        return self.result.outcome.value if self.result else "not-run"

    @property
    def tag(self) -> str:
        """The status word shown under the outcome ("expected", "in baseline"...), or ""."""
        return STATUS_WORDS.get(self.status, "")

    @property
    def blocking(self) -> bool:
        """This cell makes its run fail."""
        return self.status in BLOCKING

    @property
    def perf_regression(self) -> bool:
        """This run measured the case slower than its baseline beyond the factor (reported, not gating)."""
        baseline = self.column.review.baseline
        perf = baseline.perf_of(self.result.id) if baseline is not None and self.result is not None else None
        return perf is not None and perf.regression

    @property
    def close_code(self) -> str:
        """The target's close code, or "" when it sent none."""
        code = self.result.remote_close_code if self.result else None
        return "" if code is None else str(code)

    @property
    def duration(self) -> str:
        """The case's duration, or ""."""
        return duration(self.result.duration_s) if self.result else ""


@dataclass(frozen=True, slots=True)
class Row:
    """One case: its description (from the first run that has it) and one cell per run."""

    case: CaseResult
    cells: tuple[Cell, ...]
    order: int
    rank: int

    @property
    def own_page(self) -> bool:
        """The case gets a page of its own (``cases/<id>.html``, with hex views): some run did not pass it,
        or a cell carries a tag (expected, in baseline, a change since the baseline) or a performance
        regression. A case that passed in every run it was in is shown on :data:`PASSED_PAGE` instead."""
        return any((c.result is not None and c.result.outcome is not Outcome.PASSED) or c.tag or c.change
                   or c.perf_regression for c in self.cells)

    @property
    def page(self) -> str:
        """The page with the case's evidence, relative to the report folder (with the case's anchor on
        :data:`PASSED_PAGE`)."""
        return "cases/" + case_file(self.case.id) if self.own_page else f"{PASSED_PAGE}#{self.case.id}"

    def link(self, index: int) -> str:
        """The link to run ``index``'s result for this case, relative to the report folder."""
        if self.own_page:
            return f"cases/{case_file(self.case.id)}#run-{index}"
        return f"{PASSED_PAGE}#{self.anchor(index)}"

    def anchor(self, index: int) -> str:
        """The id of run ``index``'s section on :data:`PASSED_PAGE`."""
        return f"{self.case.id}/run-{index}"

    @property
    def outcomes(self) -> str:
        """The distinct outcome values of the cells, space-separated (for the filter script)."""
        return " ".join(sorted({c.outcome for c in self.cells}))

    @property
    def spec_name(self) -> str:
        """The spec's document name ("RFC 6455")."""
        return spec_link(self.case.spec, self.case.section)[0]

    @property
    def spec_url(self) -> str:
        """The URL of the spec section, or ""."""
        return spec_link(self.case.spec, self.case.section)[1]


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group of cases (a spec section's group title)."""

    key: str
    title: str
    rows: tuple[Row, ...]
    order: int
    rank: int

    @property
    def failing(self) -> int:
        """Rows with at least one failed or errored cell."""
        return sum(1 for r in self.rows if r.rank < 2)


@dataclass(frozen=True, slots=True)
class ReportModel:
    """Everything the templates show (``notices``: banners about how the report was made)."""

    columns: tuple[Column, ...]
    groups: tuple[GroupView, ...]
    rows: tuple[Row, ...]
    catalogs_differ: bool
    notices: tuple[str, ...] = ()

    @property
    def passed_rows(self) -> list[Row]:
        """The cases shown on :data:`PASSED_PAGE`, in catalog order."""
        return [r for r in self.rows if not r.own_page]

    @property
    def fuzzed(self) -> list[Column]:
        """The columns with a wire-fuzz session."""
        return [c for c in self.columns if c.fuzz is not None]

    @property
    def measured(self) -> list[Column]:
        """The columns with a performance table."""
        return [c for c in self.columns if c.perf is not None]

    @property
    def failures(self) -> list[tuple[Row, Cell]]:
        """Every failed or errored cell and every unexpected pass, blocking ones first."""
        cells = [(r, c) for r in self.rows for c in r.cells
                 if c.result and (c.result.outcome in FAILING or c.blocking)]
        return sorted(cells, key=lambda rc: (not rc[1].blocking, rc[0].order, rc[1].column.index))

    @property
    def outcomes(self) -> list[str]:
        """Every outcome value, in severity order, worst first (for the legend and the filters)."""
        return [o.value for o in reversed(Outcome)]

    @property
    def levels(self) -> list[str]:
        """The levels present in the report."""
        present = {r.case.level for r in self.rows}
        return [lv.value for lv in Level if lv in present]


def _column(index: int, label: str, review: Review, fuzz: FuzzView | None = None) -> Column:
    run = review.run
    by_level: dict[str, dict[str, int]] = {}
    for level in Level:
        got = Counter(c.outcome.value for c in run.cases if c.level is level)
        if got:
            by_level[level.value] = {o.value: got.get(o.value, 0) for o in Outcome}
    return Column(index, label, review, tuple(run.counts().items()), by_level, {c.id: c for c in run.cases},
                  fuzz)


def _labels(reviews: Sequence[Review], labels: Sequence[str] | None) -> list[str]:
    names = list(labels) if labels else [r.run.target.name for r in reviews]
    seen: Counter[str] = Counter(names)
    if len(seen) == len(names):
        return names
    return [f"{n} ({i})" if seen[n] > 1 else n for i, n in enumerate(names, 1)]


def _row(case: CaseResult, order: int, columns: Sequence[Column]) -> Row:
    cells = []
    for col in columns:
        result = col.by_id.get(case.id)
        exp = col.review.expectations.get(case.id) if col.review.expectations else None
        change = col.review.baseline.get(case.id) if col.review.baseline else None
        status = col.review.status(result) if result else "ok"
        cells.append(Cell(col, result, status, exp, change))
    failing = any(c.result and c.result.outcome in FAILING for c in cells)
    rank = 0 if any(c.blocking for c in cells) else 1 if failing else 2
    return Row(case, tuple(cells), order, rank)


def build(reviews: Sequence[Review], labels: Sequence[str] | None = None,
          fuzz: Sequence[FuzzView | None] | None = None, notices: Sequence[str] = ()) -> ReportModel:
    """The report model for one or more reviewed runs (one column each), with the wire-fuzz session of
    each run (``fuzz``, in the same order; None where there is none) and banners (``notices``).

    Raises:
        ValueError: no run, or a number of labels or fuzz sessions different from the number of runs.
    """
    if not reviews:
        raise ValueError("a report needs at least one run")
    if labels and len(labels) != len(reviews):
        raise ValueError(f"got {len(labels)} labels for {len(reviews)} runs")
    if fuzz is not None and len(fuzz) != len(reviews):
        raise ValueError(f"got {len(fuzz)} fuzz sessions for {len(reviews)} runs")
    names = _labels(reviews, labels)
    sessions = list(fuzz) if fuzz is not None else [None] * len(reviews)
    columns = [_column(i, label, r, f)
               for i, (label, r, f) in enumerate(zip(names, reviews, sessions, strict=True), 1)]
    first: dict[str, CaseResult] = {}
    for review in reviews:
        for case in review.run.cases:
            first.setdefault(case.id, case)
    rows = [_row(case, order, columns) for order, case in enumerate(first.values())]
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(f"{row.case.spec} · {row.case.group or row.case.section}", []).append(row)
    groups = []
    for key, members in grouped.items():
        members.sort(key=lambda r: (r.rank, r.order))
        title = members[0].case.group or members[0].case.section
        groups.append(GroupView(key, title, tuple(members), min(r.order for r in members),
                                min(r.rank for r in members)))
    groups.sort(key=lambda g: (g.rank, g.order))
    hashes = {r.run.catalog_hash for r in reviews}
    return ReportModel(tuple(columns), tuple(groups), tuple(rows), len(hashes) > 1, tuple(notices))
