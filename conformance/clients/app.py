"""One client-mode run from start to finish: select the client cases, run them with the client under test,
write the same reports as a server run, and return the same exit codes (``rtconform clients``).

The options are :class:`~conformance.app.RunOptions` (selection, settings, reports, gating: the server run's
own), plus a :class:`ClientSpec` saying which client suite runs and how the client is started. The reports
name the client (``--name``) as the target: ``reports/<name>/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from conformance.app import RunOptions, report_and_summarize, tool_version
from conformance.clients.browser import BrowserLauncher
from conformance.clients.process import Launch, LaunchError, command_launcher, expand_command
from conformance.clients.run import client_address, run_client_cases
from conformance.exitcodes import ExitCode
from conformance.gating import unselected_gate_warning
from conformance.halt import Halt
from conformance.model import Case, Level, Outcome
from conformance.registry import CLIENT_CATALOGS, Registry, catalog_hash, load
from conformance.reporting.folders import claim
from conformance.reporting.progress import Progress
from conformance.results import RunResult, TargetInfo
from conformance.review import ReviewInputs
from conformance.runner import utc_now
from conformance.selection import no_match_message

__all__ = ["BROWSERS", "ClientSpec", "client_suites", "default_name", "run_clients"]

#: ``--browser`` values: the browsers a driver page can run in.
BROWSERS = ("chromium",)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """The client under test: the suite it is tested with, and either a command or a browser.

    Attributes:
        suite: the client suite's spec key ("wsclient", "sseclient").
        command: the command line (``{url}`` replaced by each case's URL, else the URL appended), or None.
        browser: a browser of :data:`BROWSERS` running the suite's driver page, or None.
        name: the target name in the reports (and the report folder's name).
    """

    suite: str
    command: str | None
    browser: str | None
    name: str

    def __post_init__(self) -> None:
        if (self.command is None) == (self.browser is None):
            raise ValueError("give the client as --cmd COMMAND or --browser NAME (one of them)")
        if self.browser is not None and self.browser not in BROWSERS:
            raise ValueError(f"unknown --browser {self.browser!r}; known: {', '.join(BROWSERS)}")
        if not _NAME.match(self.name):
            raise ValueError(
                f"--name must be letters, digits, '.', '_' or '-' (at most 64), not {self.name!r}"
            )


def client_suites() -> tuple[str, ...]:
    """The spec keys of the client suites (:data:`conformance.registry.CLIENT_CATALOGS`)."""
    from conformance.registry import suites

    return tuple(s.spec for s in suites(CLIENT_CATALOGS))


def default_name(command: str | None, browser: str | None) -> str:
    """A report name from the client: the browser's name, or the command's script or program name."""
    if browser:
        return browser
    words = [w for w in shlex.split(command or "") if "{url}" not in w and not w.startswith("-")]
    stem = Path(words[-1]).stem if words else "client"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:64] or "client"


def selected(registry: Registry, spec: ClientSpec, opts: RunOptions) -> list[Case]:
    """The cases of the client suite matching the selection (``--case`` within the suite)."""
    include = opts.include or (spec.suite,)
    return [c for c in registry.select(include, opts.exclude, strict=opts.strict) if c.spec == spec.suite]


def _check_startable(command: str) -> str:
    """Why ``command`` cannot start ("" when it can)."""
    try:
        program = expand_command(command, "ws://127.0.0.1:1/")[0]
    except (LaunchError, ValueError) as exc:
        return str(exc)
    if os.sep in program:
        return "" if os.access(program, os.X_OK) else f"{program!r} is not an executable file"
    return "" if shutil.which(program) else f"{program!r} is not found on PATH"


@contextlib.asynccontextmanager
async def _launcher(spec: ClientSpec) -> AsyncIterator[Launch]:
    if spec.command is not None:
        yield command_launcher(spec.command)
        return
    async with BrowserLauncher(spec.suite) as browser:
        yield browser.launch


async def execute(
    cases: list[Case], spec: ClientSpec, opts: RunOptions, out: TextIO, halt: Halt
) -> RunResult:
    """Run ``cases`` with the client under test; the run's result, named after the client."""
    started_at, t0 = utc_now(), time.monotonic()
    progress = Progress.for_stream(out, quiet=opts.quiet, total=len(cases))
    try:
        async with _launcher(spec) as launch:
            results, timed_out = await run_client_cases(
                cases, launch, spec.name, opts.settings, progress, halt=halt, started=progress.started
            )
    finally:
        progress.close()
    s = opts.settings
    options = {
        "include": list(opts.include),
        "exclude": list(opts.exclude),
        "strict": opts.strict,
        "jobs": s.jobs,
        "timeout": s.timeout,
        "max_case_timeout": s.max_case_timeout,
        "run_timeout": s.run_timeout,
        "close_timeout": s.close_timeout,
        "fail_on": opts.gate,
        "fail_levels": [lv.value for lv in Level if lv in opts.fail_levels],
        "client_suite": spec.suite,
    }
    what = spec.command if spec.command is not None else f"{spec.browser} (the {spec.suite} driver page)"
    info = TargetInfo(kind="client", name=spec.name, url=client_address(spec.name).url, command=what)
    return RunResult(
        info,
        tool_version(),
        catalog_hash(cases),
        started_at,
        time.monotonic() - t0,
        options,
        tuple(results),
        timed_out,
    )


def run_clients(
    opts: RunOptions, spec: ClientSpec, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Do a whole client run and print its summary; returns the exit code (as ``rtconform run``)."""
    out = out or sys.stdout
    err = err or sys.stderr
    registry = load(CLIENT_CATALOGS)
    cases = selected(registry, spec, opts)
    try:
        if not cases:
            before = len(
                selected(
                    registry, spec, RunOptions(target=opts.target, include=opts.include, strict=opts.strict)
                )
            )
            raise ValueError(
                no_match_message(
                    opts.include,
                    (spec.suite,),
                    opts.exclude,
                    strict=opts.strict,
                    selected_before_exclude=before,
                )
            )
        opts = dataclasses.replace(opts, settings=opts.settings.for_cases(cases))
        inputs = ReviewInputs.load(opts.expect, opts.baseline, registry.by_id, opts.perf_factor)
        if opts.out is not None and opts.report_dir is not None:
            claim(opts.out, overwrite=opts.overwrite)
    except ValueError as exc:
        err.write(f"rtconform: error: {exc}\n")
        return ExitCode.USAGE
    except OSError as exc:
        err.write(f"rtconform: cannot use --out {opts.out}: {exc}\n")
        return ExitCode.TOOL
    if spec.command is not None and (why := _check_startable(spec.command)):
        err.write(f"rtconform: the client cannot be started: {why}\n")
        return ExitCode.TOOL
    if opts.fail_on is not None and (
        warning := unselected_gate_warning(opts.fail_on, {c.level for c in cases}, strict=opts.strict)
    ):
        err.write(f"rtconform: warning: {warning}\n")
    halt = Halt()
    try:
        result = asyncio.run(execute(cases, spec, opts, out, halt))
    except (LaunchError, OSError) as exc:
        err.write(f"rtconform: the client cannot be started: {exc}\n")
        return ExitCode.TOOL
    review = inputs.review(result)
    code, problem = _exit(result, review.exit_code, halt)
    return report_and_summarize(result, review, opts, code, problem, out=out, err=err)


def _exit(result: RunResult, reviewed: int, halt: Halt) -> tuple[int, str]:
    """The exit code, and the error line when the client could not be judged (as ``rtconform run``)."""
    if halt.reason:
        return ExitCode.TOOL, f"rtconform: the client could not be tested: {halt.reason}"
    if result.cases and all(c.outcome is Outcome.ERRORED for c in result.cases):
        first = result.cases[0].error.splitlines()[0] if result.cases[0].error else "?"
        return ExitCode.TOOL, f"rtconform: every case errored, the first with: {first}"
    return reviewed, ""
