"""``rtconform list [--suite SPEC] [--case SEL] [--exclude SEL] [--strict]`` and ``rtconform run --list``:
the cases a run would cover, chosen exactly as ``run`` chooses them (:func:`conformance.app.plan`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from conformance.app import RunOptions, plan
from conformance.cli.args import UsageError, selection_args
from conformance.exitcodes import ExitCode
from conformance.model import Case
from conformance.registry import load
from conformance.selection import SelectionError
from conformance.targets import TargetSpec

__all__ = ["add_parser", "list_command", "print_cases", "selected_cases"]


def add_parser(sub: Any) -> None:
    """Add ``list``."""
    p = sub.add_parser("list", help="list the cases")
    selection_args(p, strict_help="also list SHOULD, MAY and STRICT cases")
    p.set_defaults(handler=list_command)


def selected_cases(opts: RunOptions) -> list[Case]:
    """The cases ``rtconform run`` would run with ``opts`` (a ``--target`` without ``--suite`` may be
    probed, as the run does). Raises UsageError when the suites cannot be decided or nothing matches."""
    try:
        return plan(opts, load(), listing=True)[1]
    except SelectionError as exc:
        raise UsageError(str(exc)) from None


def print_cases(cases: Sequence[Case]) -> int:
    """Print ``cases``, one a line, and their number."""
    for c in cases:
        ab = f"[{c.autobahn}]" if c.autobahn else f"[{c.origin}]" if c.origin else ""
        print(f"{c.id:52} {c.level.value:6} {ab:10} {c.desc}")
    print(f"{len(cases)} cases")
    return ExitCode.OK


def list_command(args: argparse.Namespace) -> int:
    """``rtconform list``: the cases of every suite (or of ``--suite``), as ``run`` without a target."""
    opts = RunOptions(target=TargetSpec(), include=tuple(args.case), exclude=tuple(args.exclude),
                      suites=tuple(args.suite), strict=args.strict)
    return print_cases(selected_cases(opts))
