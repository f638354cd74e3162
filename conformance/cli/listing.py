"""``rtconform list [--suite SPEC] [--case SEL] [--exclude SEL] [--strict]`` and ``rtconform run --list``:
the cases a run would cover, chosen exactly as ``run`` chooses them (:func:`conformance.app.plan`).

``rtconform list --suite wsclient`` (or ``sseclient``) lists a client suite too, chosen as ``rtconform
clients --list`` chooses it; client suites never run in ``rtconform run``, so a plain ``rtconform list``
lists the server suites and ends with one line naming the client suites.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from conformance.app import RunOptions, plan
from conformance.cli.args import UsageError, selection_args
from conformance.exitcodes import ExitCode
from conformance.model import Case
from conformance.registry import CLIENT_CATALOGS, load, suites
from conformance.selection import SelectionError
from conformance.targets import TargetSpec

__all__ = ["add_parser", "client_cases", "list_command", "print_cases", "selected_cases"]


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


def client_cases(names: Sequence[str], include: Sequence[str], exclude: Sequence[str], *,
                 strict: bool) -> list[Case]:
    """The cases of the client suites ``names`` that ``include`` (default: the suites) and ``exclude``
    select, as ``rtconform clients --list`` selects them. Raises UsageError when a suite has none."""
    registry = load(CLIENT_CATALOGS)
    chosen = []
    for name in names:
        cases = [c for c in registry.select(tuple(include) or (name,), exclude, strict=strict)
                 if c.spec == name]
        if not cases:
            raise UsageError(f"no case of the {name} suite matches the selection"
                             + ("" if strict else " (MUST cases only; add --strict for every level)"))
        chosen += cases
    return chosen


def list_command(args: argparse.Namespace) -> int:
    """``rtconform list``: the cases of every server suite, or of the ``--suite`` named (server or client
    suites), as ``run`` (``clients`` for a client suite) would choose them without a target."""
    clients = [s.spec for s in suites(CLIENT_CATALOGS)]
    servers = [s.spec for s in suites()]
    for name in args.suite:
        if name not in clients and name not in servers:
            raise UsageError(f"unknown --suite {name!r}; known: {', '.join(sorted(servers))}; client suites: "
                             f"{', '.join(sorted(clients))}")
    named_clients = [name for name in dict.fromkeys(args.suite) if name in clients]
    named_servers = tuple(name for name in args.suite if name in servers)
    cases = []
    if named_servers or not named_clients:
        opts = RunOptions(target=TargetSpec(), include=tuple(args.case), exclude=tuple(args.exclude),
                          suites=named_servers, strict=args.strict)
        cases = selected_cases(opts)
    cases += client_cases(named_clients, args.case, args.exclude, strict=args.strict)
    code = print_cases(cases)
    if not (args.suite or args.case):
        print(f"client suites (run by 'rtconform clients', never by 'rtconform run'): {', '.join(clients)}; "
              f"list one with 'rtconform list --suite SUITE'")
    return code
