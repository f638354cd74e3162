"""What the subcommands' parsers share: the parser class (errors raise :class:`UsageError`, shown by
:func:`conformance.cli.main` as one line with exit 2), number types, and the case selection options."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

from conformance.baseline import DEFAULT_PERF_REGRESSION_FACTOR, check_factor
from conformance.gating import FAIL_ON

__all__ = ["Parser", "UsageError", "add_perf_factor", "factor", "positive", "selection_args"]


class UsageError(Exception):
    """A bad option or option value (exit 2, one line)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors raise :class:`UsageError` instead of printing usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` greater than 0."""
    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
        return value

    return convert


def selection_args(p: argparse.ArgumentParser, *, strict_help: str) -> None:
    """``--suite``, ``--case``, ``--exclude`` and ``--strict`` (``run`` and ``list``)."""
    p.add_argument("--suite", action="append", default=[], metavar="SPEC",
                   help="the suite (ws, sse, poll, eio, sio; for list also wsclient, sseclient); "
                        "repeatable; default: every suite, or for 'run --target URL' the one the URL and a "
                        "probe point at (ignored with --case)")
    p.add_argument("--case", "-c", action="append", default=[], metavar="SEL",
                   help="run cases matching SEL: an ID prefix (ws/5.5), a glob (ws/*/ping-*) or an "
                        "Autobahn id (6.4.1, 5.*); repeatable")
    p.add_argument("--exclude", "-x", action="append", default=[], metavar="SEL",
                   help="skip cases matching SEL (same grammar); repeatable")
    p.add_argument("--strict", action="store_true", help=strict_help)


def factor(text: str) -> float:
    """An argparse type: ``--perf-regression-factor``, a finite number above 1."""
    try:
        return check_factor(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number above 1, not {text!r}") from None


def add_perf_factor(p: argparse.ArgumentParser) -> None:
    """``--perf-regression-factor`` (``run`` and ``report``, beside ``--baseline``)."""
    p.add_argument("--perf-regression-factor", type=factor, default=DEFAULT_PERF_REGRESSION_FACTOR,
                   metavar="X",
                   help="with --baseline: a measured case (Autobahn 9.x) X times slower than in the baseline "
                        f"is reported as a performance regression, never failing the run (default "
                        f"{DEFAULT_PERF_REGRESSION_FACTOR:g})")


def report_and_gate_args(p: argparse.ArgumentParser) -> None:
    """Where the reports go, what fails the run, and how much the summary lists: the options `run` and
    `clients` share."""
    p.add_argument("--report-dir", default="reports", metavar="DIR",
                   help="write index.html, run.json, index.json and junit.xml under DIR/<target>/ "
                        "(default reports/); a run already there moves to DIR/earlier/<target>/<start time>/")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write the reports exactly in DIR instead; refused if DIR holds a report, unless "
                        "--overwrite")
    p.add_argument("--overwrite", action="store_true",
                   help="with --out: remove the report already in DIR (its report files only) first")
    p.add_argument("--no-reports", action="store_true", help="write no report files")
    p.add_argument("--fail-on", choices=tuple(FAIL_ON), default=None,
                   help="the lowest level whose failed or errored cases fail the run (exit 1): must; should "
                        "(MUST and SHOULD); strict (MUST, SHOULD and STRICT). MAY never does. Default: "
                        "strict with --strict, else must. SHOULD and STRICT cases run only with --strict")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print only the result line: no progress, no failure listing")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="list every failure and name every non-strict case (default: the first 8 failures, "
                        "gating ones first, and 10 names)")
    p.add_argument("--max-failures", type=positive(int), default=None, metavar="N",
                   help="list the first N failures in full (8; gating ones first)")
    p.add_argument("--expect", default=None, metavar="FILE",
                   help="known deviations (TOML, case id = reason): expected failures do not fail the "
                        "run; a listed case that passes does (strict)")
    p.add_argument("--baseline", default=None, metavar="RUN.json",
                   help="compare with a saved run: report newly failing/passing cases and changed close "
                        "codes; only new failures fail the run")
    add_perf_factor(p)


def max_failures_from(args: argparse.Namespace) -> int | None:
    """Checks the options of :func:`report_and_gate_args` that go together, and returns how many failures
    the summary lists in full: all with ``-v``, else ``--max-failures`` or 8. Raises UsageError."""
    if args.overwrite and not args.out:
        raise UsageError("--overwrite goes with --out DIR (without --out, an earlier run is moved aside)")
    if args.out and args.no_reports:
        raise UsageError("--out and --no-reports contradict each other")
    if args.verbose and args.quiet:
        raise UsageError("--verbose and --quiet cannot be used together")
    if args.verbose:
        return None
    return int(args.max_failures) if args.max_failures is not None else 8
