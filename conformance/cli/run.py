"""``rtconform run``: its options, and turning them into :class:`~conformance.app.RunOptions`.

Parsing only validates and converts: the connection options (:class:`ConnectOptions`) are built here
once, the target URL is parsed into an address, and nothing touches the network or the catalog. Which
suites the run covers (``--suite``, or inferred from the URL by scheme and probe) is decided by the run
step (:mod:`conformance.selection`, called by :func:`conformance.app.run`).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
from pathlib import Path
from typing import Any

from conformance.app import RunOptions, run
from conformance.cli.args import UsageError, max_failures_from, positive, report_and_gate_args, selection_args
from conformance.cli.listing import print_cases, selected_cases
from conformance.cli.target_options import add_target_options, target_fields
from conformance.exitcodes import exit_code_help
from conformance.runner import DEFAULT_MAX_CASE_TIMEOUT, RunSettings, default_jobs
from conformance.targets import TargetSpec
from conformance.wire.endpoint import ALL_SCHEMES, Address, ConnectOptions, parse_address

__all__ = ["PROFILE_OPTIONS", "add_parser", "connect_options", "options_from_args", "run_command"]

#: Shortcuts for ``--profile NAME=VALUE``: what a target promises (read by the suites that need it).
PROFILE_OPTIONS = (("heartbeat-interval", "seconds between the target's idle heartbeats"),
                   ("hold-timeout", "seconds the target holds a long poll without news"),
                   ("history-size", "events the target keeps for resuming"),
                   ("publish-url", "the target's publish URL (or 'none')"),
                   ("keepalive-interval", "seconds of silence after which the target pings a WebSocket peer"),
                   ("pong-timeout", "seconds the target waits for a pong before dropping the peer"),
                   ("idle-timeout", "seconds without input after which the target closes a WebSocket peer"),
                   ("handshake-timeout", "seconds a client has to complete its opening handshake"),
                   ("max-message-size", "largest WebSocket message (bytes) the target accepts"),
                   ("max-connections", "connections the target serves at once"),
                   ("max-head-size", "largest request head (bytes) the target accepts"),
                   ("buffer-limit", "bytes the target may buffer for a peer that never reads (64 MiB)"),
                   ("flood-messages", "messages the flood case sends (20000)"),
                   ("churn-count", "SSE subscribers the churn case connects and resets (1000)"),
                   ("max-held-polls", "long polls the target holds at once, server-wide"))


def add_parser(sub: Any) -> None:
    """Add ``run`` with all its options."""
    r = sub.add_parser("run", help="run the conformance cases against a target", epilog=exit_code_help(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--target", "-t", default=os.environ.get("TARGET") or None, metavar="URL",
                   help="ws://, wss://, http:// or https:// URL (default: $TARGET; none: the embedded "
                        "reference servers)")
    r.add_argument("--profile", action="append", default=[], metavar="NAME=VALUE",
                   help="what the target promises, e.g. heartbeat-interval=15; repeatable")
    for name, text in PROFILE_OPTIONS:
        r.add_argument(f"--{name}", dest=f"profile_{name}", metavar="VALUE",
                       help=f"--profile {name}=: {text}")
    selection_args(r, strict_help="run every level: SHOULD, MAY and STRICT cases too, and let SHOULD "
                                  "and STRICT failures fail the run (--fail-on strict, unless given)")
    r.add_argument("--jobs", "-j", type=positive(int), default=default_jobs(), help="cases run at once")
    r.add_argument("--timeout", type=positive(float), default=5.0,
                   help="the timeout of a case that sets none, seconds (5). A target that sends nothing "
                        "to any case for half a case's timeout stops the run (exit 3): one that accepts "
                        "TCP and never answers costs about one --timeout")
    r.add_argument("--max-case-timeout", type=positive(float), default=DEFAULT_MAX_CASE_TIMEOUT,
                   metavar="S",
                   help="cap on every case's timeout, a case's own longer wait included: a case gets "
                        "min(its own timeout or --timeout, S) seconds (%(default)g: the catalog's longest "
                        "wait, 140 s, fits)")
    r.add_argument("--run-timeout", type=positive(float), default=None, metavar="S",
                   help="whole-run timeout, seconds (default: the selected cases' timeouts summed and "
                        "divided by --jobs, plus the longest one, plus 10: the longest a run can take while "
                        "every case keeps to its timeout)")
    r.add_argument("--close-timeout", type=positive(float), default=2.0,
                   help="wait for closing handshakes and TCP closes, seconds (2)")
    r.add_argument("--header", "-H", action="append", default=[], metavar="'NAME: VALUE'",
                   help="extra handshake header; repeatable")
    r.add_argument("--subprotocol", "-s", action="append", default=[], metavar="NAME",
                   help="offer this subprotocol; repeatable")
    r.add_argument("--origin", "-o", default=None, help="Origin header to send")
    r.add_argument("--ca", default=None, metavar="FILE", help="CA bundle to verify a wss:// target")
    r.add_argument("--insecure", "-k", action="store_true",
                   help="do not verify a wss:// target's certificate")
    r.add_argument("--cmd", default=None, metavar="COMMAND",
                   help="start this shell command as the target (needs --target: where it listens)")
    add_target_options(r)
    r.add_argument("--start-timeout", type=positive(float), default=15.0,
                   help="wait for a started target to accept connections, seconds (15)")
    r.add_argument("--list", action="store_true",
                   help="dry run: list the cases this run would run (same selection) and exit")
    report_and_gate_args(r)
    r.set_defaults(handler=run_command)


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or name != name.strip():
        raise UsageError(f"--header must be 'Name: value', not {text!r}")
    return name, value.strip()


def _profile(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    pairs = []
    for text in args.profile:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--profile must be NAME=VALUE, not {text!r}")
        pairs.append((name.strip(), value))
    pairs += [(n, v) for n, _ in PROFILE_OPTIONS if (v := getattr(args, f"profile_{n}")) is not None]
    return tuple(pairs)


def connect_options(args: argparse.Namespace) -> ConnectOptions:
    """The user's connection options, from ``--header``, ``--subprotocol``, ``--origin``, ``--ca``,
    ``--insecure`` and ``--profile`` (with its shortcuts, after it). Raises UsageError with one line."""
    if args.ca and not Path(args.ca).is_file():
        raise UsageError(f"--ca file not found: {args.ca!r}")
    return ConnectOptions(headers=tuple(_header(h) for h in args.header),
                          subprotocols=tuple(args.subprotocol), origin=args.origin, ca_file=args.ca,
                          insecure=args.insecure, profile=_profile(args))


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """Validate parsed ``run`` arguments into RunOptions (no network, no catalog). Raises UsageError."""
    address: Address | None = None
    if args.target:
        try:
            address = parse_address(args.target, ALL_SCHEMES)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.cmd and address is None:
        raise UsageError("--cmd needs --target URL: where the started server will listen")
    max_failures = max_failures_from(args)
    connect = connect_options(args)
    try:
        extra = target_fields(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = RunSettings(jobs=args.jobs, timeout=args.timeout, run_timeout=args.run_timeout,
                           close_timeout=args.close_timeout, max_case_timeout=args.max_case_timeout)
    return RunOptions(
        target=TargetSpec(address=address, command=args.cmd, start_timeout=args.start_timeout, **extra),
        connect=connect, include=tuple(args.case), exclude=tuple(args.exclude), suites=tuple(args.suite),
        strict=args.strict, settings=settings, fail_on=args.fail_on, quiet=args.quiet,
        max_failures=max_failures,
        report_dir=None if args.no_reports else Path(args.report_dir),
        out=Path(args.out) if args.out else None, overwrite=args.overwrite,
        expect=Path(args.expect) if args.expect else None,
        baseline=Path(args.baseline) if args.baseline else None, perf_factor=args.perf_regression_factor)


def _skip_the_last_collection() -> None:
    """At exit, before the interpreter's last cyclic garbage collection: every object still alive (the
    catalog, the results, the modules) goes to the permanent generation, which that collection skips.
    The process is ending and the memory goes back whole; the collection took 0.1-0.6 s of a 1.5 s run of
    Autobahn's groups 1-7 and 10 on a loaded 2-core machine (rtconform wrote and closed its files before)."""
    gc.freeze()


def run_command(args: argparse.Namespace) -> int:
    """``rtconform run``: a dry run with ``--list`` (the cases the run would run, chosen the same way),
    else the whole run; returns the exit code."""
    opts = options_from_args(args)
    if args.list:
        return print_cases(selected_cases(opts))
    atexit.unregister(_skip_the_last_collection)  # once, however often run_command is called in-process
    atexit.register(_skip_the_last_collection)
    return run(opts)
