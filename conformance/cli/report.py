"""``rtconform report RUN.json [RUN.json ...] -o DIR``.

``report`` re-renders saved runs as one HTML report, one column per run (the multi-target matrix).
It exits 0 once the report is written; with ``--check`` it exits like ``run`` would (1 if a run does
not pass, given its expectations and baseline); 2 on a usage error (a missing or malformed
input file included); 3 if the report cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from conformance.baseline import read_run
from conformance.cli.args import add_perf_factor
from conformance.exitcodes import ExitCode
from conformance.reporting.folders import run_info
from conformance.reporting.fuzzview import load_fuzz
from conformance.reporting.html import render, write
from conformance.review import ReviewInputs

__all__ = ["add_parser", "report_main"]


def add_parser(sub: Any) -> None:
    """Add ``report``."""
    r: argparse.ArgumentParser = sub.add_parser(
        "report", help="render saved run.json files as an HTML report (one column per run)")
    r.add_argument("runs", nargs="+", metavar="RUN.json",
                   help="run.json files (or report folders holding one), one column each")
    r.add_argument("--output", "-o", required=True, metavar="DIR",
                   help="write index.html and cases/ here, replacing an earlier comparison (refused if DIR "
                        "holds a run of its own that is not one of the inputs)")
    r.add_argument("--label", "-l", action="append", default=[], metavar="NAME",
                   help="column heading, once per RUN.json in order (default: the target names)")
    r.add_argument("--expect", action="append", default=[], metavar="FILE",
                   help="expectations file: once for every run, or once per RUN.json in order "
                        "('' for none)")
    r.add_argument("--baseline", default=None, metavar="RUN.json",
                   help="show what changed since this run (in every column)")
    add_perf_factor(r)
    r.add_argument("--check", action="store_true",
                   help="exit 1 if a run does not pass (as 'rtconform run' would), 0 otherwise")
    r.set_defaults(handler=report_main)


def _inputs(args: argparse.Namespace) -> list[ReviewInputs]:
    n = len(args.runs)
    if args.label and len(args.label) != n:
        raise ValueError(f"--label must be given once per run: {len(args.label)} labels for {n} runs")
    if len(args.expect) not in (0, 1, n):
        raise ValueError(f"--expect must be given once, or once per run: {len(args.expect)} for {n} runs")
    expects = args.expect * n if len(args.expect) == 1 else args.expect or [None] * n
    return [ReviewInputs.load(e or None, args.baseline, perf_factor=args.perf_regression_factor)
            for e in expects]


def _run_paths(args: argparse.Namespace) -> list[Path]:
    """The inputs as run.json paths (a folder stands for its run.json); ``-o`` checked not to hold
    another run. Raises ValueError."""
    paths = [p / "run.json" if p.is_dir() else p for p in map(Path, args.runs)]
    own = Path(args.output) / "run.json"
    if own.is_file() and own.resolve() not in {p.resolve() for p in paths if p.is_file()}:
        info = run_info(own.parent)
        raise ValueError(f"-o {args.output} holds {info.describe() if info else 'a run.json'}, which is not "
                         "one of the inputs: the comparison would mix with it; name another folder")
    return paths


def report_main(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``rtconform report``; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        paths = _run_paths(args)
        runs = [read_run(p) for p in paths]
        inputs = _inputs(args)
    except ValueError as exc:  # a missing or malformed input file is a usage error, as --ca is
        err.write(f"rtconform: error: {exc}\n")
        return ExitCode.USAGE
    reviews = [i.review(run) for i, run in zip(inputs, runs, strict=True)]
    try:
        fuzz = [load_fuzz(p.parent, Path(args.output)) for p in paths]  # fuzz.json beside run.json
        write(render(runs, reviews=reviews, labels=args.label or None, fuzz=fuzz), Path(args.output))
    except OSError as exc:
        err.write(f"rtconform: cannot write the report: {exc}\n")
        return ExitCode.TOOL
    for label, review, path in zip(args.label or [r.target.name for r in runs], reviews, paths, strict=True):
        run = review.run
        out.write(f"{label}: {review.verdict()}\n")
        out.write(f"  from {path} (started {run.started_at}, {len(run.cases)} cases)\n")
        out.writelines(line + "\n" for line in review.lines())
    out.write(f"report: {Path(args.output) / 'index.html'}\n")
    if args.check:
        return ExitCode.FAILED if any(r.exit_code for r in reviews) else ExitCode.OK
    return ExitCode.OK
