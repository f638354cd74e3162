"""Command line of the reference servers: ``python -m reference.servers <protocol> [options]``.

One subcommand per protocol, each in its own module: ``ws`` (``ws_cli``), ``sse`` (``sse_cli``), ``poll``
(``poll_cli``), ``eio`` (``eio_cli``), ``sio`` (``sio_cli``). A bad argument prints one line on stderr and
exits 2; a server that cannot bind prints one line and exits 1; a clean shutdown on SIGINT/SIGTERM exits 0.
``rtconform serve ws ...`` re-executes this module, so everything a runner needs is reachable from here.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import NoReturn

from reference.servers import eio_cli, poll_cli, sio_cli, sse_cli, ws_cli

__all__ = ["main"]

PROG = "python -m reference.servers"
#: Set by ``rtconform serve`` (which re-executes this module) so that usage and errors name the command
#: the user typed.
PROG_ENV = "RTCONFORM_SERVE_PROG"


class _OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: global options, then one subparser per protocol."""
    parser = _OneLineParser(prog=os.environ.get(PROG_ENV) or PROG,
                            description="Run an rtconform reference server.")
    protocols = parser.add_subparsers(dest="protocol", metavar="PROTOCOL", required=True)
    ws_cli.add_parser(protocols)
    sse_cli.add_parser(protocols)
    poll_cli.add_parser(protocols)
    eio_cli.add_parser(protocols)
    sio_cli.add_parser(protocols)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the chosen server, return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.protocol == sse_cli.PROTOCOL:
        return sse_cli.run(args)
    if args.protocol == poll_cli.PROTOCOL:
        return poll_cli.run(args)
    if args.protocol == eio_cli.PROTOCOL:
        return eio_cli.run(args)
    if args.protocol == sio_cli.PROTOCOL:
        return sio_cli.run(args)
    return ws_cli.run(parser, args)
