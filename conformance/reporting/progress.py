"""Progress while a run runs: what it is waiting on, not what finished last.

On a terminal, a live ``rich`` display (a bar, the counts, and the cases running now, the longest-running
first); without one (CI logs, pipes), a plain line at most every ``interval`` seconds, so a long run
shows it is alive and a log stays bounded (one line per interval). ``-q`` shows nothing.

The runner tells :class:`Progress` when a case starts (:meth:`Progress.started`) and when it finishes
(calling the object); :meth:`Progress.tick` prints a due line when nothing started or finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from conformance.model import Case, Outcome
from conformance.reporting.visible import visible
from conformance.results import CaseResult

__all__ = ["LINE_INTERVAL", "Progress"]

#: Seconds between two progress lines without a terminal.
LINE_INTERVAL = 5.0
#: Running cases named in one progress line or display.
RUNNING_SHOWN = 3


class Progress:
    """Progress of one run on ``stream``: ``mode`` is "live" (a terminal, drawn by rich), "lines" (a
    line every ``interval`` seconds at most) or "off"."""

    def __init__(self, stream: TextIO, *, mode: str, total: int = 0, interval: float = LINE_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if mode not in ("live", "lines", "off"):
            raise ValueError(f"progress mode must be live, lines or off, not {mode!r}")
        self.stream, self.mode, self.total, self.interval, self.clock = stream, mode, total, interval, clock
        self.done = 0
        self.bad = 0
        self.running: dict[str, float] = {}
        self._last_line = clock()
        self._live: _Live | None = _Live(stream, total) if mode == "live" else None

    @classmethod
    def for_stream(cls, stream: TextIO, *, quiet: bool, total: int) -> Progress:
        """"live" on a terminal, "lines" otherwise, "off" with ``quiet``."""
        mode = "off" if quiet else "live" if stream.isatty() else "lines"
        return cls(stream, mode=mode, total=total)

    def started(self, case: Case) -> None:
        """A case started."""
        self.running[case.id] = self.clock()
        self._show()

    def __call__(self, result: CaseResult, done: int, total: int) -> None:
        """A case finished (the runner's progress callback)."""
        self.running.pop(result.id, None)
        self.done, self.total = done, total
        self.bad += result.outcome in (Outcome.FAILED, Outcome.ERRORED)
        self._show()

    def tick(self) -> None:
        """Called every second or so while the run runs: prints a due line."""
        self._show()

    def close(self) -> None:
        """The run ended: remove the live display."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def waiting_on(self) -> str:
        """The running cases, longest-running first, with their seconds: ``ws/7.1/x (12s), ... +3``."""
        now = self.clock()
        oldest = sorted(self.running.items(), key=lambda kv: kv[1])
        names = [f"{visible(cid)} ({now - t:.0f}s)" for cid, t in oldest[:RUNNING_SHOWN]]
        more = len(oldest) - len(names)
        return ", ".join(names) + (f" +{more} more" if more else "")

    def line(self) -> str:
        """One progress line: ``progress: 120/320 done, 2 failed/errored; waiting on: ...``."""
        waiting = f"; waiting on: {self.waiting_on()}" if self.running else ""
        return f"progress: {self.done}/{self.total} done, {self.bad} failed/errored{waiting}"

    def _show(self) -> None:
        if self._live is not None:
            self._live.update(self.done, self.total, f"{self.bad} failed/errored", self.waiting_on())
        elif self.mode == "lines" and self.clock() - self._last_line >= self.interval:
            self._last_line = self.clock()
            self.stream.write(self.line() + "\n")
            self.stream.flush()


class _Live:
    """The rich display: a bar with done/total and the failures, and below it the running cases."""

    def __init__(self, stream: TextIO, total: int) -> None:
        from rich.console import Console, Group
        from rich.live import Live
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        self.bar = RichProgress(TextColumn("cases"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("{task.fields[bad]}", markup=False))
        self.task = self.bar.add_task("cases", total=total or None, bad="")
        self.waiting = Text("  waiting on: -")
        self.live = Live(Group(self.bar, self.waiting), console=Console(file=stream), transient=True,
                         refresh_per_second=4)
        self.live.start()

    def update(self, done: int, total: int, bad: str, running: str) -> None:
        self.bar.update(self.task, completed=done, total=total or None, bad=bad)
        self.waiting.plain = f"  waiting on: {running or '-'}"

    def stop(self) -> None:
        self.live.stop()
