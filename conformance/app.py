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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from conformance.baseline import DEFAULT_PERF_REGRESSION_FACTOR
from conformance.exitcodes import ExitCode
from conformance.gating import default_fail_on, gating_levels, unselected_gate_warning
from conformance.halt import Halt
from conformance.model import Case, Level, Outcome
from conformance.registry import Registry, catalog_hash, load, matches, suites
from conformance.reporting.folders import claim, rotate
from conformance.reporting.fuzzview import load_fuzz
from conformance.reporting.html import render as render_html
from conformance.reporting.html import write as write_html
from conformance.reporting.json import render_index, render_run, render_transcripts
from conformance.reporting.junit import render_junit
from conformance.reporting.progress import Progress
from conformance.reporting.terminal import SummaryOptions, render_summary, visible_line
from conformance.results import TRANSCRIPTS_FILE, RunResult
from conformance.review import Review, ReviewInputs
from conformance.runner import RunSettings, run_cases, utc_now
from conformance.selection import SelectionError, no_match_message, resolve_include
from conformance.suites import Suite, find
from conformance.targets import TargetError, TargetSpec, make_target
from conformance.targets.sampling import memory_probe
from conformance.wire.endpoint import ConnectOptions, Endpoint

__all__ = ["RunOptions", "execute", "plan", "report_folder", "run", "tool_version", "write_reports"]


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
        report_dir: reports go to ``report_dir/<target name>/``, an earlier run there moved to
            ``report_dir/earlier/`` (:mod:`conformance.reporting.folders`); None writes none.
        out: ``--out DIR``: write the reports exactly there instead (refused if it holds a report,
            unless ``overwrite``: then that report's files are removed first).
        quiet: print only the result line (no progress, no summary).
        max_failures: failures the summary lists in full (None: all, ``-v``).
        expect: an expectations file (known deviations, ``conformance.expectfile``), or None.
        baseline: a saved run.json to diff against (``conformance.baseline``), or None.
        perf_factor: ``--perf-regression-factor``: a measured case this many times slower than in the
            baseline is reported as a performance regression (never gating).
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
    out: Path | None = None
    overwrite: bool = False
    quiet: bool = False
    max_failures: int | None = 8
    expect: Path | None = None
    baseline: Path | None = None
    perf_factor: float = DEFAULT_PERF_REGRESSION_FACTOR

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
    progress = Progress.for_stream(out, quiet=opts.quiet, total=len(cases))
    ticker = asyncio.ensure_future(_tick(progress))
    try:
        results, timed_out = await run_cases(cases, endpoint, opts.settings, progress, halt,
                                              started=progress.started, memory=memory_probe(target))
    finally:
        ticker.cancel()
        progress.close()
        info = await target.stop()
    s = opts.settings
    options = {"include": list(opts.include), "exclude": list(opts.exclude), "strict": opts.strict,
               "jobs": s.jobs, "timeout": s.timeout, "max_case_timeout": s.max_case_timeout,
               "run_timeout": s.run_timeout, "close_timeout": s.close_timeout, "fail_on": opts.gate,
               "fail_levels": [lv.value for lv in Level if lv in opts.fail_levels]}
    return RunResult(info, tool_version(), catalog_hash(cases), started_at, time.monotonic() - t0,
                     options, tuple(results), timed_out)


async def _tick(progress: Progress) -> None:
    """Let ``progress`` print a due line (or refresh what it waits on) every second."""
    while True:
        await asyncio.sleep(1.0)
        progress.tick()


def write_reports(result: RunResult, folder: Path, review: Review | None = None) -> Path:
    """Write run.json, index.json, junit.xml and the HTML report (index.html, cases/) in ``folder``
    (with the Fuzzing section if ``rtconform fuzz`` left a fuzz.json there); return ``folder``.

    The caller picks the folder (:func:`report_folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(render_run(result), encoding="utf-8")
    (folder / TRANSCRIPTS_FILE).write_bytes(render_transcripts(result))
    (folder / "index.json").write_text(render_index(result), encoding="utf-8")
    (folder / "junit.xml").write_text(render_junit(result), encoding="utf-8")
    write_html(render_html([result], reviews=[review or Review(result)], fuzz=[load_fuzz(folder)]), folder)
    return folder


def report_folder(opts: RunOptions, result: RunResult) -> tuple[Path, Path | None]:
    """The folder for ``result``'s reports, and where an earlier run found there was moved (or None).

    ``--out DIR`` was claimed before the run (:func:`conformance.reporting.folders.claim`); else
    ``report_dir/<target name>/``, its earlier run moved aside first (:func:`rotate`).

    Raises:
        OSError: the earlier run cannot be moved.
    """
    if opts.out is not None:
        return opts.out, None
    assert opts.report_dir is not None
    folder = opts.report_dir / result.target.name
    return folder, rotate(folder)


def plan(opts: RunOptions, registry: Registry, *, listing: bool = False) -> tuple[RunOptions, list[Case]]:
    """The cases a run covers, and ``opts`` completed with the selectors used (``include``), the
    selected cases' suites (``target.suites``: the embedded reference servers to start) and the run
    timeout derived from the cases when none was given (:meth:`RunSettings.for_cases`).

    A run against the embedded reference servers that names no suite and no case covers the suites that
    have one (a suite without an embedded reference server is run with ``--target``); ``listing`` (``rtconform
    list``) covers every suite.

    Raises:
        SelectionError: the suites cannot be decided, or no case matches (usage errors, one line each).
    """
    known = suites()
    address = opts.target.address
    include = resolve_include(opts.include, opts.suites,
                              None if address is None else Endpoint(address, opts.connect), known,
                              docker=bool(opts.target.docker_image))
    if not (include or listing) and opts.target.kind == "reference" and not all(s.reference for s in known):
        include = tuple(s.spec for s in known if s.reference)
    cases = registry.select(include, opts.exclude, strict=opts.strict)
    if opts.target.kind == "reference" and not opts.strict:
        cases = _with_profile_cases(registry, cases, include, opts.exclude, known)
    if not cases:
        before = len(registry.select(include, (), strict=opts.strict))
        raise SelectionError(no_match_message(opts.include, include, opts.exclude, strict=opts.strict,
                                              selected_before_exclude=before))
    selected = tuple(s for spec in dict.fromkeys(c.spec for c in cases) if (s := find(known, spec)))
    target = dataclasses.replace(opts.target, suites=selected)
    settings = opts.settings.for_cases(cases)
    return dataclasses.replace(opts, include=include, target=target, settings=settings), cases


def _with_profile_cases(registry: Registry, cases: list[Case], include: Sequence[str], exclude: Sequence[str],
                        known: Sequence[Suite]) -> list[Case]:
    """``cases`` plus the suites' ``profile_cases`` that ``include`` and ``exclude`` select, in catalog
    order: the embedded reference servers declare those promises, so their run checks them at every level."""
    declared = [selector for suite in known for selector in suite.profile_cases]
    if not declared:
        return cases
    chosen = {c.id for c in cases} | {c.id for c in registry.select(declared, exclude, strict=True)
                                      if not include or any(matches(c, s) for s in include)}
    return [c for c in registry.cases if c.id in chosen]


def run(opts: RunOptions, *, out: TextIO | None = None, err: TextIO | None = None,
        registry: Registry | None = None) -> int:
    """Do a whole run and print its summary; returns the exit code (:class:`ExitCode`)."""
    out = out or sys.stdout
    err = err or sys.stderr
    reg = registry or load()
    try:
        opts, cases = plan(opts, reg)
        inputs = ReviewInputs.load(opts.expect, opts.baseline, reg.by_id, opts.perf_factor)
        if opts.out is not None and opts.report_dir is not None:
            claim(opts.out, overwrite=opts.overwrite)
    except ValueError as exc:  # SelectionError and FolderInUse included
        err.write(f"rtconform: error: {exc}\n")
        return ExitCode.USAGE
    except OSError as exc:
        err.write(f"rtconform: cannot use --out {opts.out}: {exc}\n")
        return ExitCode.TOOL
    if opts.fail_on is not None and (warning := unselected_gate_warning(
            opts.fail_on, {c.level for c in cases}, strict=opts.strict)):
        err.write(f"rtconform: warning: {warning}\n")
    halt = Halt()
    try:
        result = asyncio.run(execute(cases, opts, out, halt))
    except TargetError as exc:
        err.write(f"rtconform: target error: {exc}\n")
        return ExitCode.TOOL
    review = inputs.review(result)
    code, problem = _exit(result, review, halt)
    return report_and_summarize(result, review, opts, code, problem, out=out, err=err)


def report_and_summarize(result: RunResult, review: Review, opts: RunOptions, code: int, problem: str, *,
                         out: TextIO, err: TextIO) -> int:
    """The end of a run (``rtconform run`` and ``rtconform clients`` alike): write the reports where the
    options say, print ``problem`` (if any) on ``err`` and the summary on ``out``; returns ``code``, or
    :attr:`ExitCode.TOOL` when the reports cannot be written."""
    folder: Path | None = None
    moved: Path | None = None
    if opts.report_dir is not None:
        try:
            folder, moved = report_folder(opts, result)
            folder = write_reports(result, folder, review)
        except OSError as exc:
            err.write(f"rtconform: cannot write reports: {exc}\n")
            return ExitCode.TOOL
    report = str(folder / "index.html") if folder is not None else None
    every = opts.max_failures is None  # -v: every failure, every non-strict case named
    summary = render_summary(result, review, SummaryOptions(
        max_failures=opts.max_failures, max_named=None if every else 10, report=report, exit_code=code))
    if problem:  # first, so that on a terminal it stands above the summary that refers to it
        err.write(visible_line(problem))
        err.flush()
    out.write(summary.splitlines()[-1] + "\n" if opts.quiet else summary)
    if not opts.quiet and (opts.expect or opts.baseline):
        out.writelines(visible_line(line) for line in [*review.lines(), f"verdict: {review.verdict()}"])
    if folder is not None and not opts.quiet:
        out.write(f"reports: {folder}/index.html, run.json, index.json, junit.xml\n")
        if moved is not None:
            out.write(f"the earlier run that was in {folder} is now in {moved}\n")
    return code


def _exit(result: RunResult, review: Review, halt: Halt) -> tuple[int, str]:
    """The exit code of a finished run, and the error line to print when the target could not be judged."""
    if halt.reason:
        stopped = ("not run: the run stopped:", "not finished: the run stopped:")
        cut = sum(1 for c in result.cases if c.error.startswith(stopped))
        tail = f"; the run stopped early ({cut} of {len(result.cases)} cases not run or cut short)"
        reason = f"{halt.reason}{tail if cut else ''}"
        return ExitCode.TOOL, f"rtconform: the target could not be reached: {reason}"
    if all(c.outcome is Outcome.ERRORED for c in result.cases):
        first = result.cases[0].error.splitlines()[0] if result.cases[0].error else "?"
        return ExitCode.TOOL, f"rtconform: every case errored, the first with: {first}"
    return review.exit_code, ""
