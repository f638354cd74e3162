"""``rtconform clients``: test a WebSocket or SSE *client* (a command, or a browser through a driver page).

    rtconform clients --suite wsclient --cmd "python my_client.py {url}"
    rtconform clients --suite wsclient --browser chromium

Each case plays the server side on 127.0.0.1 and starts the client with the case's URL (``{url}`` in the
command is replaced by it, else it is appended); the reports are those of ``rtconform run`` with the client's
``--name`` as the target, and the exit codes too. Client suites never run in ``rtconform run``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.app import RunOptions
from conformance.cli.args import UsageError, max_failures_from, positive, report_and_gate_args
from conformance.cli.listing import print_cases
from conformance.exitcodes import exit_code_help
from conformance.runner import DEFAULT_MAX_CASE_TIMEOUT, RunSettings, default_jobs
from conformance.targets import TargetSpec

__all__ = ["CLIENT_TIMEOUT", "add_parser", "clients_command", "options_from_args"]

#: A client case's default timeout: it starts a process (or a browser tab) per case.
CLIENT_TIMEOUT = 10.0
#: The client suites ``--suite`` accepts (checked against the registry when the command runs).
SUITES = ("wsclient", "sseclient")


def add_parser(sub: Any) -> None:
    """Add ``clients``."""
    p = sub.add_parser(
        "clients",
        help="run the client suites (wsclient, sseclient) against a client command or a browser",
        description="Test a WebSocket or EventSource client: each case serves its side on 127.0.0.1 and "
        "starts "
        "the client with the case's URL. Contract (wsclient): echo every message, exit when "
        "closed. Contract (sseclient): print each dispatched event as a JSON line. See "
        "docs/client-mode.md.",
        epilog=exit_code_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--suite", required=True, metavar="SUITE", help=f"the client suite: {' or '.join(SUITES)}")
    p.add_argument(
        "--cmd",
        default=None,
        metavar="COMMAND",
        help="the client command; {url} is replaced by each case's URL (else the URL is appended); "
        "split like a shell command, never run by a shell",
    )
    p.add_argument(
        "--browser",
        default=None,
        metavar="NAME",
        help="test a browser's WebSocket or EventSource through a driver page: chromium (headless)",
    )
    p.add_argument(
        "--name",
        default=None,
        help="the client's name in the reports and the report folder (default: from the command)",
    )
    p.add_argument(
        "--case",
        "-c",
        action="append",
        default=[],
        metavar="SEL",
        help="run cases matching SEL: an ID prefix (wsclient/5.5), a glob or an Autobahn id; repeatable",
    )
    p.add_argument(
        "--exclude",
        "-x",
        action="append",
        default=[],
        metavar="SEL",
        help="skip cases matching SEL (same grammar); repeatable",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="run every level: SHOULD, MAY and STRICT cases too, and let their failures fail the run",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=positive(int),
        default=min(default_jobs(), 8),
        help="cases (client processes) run at once (default: 8 at most)",
    )
    p.add_argument(
        "--timeout",
        type=positive(float),
        default=CLIENT_TIMEOUT,
        help=f"a case's timeout, seconds ({CLIENT_TIMEOUT:g}: the client starts within it)",
    )
    p.add_argument(
        "--max-case-timeout",
        type=positive(float),
        default=DEFAULT_MAX_CASE_TIMEOUT,
        metavar="S",
        help="cap on every case's timeout, seconds (%(default)g)",
    )
    p.add_argument(
        "--run-timeout",
        type=positive(float),
        default=None,
        metavar="S",
        help="whole-run timeout, seconds (default: derived from the cases' timeouts and --jobs)",
    )
    p.add_argument(
        "--close-timeout",
        type=positive(float),
        default=2.0,
        help="wait for close frames and TCP closes, seconds (2)",
    )
    p.add_argument("--list", action="store_true", help="list the cases this run would run and exit")
    report_and_gate_args(p)
    p.set_defaults(handler=clients_command)


def options_from_args(args: argparse.Namespace) -> tuple[RunOptions, Any]:
    """The run options and the client spec from parsed ``clients`` arguments. Raises UsageError."""
    from conformance.clients.app import ClientSpec, default_name

    if args.suite not in SUITES:
        raise UsageError(f"unknown --suite {args.suite!r}; client suites: {', '.join(SUITES)}")
    max_failures = max_failures_from(args)
    if not args.list and (args.cmd is None) == (args.browser is None):
        raise UsageError("give the client as --cmd COMMAND or --browser chromium (one of them)")
    if args.cmd is not None and not args.cmd.strip():
        raise UsageError("--cmd is empty")
    try:
        spec = (
            ClientSpec(
                args.suite,
                args.cmd,
                args.browser if args.cmd is None else None,
                args.name or default_name(args.cmd, args.browser),
            )
            if not args.list
            else None
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = RunSettings(
        jobs=args.jobs,
        timeout=args.timeout,
        run_timeout=args.run_timeout,
        close_timeout=args.close_timeout,
        max_case_timeout=args.max_case_timeout,
    )
    opts = RunOptions(
        target=TargetSpec(),
        include=tuple(args.case),
        exclude=tuple(args.exclude),
        suites=(args.suite,),
        strict=args.strict,
        settings=settings,
        fail_on=args.fail_on,
        quiet=args.quiet,
        max_failures=max_failures,
        report_dir=None if args.no_reports else Path(args.report_dir),
        out=Path(args.out) if args.out else None,
        overwrite=args.overwrite,
        expect=Path(args.expect) if args.expect else None,
        baseline=Path(args.baseline) if args.baseline else None,
        perf_factor=args.perf_regression_factor,
    )
    return opts, spec


def clients_command(args: argparse.Namespace) -> int:
    """``rtconform clients``: ``--list`` prints the selected cases; else the whole client run."""
    from conformance.clients.app import client_suites as known
    from conformance.clients.app import run_clients, selected
    from conformance.registry import CLIENT_CATALOGS, load

    opts, spec = options_from_args(args)
    if args.suite not in known():
        raise UsageError(
            f"the {args.suite} suite is not installed in this rtconform; client suites here: "
            f"{', '.join(known())}"
        )
    if args.list:
        from conformance.clients.app import ClientSpec

        listed = ClientSpec(args.suite, "client", None, "list")
        cases = selected(load(CLIENT_CATALOGS), listed, opts)
        if not cases:
            raise UsageError(
                f"no case of the {args.suite} suite matches the selection"
                + ("" if args.strict else " (MUST cases only; add --strict for every level)")
            )
        return print_cases(cases)
    return run_clients(opts, spec)
