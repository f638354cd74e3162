"""Command line of the reference servers: ``python -m reference.servers <protocol> [options]``.

One subcommand per protocol (``ws`` for now). A bad argument prints one line on stderr and exits 2; a
server that cannot bind prints one line and exits 1; a clean shutdown on SIGINT/SIGTERM exits 0.
``rtconform serve ws ...`` re-executes this module, so everything a runner needs is reachable from here.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
from collections.abc import Callable, Sequence
from typing import NoReturn

from reference.servers import sse_cli
from reference.servers._settings import DEFAULT_MAX_MESSAGE_SIZE, WsSettings
from reference.servers.ws import make_ssl_context, serve

__all__ = ["main"]

PROG = "python -m reference.servers"


class _OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
        return value

    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: global options, then one subparser per protocol."""
    parser = _OneLineParser(prog=PROG, description="Run an rtconform reference server.")
    protocols = parser.add_subparsers(dest="protocol", metavar="PROTOCOL", required=True)
    ws = protocols.add_parser("ws", help="RFC 6455 WebSocket echo server (an Autobahn-compatible testee)")
    ws.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    ws.add_argument("--port", type=_port, default=9001,
                    help="port to bind; 0 picks a free one, printed as 'listening on ws://HOST:PORT'")
    ws.add_argument("--max-message-size", type=_positive(int), default=DEFAULT_MAX_MESSAGE_SIZE,
                    metavar="BYTES", help="largest message accepted; more fails with 1009 (default: 64 MiB)")
    ws.add_argument("--keepalive-interval", type=_positive(float), metavar="SECONDS",
                    help="send a ping after this much silence (default: never, as an echo testee must)")
    ws.add_argument("--pong-timeout", type=_positive(float), metavar="SECONDS",
                    help="drop the connection when a keepalive ping gets no pong in time")
    ws.add_argument("--idle-timeout", type=_positive(float), metavar="SECONDS",
                    help="close a connection that received nothing for this long")
    ws.add_argument("--subprotocol", action="append", default=[], metavar="NAME",
                    help="a supported subprotocol, in order of preference (repeatable)")
    ws.add_argument("--origin", action="append", metavar="ORIGIN",
                    help="an allowed Origin (repeatable); without any, every origin is allowed")
    ws.add_argument("--max-connections", type=_positive(int), metavar="N",
                    help="connections served at once; more get 503 before the upgrade")
    ws.add_argument("--handshake-timeout", type=_positive(float), default=10.0, metavar="SECONDS",
                    help="time a client has to send its request head; then 408 (default: %(default)s)")
    ws.add_argument("--certfile", help="PEM certificate chain: serve wss:// (TLS)")
    ws.add_argument("--keyfile", help="PEM private key, if it is not in --certfile")
    sse_cli.add_parsers(protocols)
    return parser


def _settings(args: argparse.Namespace) -> WsSettings:
    return WsSettings(
        max_message_size=int(args.max_message_size),
        keepalive_interval=args.keepalive_interval,
        pong_timeout=args.pong_timeout,
        idle_timeout=args.idle_timeout,
        subprotocols=tuple(args.subprotocol),
        origins=None if args.origin is None else tuple(args.origin),
        max_connections=None if args.max_connections is None else int(args.max_connections),
        handshake_timeout=args.handshake_timeout,
    )


def _tls(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ssl.SSLContext | None:
    if args.certfile is None:
        if args.keyfile is not None:
            parser.error("--keyfile needs --certfile")
        return None
    try:
        return make_ssl_context(args.certfile, args.keyfile)
    except (OSError, ssl.SSLError) as exc:
        parser.error(f"cannot load --certfile {args.certfile!r}: {exc}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the chosen server, return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.protocol in sse_cli.PROTOCOLS:
        return sse_cli.run(args)
    tls = _tls(parser, args)
    try:
        return asyncio.run(serve(_settings(args), args.host, args.port, tls))
    except KeyboardInterrupt:  # SIGINT before the signal handlers were installed
        return 130
