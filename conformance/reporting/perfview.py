"""The report's performance table: every measured case of a run (the Autobahn 9.x cases), its numbers,
and with ``--baseline`` the ratio to the baseline and the regression flag (:mod:`conformance.baseline`).

Pure data for the templates: the numbers are information and never change an outcome; a case that
failed has no numbers (a wrong echo measures nothing) and shows its outcome only.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.baseline import PerfChange
from conformance.measure import Measurement
from conformance.results import CaseResult
from conformance.review import Review

__all__ = ["COLUMNS", "PerfRow", "PerfTable", "perf_table"]

#: The table's number columns: (measurement name, heading), in order; a case shows the ones it has. After
#: Autobahn's 9.x numbers come the connection-lifecycle cases' (issue 12) and the target's memory over a
#: case (``conformance.resources.Curve``; its start and end readings are in run.json only).
COLUMNS = (("seconds", "round trip"), ("mib_per_s", "MiB/s"), ("msgs_per_s", "msg/s"),
           ("rtt_p50_ms", "p50"), ("rtt_p99_ms", "p99"),
           ("ping_period_s", "ping period"), ("drop_s", "dropped after"), ("accepted_mib", "accepted"),
           ("rtt_idle_s", "idle rtt"), ("rtt_loaded_s", "loaded rtt"), ("latency_idle_s", "idle latency"),
           ("latency_s", "loaded latency"), ("subscribers_per_s", "subscribers/s"),
           ("rss_peak_mib", "peak RSS"), ("rss_growth_mib", "RSS growth"))


@dataclass(frozen=True, slots=True)
class PerfRow:
    """One measured case: its result, its numbers by name, and its baseline comparison (if any)."""

    case: CaseResult
    numbers: dict[str, Measurement]
    change: PerfChange | None

    def cell(self, name: str) -> str:
        """The shown value of measurement ``name``, or "" when the case did not record it."""
        m = self.numbers.get(name)
        return m.shown() if m is not None else ""


@dataclass(frozen=True, slots=True)
class PerfTable:
    """The measured cases of one run.

    Attributes:
        rows: in run order.
        baseline: the baseline's source when the run was compared with one ("" otherwise).
        factor: the ``--perf-regression-factor`` of that comparison.
    """

    rows: tuple[PerfRow, ...]
    baseline: str
    factor: float

    @property
    def regressions(self) -> list[PerfRow]:
        """The rows slower than the baseline beyond the factor."""
        return [r for r in self.rows if r.change is not None and r.change.regression]

    @property
    def columns(self) -> list[tuple[str, str]]:
        """The number columns at least one row has."""
        return [(n, h) for n, h in COLUMNS if any(n in r.numbers for r in self.rows)]


def perf_table(review: Review) -> PerfTable | None:
    """The performance table of a reviewed run, or None when no case of it measured anything (nor did
    the baseline's)."""
    diff = review.baseline
    measured_before = {c.id for c in diff.baseline.cases if c.measurements} if diff else set()
    rows = tuple(PerfRow(c, {m.name: m for m in c.measurements}, diff.perf_of(c.id) if diff else None)
                 for c in review.run.cases if c.measurements or c.id in measured_before)
    if not rows:
        return None
    return PerfTable(rows, diff.source if diff else "", diff.perf_factor if diff else 0.0)
