"""Terminal output: a live progress line (only on a tty), then a one-screen summary.

Every line is shown through :func:`conformance.reporting.visible.visible`: a target's reason phrase,
close reason or payload cannot colour the terminal, set its title or clear it.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import TextIO

from conformance.model import Outcome
from conformance.reporting.visible import visible
from conformance.results import CaseResult, RunResult
from conformance.textbudget import clip

__all__ = ["Progress", "render_summary", "visible_line"]

#: Characters of a failed case's ``actual`` shown in the summary (run.json and the report have it all).
ACTUAL_SHOWN = 400

_SHORT = {Outcome.PASSED: "pass", Outcome.NON_STRICT: "non-strict", Outcome.INFORMATIONAL: "info",
          Outcome.UNIMPLEMENTED: "unimpl", Outcome.SKIPPED: "skip", Outcome.FAILED: "FAIL",
          Outcome.ERRORED: "ERROR"}


class Progress:
    """Rewrites one status line per finished case when ``stream`` is a terminal; silent otherwise."""

    def __init__(self, stream: TextIO, *, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.counts: Counter[Outcome] = Counter()
        self._last = 0.0

    def __call__(self, result: CaseResult, done: int, total: int) -> None:
        self.counts[result.outcome] += 1
        now = time.monotonic()
        if not self.enabled or (done < total and now - self._last < 0.05):
            return
        self._last = now
        width = 24
        filled = width * done // max(total, 1)
        bad = self.counts[Outcome.FAILED] + self.counts[Outcome.ERRORED]
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                          f"failed/errored {bad}  {visible(result.id[:48]):48}")
        if done == total:
            self.stream.write("\r" + " " * 110 + "\r")
        self.stream.flush()


def _group_key(c: CaseResult) -> str:
    if c.autobahn:
        return f"autobahn {c.autobahn.split('.')[0]}"
    return f"{c.spec}/{c.section.split('.')[0]}"


def render_summary(run: RunResult, *, fail_levels: frozenset[str] = frozenset({"MUST"}),
                   max_failures: int = 8, tail: int = 6) -> str:
    """The end-of-run summary: counts per group, failures with requirement and transcript tail, slowest."""
    lines = [f"rtconform {run.tool_version}: {len(run.cases)} cases against {run.target.url} "
             f"({run.target.kind}) in {run.duration_s:.3f}s"]
    groups: dict[str, Counter[Outcome]] = defaultdict(Counter)
    for c in run.cases:
        groups[_group_key(c)][c.outcome] += 1
    for name in sorted(groups, key=_natural):
        tally = sorted(groups[name].items(), key=lambda kv: kv[0].value)
        row = ", ".join(f"{n} {_SHORT[o]}" for o, n in tally)
        lines.append(f"  {name:16} {row}")
    bad = [c for c in run.cases if c.outcome in (Outcome.FAILED, Outcome.ERRORED)]
    for c in bad[:max_failures]:
        gate = "" if c.level.value in fail_levels else " (not gating)"
        ab = f" [autobahn {c.autobahn}]" if c.autobahn else ""
        lines += ["", f"{_SHORT[c.outcome]} {c.id}{ab} [{c.level.label}]{gate}: {c.desc}"]
        lines.append(f"  requirement: {c.requirement}")
        if c.expected:
            lines.append("  expected: " + " | ".join(c.expected))
        actual = c.actual or c.error.splitlines()[0] if (c.actual or c.error) else "-"
        lines.append(f"  actual:   {clip(actual, ACTUAL_SHOWN)}")
        lines += ["    " + e.render() for e in c.transcript[-tail:]]
    if len(bad) > max_failures:
        lines += ["", f"... and {len(bad) - max_failures} more failed/errored cases (see run.json)"]
    slow = sorted(run.cases, key=lambda c: c.duration_s, reverse=True)[:3]
    if slow:
        lines.append("slowest: " + ", ".join(f"{c.id} {c.duration_s * 1000:.0f}ms" for c in slow))
    counts = run.counts()
    lines.append("result: " + ", ".join(f"{n} {o}" for o, n in counts.items() if n)
                 + (" (run timeout reached)" if run.run_timed_out else ""))
    return "".join(visible_line(line) for line in lines)


def visible_line(text: str) -> str:
    """One line for the terminal: control characters (line breaks included) shown as escapes, then a
    line break."""
    return visible(text) + "\n"


def _natural(key: str) -> list[tuple[int, int, str]]:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in key.replace("/", " ").split()]
