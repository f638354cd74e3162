"""``rtconform run|list|serve|report``: the command line.

Exit codes: 0 the target conforms; 1 a MUST case (or a SHOULD case with ``--fail-on should``) failed or
errored; 2 usage error (one line on stderr); 3 the target could not be started or reached, or a tool error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from conformance.app import RunOptions, run, tool_version
from conformance.exitcodes import ExitCode
from conformance.registry import load
from conformance.reportcmd import add_report_parser, add_review_args, report_main
from conformance.runner import RunSettings, default_jobs
from conformance.targets import TargetSpec
from conformance.targets.options import add_arguments as add_target_arguments
from conformance.targets.options import spec_fields
from conformance.wire.endpoint import ALL_SCHEMES, Address, ConnectOptions, parse_address

#: Shortcuts for ``--profile NAME=VALUE``: what a target promises (read by the suites that need it).
PROFILE_OPTIONS = (("heartbeat-interval", "seconds between the target's idle heartbeats"),
                   ("hold-timeout", "seconds the target holds a long poll without news"),
                   ("history-size", "events the target keeps for resuming"),
                   ("publish-url", "the target's publish URL (or 'none')"))

__all__ = ["build_parser", "main"]


class UsageError(Exception):
    """A bad option value (exit 2, one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
        return value

    return convert


def _selection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--case", "-c", action="append", default=[], metavar="SEL",
                   help="run cases matching SEL: an ID prefix (ws/5.5), a glob (ws/*/ping-*) or an "
                        "Autobahn id (6.4.1, 5.*); repeatable")
    p.add_argument("--exclude", "-x", action="append", default=[], metavar="SEL",
                   help="skip cases matching SEL (same grammar); repeatable")
    p.add_argument("--strict", action="store_true", help="also run SHOULD and MAY cases")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (errors raise UsageError instead of printing usage)."""
    parser = _Parser(prog="rtconform", description="Conformance suite for real-time web protocols.")
    parser.add_argument("--version", action="version", version=f"rtconform {tool_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("run", help="run the conformance cases against a target")
    r.add_argument("--target", "-t", default=os.environ.get("TARGET") or None, metavar="URL",
                   help="ws://, wss://, http:// or https:// URL (default: $TARGET; none: the embedded "
                        "reference servers)")
    r.add_argument("--suite", action="append", default=[], metavar="SPEC",
                   help="the suite to run (ws, sse, poll); default: inferred from the URL and a probe")
    r.add_argument("--profile", action="append", default=[], metavar="NAME=VALUE",
                   help="what the target promises, e.g. heartbeat-interval=15; repeatable")
    for name, text in PROFILE_OPTIONS:
        r.add_argument(f"--{name}", dest=f"profile_{name}", metavar="VALUE",
                       help=f"--profile {name}=: {text}")
    _selection_args(r)
    r.add_argument("--jobs", "-j", type=_positive(int), default=default_jobs(), help="cases run at once")
    r.add_argument("--timeout", type=_positive(float), default=5.0, help="per-case timeout, seconds (5)")
    r.add_argument("--run-timeout", type=_positive(float), default=None, help="whole-run timeout, seconds")
    r.add_argument("--close-timeout", type=_positive(float), default=2.0,
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
    add_target_arguments(r)
    r.add_argument("--start-timeout", type=_positive(float), default=15.0,
                   help="wait for a started target to accept connections, seconds (15)")
    r.add_argument("--list", action="store_true", help="dry run: list the selected cases and exit")
    r.add_argument("--report-dir", default="reports", metavar="DIR",
                   help="write index.html, run.json, index.json and junit.xml under DIR/<target>/ "
                        "(default reports/)")
    r.add_argument("--no-reports", action="store_true", help="write no report files")
    r.add_argument("--fail-on", choices=("must", "should"), default="must",
                   help="lowest level whose failures fail the run (must)")
    r.add_argument("--quiet", "-q", action="store_true", help="print only the result line")
    add_review_args(r)
    ls = sub.add_parser("list", help="list the cases")
    _selection_args(ls)
    sub.add_parser("serve", help="run a reference server: rtconform serve ws --port 9001", add_help=False)
    sub.add_parser("fuzz", help="fuzz an echo server over the wire: fuzz --target URL", add_help=False)
    sub.add_parser("replay", help="run a fuzz case file again: replay FILE --target URL", add_help=False)
    add_report_parser(sub)
    return parser


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


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """Validate parsed arguments into RunOptions (no network, no catalog). Raises UsageError with one line.

    The user's connection options are built here once (:class:`ConnectOptions`); the run step decides
    the suites (``--suite``, or inferred from the URL) and joins the options with the target's address.
    """
    address: Address | None = None
    if args.target:
        try:
            address = parse_address(args.target, ALL_SCHEMES)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.cmd and address is None:
        raise UsageError("--cmd needs --target URL: where the started server will listen")
    if args.ca and not Path(args.ca).is_file():
        raise UsageError(f"--ca file not found: {args.ca!r}")
    connect = ConnectOptions(headers=tuple(_header(h) for h in args.header),
                             subprotocols=tuple(args.subprotocol), origin=args.origin, ca_file=args.ca,
                             insecure=args.insecure, profile=_profile(args))
    settings = RunSettings(jobs=args.jobs, timeout=args.timeout, run_timeout=args.run_timeout,
                           close_timeout=args.close_timeout)
    try:
        extra = spec_fields(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return RunOptions(
        target=TargetSpec(address=address, command=args.cmd, start_timeout=args.start_timeout, **extra),
        connect=connect, include=tuple(args.case), exclude=tuple(args.exclude), suites=tuple(args.suite),
        strict=args.strict, settings=settings, fail_on=args.fail_on, quiet=args.quiet,
        report_dir=None if args.no_reports else Path(args.report_dir),
        expect=Path(args.expect) if args.expect else None,
        baseline=Path(args.baseline) if args.baseline else None)


def _list(include: Sequence[str], exclude: Sequence[str], strict: bool) -> int:
    cases = load().select(include, exclude, strict=strict)
    for c in cases:
        ab = f"[{c.autobahn}]" if c.autobahn else ""
        print(f"{c.id:52} {c.level.value:6} {ab:10} {c.desc}")
    print(f"{len(cases)} cases")
    return ExitCode.OK


def _serve(argv: Sequence[str]) -> NoReturn:
    # Re-execute instead of importing: the runner package never imports the reference package.
    os.execv(sys.executable, [sys.executable, "-m", "reference.servers", *argv])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rtconform`` console script; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["serve"]:
        _serve(args_list[1:])
    if args_list[:1] in (["fuzz"], ["replay"]):
        from conformance.wirefuzz.cli import main as wirefuzz_main

        return wirefuzz_main(args_list)
    try:
        args = build_parser().parse_args(args_list)
        if args.command == "report":
            return report_main(args)
        if args.command == "list" or (args.command == "run" and args.list):
            return _list(args.case, args.exclude, args.strict)
        opts = options_from_args(args)
    except UsageError as exc:
        sys.stderr.write(f"rtconform: error: {exc}\n")
        return ExitCode.USAGE
    try:
        return run(opts)
    except KeyboardInterrupt:
        sys.stderr.write("rtconform: interrupted\n")
        return 130
    except Exception as exc:  # a bug in the tool: one line, not a traceback
        sys.stderr.write(f"rtconform: tool error: {type(exc).__name__}: {exc}\n")
        return ExitCode.TOOL


if __name__ == "__main__":
    sys.exit(main())
