"""``rtconform list [--case SEL] [--exclude SEL] [--strict]`` (and ``rtconform run --list``): the cases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.cli.args import selection_args
from conformance.exitcodes import ExitCode
from conformance.registry import load

__all__ = ["add_parser", "list_cases"]


def add_parser(sub: Any) -> None:
    """Add ``list``."""
    p = sub.add_parser("list", help="list the cases")
    selection_args(p)
    p.set_defaults(handler=lambda args: list_cases(args.case, args.exclude, args.strict))


def list_cases(include: Sequence[str], exclude: Sequence[str], strict: bool) -> int:
    """Print the selected cases, one a line, and their number."""
    cases = load().select(include, exclude, strict=strict)
    for c in cases:
        ab = f"[{c.autobahn}]" if c.autobahn else ""
        print(f"{c.id:52} {c.level.value:6} {ab:10} {c.desc}")
    print(f"{len(cases)} cases")
    return ExitCode.OK
