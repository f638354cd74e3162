"""One conformance run from start to finish: select, start the target, run, stop, write the reports.

The CLI parses options into :class:`RunOptions` and calls :func:`run`; tests can call it directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from conformance.model import Case, Level, Outcome
from conformance.registry import Registry, catalog_hash, load
from conformance.reporting.fuzzview import load_fuzz
from conformance.reporting.html import render as render_html
from conformance.reporting.html import write as write_html
from conformance.reporting.json import render_index, render_run
from conformance.reporting.junit import render_junit
from conformance.reporting.terminal import Progress, render_summary
from conformance.results import RunResult
from conformance.review import Review, ReviewInputs
from conformance.runner import RunSettings, run_cases, utc_now
from conformance.targets import TargetError, TargetSpec, make_target
from conformance.wire.endpoint import Endpoint

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_TOOL", "EXIT_USAGE", "RunOptions", "exit_code", "run",
           "tool_version"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_TOOL = 0, 1, 2, 3


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
        target: a TargetSpec (url, command or the embedded reference).
        connect: connection options applied to whatever endpoint the target gives (headers, TLS...).
        include, exclude: case selectors.
        strict: also run SHOULD and MAY cases.
        fail_on: "must" or "should": the lowest level whose failures make the exit code 1.
        report_dir: reports go to ``report_dir/<target name>/``; None writes none.
        expect: an expectations file (known deviations, ``conformance.expectfile``), or None.
        baseline: a saved run.json to diff against (``conformance.baseline``), or None.
    """

    target: TargetSpec
    connect: Endpoint | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    strict: bool = False
    settings: RunSettings = dataclasses.field(default_factory=RunSettings)
    fail_on: str = "must"
    report_dir: Path | None = Path("reports")
    quiet: bool = False
    expect: Path | None = None
    baseline: Path | None = None

    @property
    def fail_levels(self) -> frozenset[Level]:
        """The levels whose failed or errored cases fail the run."""
        return frozenset({Level.MUST, Level.SHOULD}) if self.fail_on == "should" else frozenset({Level.MUST})


def exit_code(run_result: RunResult, fail_levels: frozenset[Level]) -> int:
    """0 when no gating case failed or errored, else 1."""
    return EXIT_FAILED if run_result.failures(fail_levels) else EXIT_OK


def _apply_connect(endpoint: Endpoint, connect: Endpoint | None) -> Endpoint:
    if connect is None:
        return endpoint
    return dataclasses.replace(endpoint, headers=connect.headers, subprotocols=connect.subprotocols,
                               origin=connect.origin, ca_file=connect.ca_file, insecure=connect.insecure)


async def execute(cases: list[Case], opts: RunOptions, out: TextIO) -> RunResult:
    """Start the target, run ``cases``, stop the target. Raises :class:`TargetError` if it cannot start."""
    target = make_target(opts.target)
    started_at, t0 = utc_now(), time.monotonic()
    endpoint = _apply_connect(await target.start(), opts.connect)
    try:
        progress = Progress(out, enabled=out.isatty() and not opts.quiet)
        results, timed_out = await run_cases(cases, endpoint, opts.settings, progress)
    finally:
        info = await target.stop()
    s = opts.settings
    options = {"include": list(opts.include), "exclude": list(opts.exclude), "strict": opts.strict,
               "jobs": s.jobs, "timeout": s.timeout, "run_timeout": s.run_timeout,
               "close_timeout": s.close_timeout, "fail_on": opts.fail_on}
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


def run(opts: RunOptions, *, out: TextIO | None = None, err: TextIO | None = None,
        registry: Registry | None = None) -> int:
    """Do a whole run and print its summary; returns the exit code (0, 1, 2 or 3)."""
    out = out or sys.stdout
    err = err or sys.stderr
    reg = registry or load()
    cases = reg.select(opts.include, opts.exclude, strict=opts.strict)
    if not cases:
        err.write(f"rtconform: error: no case matches --case {list(opts.include)} "
                  f"--exclude {list(opts.exclude)}{'' if opts.strict else ' (without --strict)'}\n")
        return EXIT_USAGE
    try:
        inputs = ReviewInputs.load(opts.expect, opts.baseline, reg.by_id)
    except ValueError as exc:
        err.write(f"rtconform: error: {exc}\n")
        return EXIT_USAGE
    try:
        result = asyncio.run(execute(cases, opts, out))
    except TargetError as exc:
        err.write(f"rtconform: target error: {exc}\n")
        return EXIT_TOOL
    levels = frozenset(level.value for level in opts.fail_levels)
    summary = render_summary(result, fail_levels=levels)
    out.write(summary.splitlines()[-1] + "\n" if opts.quiet else summary)
    review = inputs.review(result)
    if not opts.quiet and (opts.expect or opts.baseline):
        out.writelines(line + "\n" for line in [*review.lines(), f"verdict: {review.verdict()}"])
    if opts.report_dir is not None:
        try:
            folder = write_reports(result, opts.report_dir, review)
        except OSError as exc:
            err.write(f"rtconform: cannot write reports: {exc}\n")
            return EXIT_TOOL
        if not opts.quiet:
            out.write(f"reports: {folder}/index.html, run.json, index.json, junit.xml\n")
    if all(c.outcome is Outcome.ERRORED for c in result.cases):
        first = result.cases[0].error.splitlines()[0] if result.cases[0].error else "?"
        err.write(f"rtconform: every case errored, the first with: {first}\n")
        return EXIT_TOOL
    return review.exit_code
