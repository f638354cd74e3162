"""``rtconform run|list|report|fuzz|replay|serve|clients|compare``: the command line, one parser.

Each subcommand lives in its own module (:mod:`.run`, :mod:`.listing` for ``list``, :mod:`.report`,
:mod:`.fuzz` for ``fuzz`` and ``replay``, :mod:`.serve`, :mod:`.clients`, :mod:`.compare`); each adds its
subparser and sets ``handler``, a function of the parsed arguments returning the exit code
(:class:`~conformance.exitcodes.ExitCode`).
Parsing does no network I/O and loads no catalog: that is the run step's work. A usage error is one line
on stderr and exit 2 (a bare ``rtconform`` prints the help on stderr, exit 2); an unexpected exception is
one line and exit 3; Ctrl-C exits 130. ``--help`` lists the exit codes (:mod:`conformance.exitcodes`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from conformance.app import tool_version
from conformance.cli import clients, compare, fuzz, listing, report, run, serve
from conformance.cli.args import Parser, UsageError
from conformance.exitcodes import ExitCode, exit_code_help

__all__ = ["build_parser", "main"]


def build_parser() -> Parser:
    """The argument parser of every subcommand (errors raise UsageError instead of printing usage)."""
    parser = Parser(prog="rtconform", description="Conformance suite for real-time web protocols.",
                    epilog=exit_code_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"rtconform {tool_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    run.add_parser(sub)
    listing.add_parser(sub)
    serve.add_parser(sub)
    fuzz.add_parsers(sub)
    report.add_parser(sub)
    clients.add_parser(sub)
    compare.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rtconform`` console script; returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not words:  # a bare ``rtconform``: the usage and the commands, as a usage error
        sys.stderr.write(parser.format_help())
        return ExitCode.USAGE
    try:
        args = parser.parse_args(words)
        code: int = args.handler(args)
    except UsageError as exc:
        sys.stderr.write(f"rtconform: error: {exc}\n")
        return ExitCode.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("rtconform: interrupted\n")
        return ExitCode.INTERRUPTED
    except Exception as exc:  # a bug in the tool: one line, not a traceback
        sys.stderr.write(f"rtconform: tool error: {type(exc).__name__}: {exc}\n")
        return ExitCode.TOOL
    return code
