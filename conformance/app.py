"""One conformance run from start to finish: select, start the target, run, stop, write the reports.

The CLI parses options into :class:`RunOptions` (no network, no catalog) and calls :func:`run`; tests can
call it directly. The run step decides the suites (:mod:`conformance.selection`, which may probe the
target), starts the target, and runs every case on the target's address with the user's connection
options, side by side (:class:`~conformance.wire.endpoint.Endpoint`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from conformance.exitcodes import ExitCode
from conformance.gating import default_fail_on, gating_levels, unselected_gate_warning
from conformance.halt import Halt
from conformance.model import Case, Level, Outcome
from conformance.registry import Registry, catalog_hash, load, suites
from conformance.reporting.fuzzview import load_fuzz
from conformance.reporting.html import render as render_html
from conformance.reporting.html import write as write_html
from conformance.reporting.json import render_index, render_run
from conformance.reporting.junit import render_junit
from conformance.reporting.terminal import Progress, render_summary, visible_line
from conformance.results import RunResult
from conformance.review import Review, ReviewInputs
from conformance.runner import RunSettings, run_cases, utc_now
from conformance.selection import SelectionError, resolve_include
from conformance.suites import find
from conformance.targets import TargetError, TargetSpec, make_target
from conformance.targets.sampling import memory_probe
from conformance.wire.endpoint import ConnectOptions, Endpoint

__all__ = ["RunOptions", "execute", "plan", "run", "tool_version", "write_reports"]


def tool_version() -> str:
    """The installed rtconform version (or the source tree's)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rtconform")
    except PackageNotFoundError:
        return "0.1.0+src"


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything ``rtconform run`` was asked to do.

    Attributes:
        target: a TargetSpec (url, command or the embedded reference); the run adds the selected suites.
        connect: the user's connection options (headers, TLS, ``--profile``...), used on every connection
            beside the address the target gives.
        include, exclude: case selectors (``--case``, ``--exclude``).
        suites: ``--suite`` names (used when ``include`` is empty; else the suites are inferred).
        strict: also run SHOULD, MAY and STRICT cases.
        fail_on: ``--fail-on``: "must", "should" or "strict", the lowest level whose failures make the exit
            code 1 (:mod:`conformance.gating`); None (not given): "strict" with ``strict``, else "must".
        report_dir: reports go to ``report_dir/<target name>/``; None writes none.
        expect: an expectations file (known deviations, ``conformance.expectfile``), or None.
        baseline: a saved run.json to diff against (``conformance.baseline``), or None.
    """

    target: TargetSpec
    connect: ConnectOptions = dataclasses.field(default_factory=ConnectOptions)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    suites: tuple[str, ...] = ()
    strict: bool = False
    settings: RunSettings = dataclasses.field(default_factory=RunSettings)
    fail_on: str | None = None
    report_dir: Path | None = Path("reports")
    quiet: bool = False
    expect: Path | None = None
    baseline: Path | None = None

    @property
    def gate(self) -> str:
        """``--fail-on``, or its default when not given."""
        return self.fail_on or default_fail_on(self.strict)

    @property
    def fail_levels(self) -> frozenset[Level]:
        """The levels whose failed or errored cases fail the run."""
        return gating_levels(self.gate)


async def execute(cases: list[Case], opts: RunOptions, out: TextIO, halt: Halt | None = None) -> RunResult:
    """Start the target, run ``cases`` on its address with ``opts.connect``, stop the target.

    ``halt`` says afterwards whether the run stopped early because the target could not be reached.

    Raises:
        TargetError: the target cannot start.
    """
    target = make_target(opts.target)
    started_at, t0 = utc_now(), time.monotonic()
    endpoint = Endpoint(await target.start(), opts.connect)
    try:
        progress = Progress(out, enabled=out.isatty() and not opts.quiet)
        results, timed_out = await run_cases(cases, endpoint, opts.settings, progress, halt,
                                             memory=memory_probe(target))
    finally:
        info = await target.stop()
    s = opts.settings
    options = {"include": list(opts.include), "exclude": list(opts.exclude), "strict": opts.strict,
               "jobs": s.jobs, "timeout": s.timeout, "max_case_timeout": s.max_case_timeout,
               "run_timeout": s.run_timeout, "close_timeout": s.close_timeout, "fail_on": opts.gate,
               "fail_levels": [lv.value for lv in Level if lv in opts.fail_levels]}
    return RunResult(info, tool_version(), catalog_hash(cases), started_at, time.monotonic() - t0,
                     options, tuple(results), timed_out)


def write_reports(result: RunResult, report_dir: Path, review: Review | None = None) -> Path:
    """Write run.json, index.json, junit.xml and the HTML report (index.html, cases/) under
    ``report_dir/<target name>/`` (with the Fuzzing section if ``rtconform fuzz`` left a fuzz.json
    there); return that folder."""
    folder = report_dir / result.target.name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(render_run(result), encoding="utf-8")
    (folder / "index.json").write_text(render_index(result), encoding="utf-8")
    (folder / "junit.xml").write_text(render_junit(result), encoding="utf-8")
    write_html(render_html([result], reviews=[review or Review(result)], fuzz=[load_fuzz(folder)]), folder)
    return folder


def plan(opts: RunOptions, registry: Registry) -> tuple[RunOptions, list[Case]]:
    """The cases a run covers, and ``opts`` completed with the selectors used (``include``), the
    selected cases' suites (``target.suites``: the embedded reference servers to start) and the run
    timeout derived from the cases when none was given (:meth:`RunSettings.for_cases`).

    Raises:
        SelectionError: the suites cannot be decided, or no case matches (usage errors, one line each).
    """
    known = suites()
    address = opts.target.address
    include = resolve_include(opts.include, opts.suites,
                              None if address is None else Endpoint(address, opts.connect), known,
                              docker=bool(opts.target.docker_image))
    cases = registry.select(include, opts.exclude, strict=opts.strict)
    if not cases:
        raise SelectionError(f"no case matches --case {list(include)} --exclude {list(opts.exclude)}"
                             f"{'' if opts.strict else ' (without --strict)'}")
    selected = tuple(s for spec in dict.fromkeys(c.spec for c in cases) if (s := find(known, spec)))
    target = dataclasses.replace(opts.target, suites=selected)
    settings = opts.settings.for_cases(cases)
    return dataclasses.replace(opts, include=include, target=target, settings=settings), cases


def run(opts: RunOptions, *, out: TextIO | None = None, err: TextIO | None = None,
        registry: Registry | None = None) -> int:
    """Do a whole run and print its summary; returns the exit code (:class:`ExitCode`)."""
    out = out or sys.stdout
    err = err or sys.stderr
    reg = registry or load()
    try:
        opts, cases = plan(opts, reg)
        inputs = ReviewInputs.load(opts.expect, opts.baseline, reg.by_id)
    except ValueError as exc:  # SelectionError included
        err.write(f"rtconform: error: {exc}\n")
        return ExitCode.USAGE
    if opts.fail_on is not None and (warning := unselected_gate_warning(
            opts.fail_on, {c.level for c in cases}, strict=opts.strict)):
        err.write(f"rtconform: warning: {warning}\n")
    halt = Halt()
    try:
        result = asyncio.run(execute(cases, opts, out, halt))
    except TargetError as exc:
        err.write(f"rtconform: target error: {exc}\n")
        return ExitCode.TOOL
    levels = frozenset(level.value for level in opts.fail_levels)
    summary = render_summary(result, fail_levels=levels)
    out.write(summary.splitlines()[-1] + "\n" if opts.quiet else summary)
    review = inputs.review(result)
    if not opts.quiet and (opts.expect or opts.baseline):
        out.writelines(visible_line(line) for line in [*review.lines(), f"verdict: {review.verdict()}"])
    if opts.report_dir is not None:
        try:
            folder = write_reports(result, opts.report_dir, review)
        except OSError as exc:
            err.write(f"rtconform: cannot write reports: {exc}\n")
            return ExitCode.TOOL
        if not opts.quiet:
            out.write(f"reports: {folder}/index.html, run.json, index.json, junit.xml\n")
    if halt.reason:
        stopped = ("not run: the run stopped:", "not finished: the run stopped:")
        cut = sum(1 for c in result.cases if c.error.startswith(stopped))
        tail = f"; the run stopped early ({cut} of {len(result.cases)} cases not run or cut short)"
        err.write(f"rtconform: the target could not be reached: {halt.reason}{tail if cut else ''}\n")
        return ExitCode.TOOL
    if all(c.outcome is Outcome.ERRORED for c in result.cases):
        first = result.cases[0].error.splitlines()[0] if result.cases[0].error else "?"
        err.write(visible_line(f"rtconform: every case errored, the first with: {first}"))
        return ExitCode.TOOL
    return review.exit_code
