"""Running the selected cases for a pytest session: the whole selection at once, or one item at a time
on an xdist worker. Registered as a plugin only when ``--rtconform-target`` is given.

* Collection (:meth:`RunPlugin.pytest_collection_modifyitems`, ``tryfirst``, so ``-k``, ``-m`` and
  ``--lf`` see the items and deselect among them): the selection is ``rtconform run``'s own
  (:func:`conformance.app.plan`: suites, ``--rtconform-case``, levels), one item per case.
* The run (:meth:`RunPlugin.pytest_runtestloop`, before pytest runs any item): the cases of the items
  left after deselection go through :func:`conformance.app.execute` once, exactly as ``rtconform run``
  runs them; each item then reports its case's result.
* On an xdist worker (``-n N``) a worker does not know which items it will get, so each item runs its
  case alone through the runner (:class:`OneAtATime`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from typing import TYPE_CHECKING

import pytest

from conformance.model import Case, Outcome
from conformance.pytest_plugin.items import CaseItem, collect_cases
from conformance.results import CaseResult, RunResult, TargetInfo, case_result
from conformance.review import Review, ReviewInputs

if TYPE_CHECKING:
    from conformance.app import RunOptions
    from conformance.halt import Halt
    from conformance.runner import RunSettings
    from conformance.targets import Target
    from conformance.wire.endpoint import Endpoint

__all__ = ["OneAtATime", "RunPlugin", "WholeSelection"]


def _review(opts: RunOptions, inputs: ReviewInputs, result: RunResult | None = None) -> Review:
    if result is None:  # a one-case source has no run: the review only needs the gate
        result = RunResult(TargetInfo("url", "", ""), "", "", "", 0.0, {"fail_on": opts.gate})
    return inputs.review(result)


def _errored(case: Case, why: str) -> CaseResult:
    return case_result(case, outcome=Outcome.ERRORED, error=why)


class WholeSelection:
    """Every selected case in one run, before the first item (the results the items report)."""

    def __init__(self, opts: RunOptions, inputs: ReviewInputs) -> None:
        self.opts = opts
        self.inputs = inputs
        self.review = _review(opts, inputs)
        self.results: dict[str, CaseResult] = {}
        self.problem = ""
        self.run: RunResult | None = None
        self.halt_reason = ""

    def settings(self, cases: list[Case]) -> RunSettings:
        """The settings a run of ``cases`` gets: the run timeout derived from them, as ``rtconform run``
        derives it from its selection."""
        return self.opts.settings.for_cases(cases)

    def start(self, cases: list[Case]) -> None:
        """Run ``cases`` as ``rtconform run`` does."""
        from conformance.app import execute
        from conformance.halt import Halt
        from conformance.targets import TargetError

        opts = dataclasses.replace(self.opts, settings=self.settings(cases))
        halt = Halt()
        try:
            self.run = asyncio.run(execute(cases, opts, io.StringIO(), halt))
        except TargetError as exc:
            self.problem = f"target error: {exc}"
            return
        self.halt_reason = halt.reason
        self.review = _review(opts, self.inputs, self.run)
        self.results = {c.id: c for c in self.run.cases}

    def result(self, item: CaseItem) -> CaseResult:
        found = self.results.get(item.case.id)
        if found is not None:
            return found
        return _errored(item.case, self.problem or "not run: the rtconform run did not include this case")

    def status(self, result: CaseResult) -> str:
        return self.review.status(result)

    def gate(self) -> str:
        return self.opts.gate


class OneAtATime:
    """Each item's case run alone when the item runs (xdist workers), on one event loop per worker that
    keeps the target and the :class:`~conformance.halt.Halt` of the worker's cases.

    An exclusive case is skipped when there is more than one worker: the others would be running cases
    against the same target while it measures the whole target.
    """

    def __init__(self, opts: RunOptions, inputs: ReviewInputs, workers: int) -> None:
        self.opts = opts
        self.workers = workers
        self.review = _review(opts, inputs)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.target: Target | None = None
        self.endpoint: Endpoint | None = None
        self.halt: Halt | None = None
        self.problem = ""
        self.halt_reason = ""

    def _started(self) -> asyncio.AbstractEventLoop:
        from conformance.halt import Halt
        from conformance.targets import TargetError, make_target
        from conformance.wire.endpoint import Endpoint

        if self.loop is not None:
            return self.loop
        self.loop = loop = asyncio.new_event_loop()
        self.target = make_target(self.opts.target)
        try:
            self.endpoint = Endpoint(loop.run_until_complete(self.target.start()), self.opts.connect)
        except TargetError as exc:
            self.problem, self.target = f"target error: {exc}", None
        self.halt = loop.run_until_complete(_make_halt(Halt))
        return loop

    def result(self, item: CaseItem) -> CaseResult:
        from conformance.runner import run_cases

        case = item.case
        if case.exclusive and self.workers > 1:
            pytest.skip(f"rtconform: {case.id} is exclusive (it measures the whole target, with nothing "
                        f"else running) and {self.workers} xdist workers run cases at once: run it "
                        "without -n")
        loop = self._started()
        if self.endpoint is None:
            return _errored(case, self.problem)
        settings = self.opts.settings.for_cases([case])
        results, _ = loop.run_until_complete(run_cases([case], self.endpoint, settings, halt=self.halt))
        self.halt_reason = self.halt.reason if self.halt else ""
        return results[0]

    def status(self, result: CaseResult) -> str:
        return self.review.status(result)

    def gate(self) -> str:
        return self.opts.gate

    def close(self) -> None:
        """Stop the target and close the loop."""
        if self.loop is None:
            return
        if self.target is not None:
            self.loop.run_until_complete(self.target.stop())
        self.loop.close()


async def _make_halt(kind: type[Halt]) -> Halt:
    return kind()  # made on the worker's loop: its event belongs to that loop


class RunPlugin:
    """The hooks of a session with ``--rtconform-target``."""

    def __init__(self, config: pytest.Config, opts: RunOptions) -> None:
        self.config = config
        self.opts = opts
        self.url = opts.target.address.url if opts.target.address else ""
        workerinput = getattr(config, "workerinput", None)
        self.workers = int(workerinput["workercount"]) if workerinput else 0
        self.source: WholeSelection | OneAtATime | None = None
        self.started = 0.0
        self.ran = 0

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        from conformance.app import plan
        from conformance.registry import load, suites

        registry = load()
        try:
            opts, cases = plan(self.opts, registry)
            inputs = ReviewInputs.load(opts.expect, None, registry.by_id)
        except ValueError as exc:  # SelectionError, ExpectationsError
            raise pytest.UsageError(f"rtconform: {exc}") from None
        # the run timeout is derived from the cases left after deselection (WholeSelection.start), as
        # rtconform run derives it from its selection
        self.opts = opts = dataclasses.replace(opts, settings=self.opts.settings)
        self.source = (OneAtATime(opts, inputs, self.workers) if self.workers else
                       WholeSelection(opts, inputs))
        items += collect_cases(session, cases, self.source, suites(), inputs.expectations)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if not isinstance(self.source, WholeSelection) or session.config.option.collectonly:
            return
        cases = [item.case for item in session.items if isinstance(item, CaseItem)]
        if not cases:
            return
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            settings = self.source.settings(cases)
            reporter.write_line(f"rtconform: running {len(cases)} cases against {self.url} before reporting "
                                f"them ({settings.jobs} at once, run timeout {settings.run_timeout:g}s)")
        self.started = time.monotonic()
        self.source.start(cases)
        self.ran = len(cases)

    def pytest_sessionfinish(self) -> None:
        if isinstance(self.source, OneAtATime):
            self.source.close()

    def pytest_report_header(self) -> str:
        return f"rtconform: target {self.url}"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        source = self.source
        lines = []
        if isinstance(source, WholeSelection) and self.ran:
            took = time.monotonic() - self.started if source.run is None else source.run.duration_s
            cut = " (run timeout reached)" if source.run is not None and source.run.run_timed_out else ""
            lines.append(f"{self.ran} cases against {self.url} in {took:.1f}s{cut}")
        if source is not None and source.problem:
            lines.append(source.problem)
        if source is not None and source.halt_reason:
            lines.append(f"the target could not be reached, the run stopped: {source.halt_reason}")
        if lines:
            terminalreporter.write_sep("-", "rtconform")
            for line in lines:
                terminalreporter.write_line(line)
