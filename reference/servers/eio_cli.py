"""The ``eio`` subcommand of ``python -m reference.servers`` (wired in by ``cli.py``)."""

from __future__ import annotations

import argparse
import asyncio

from reference.core.eio.handshake import EioConfig
from reference.servers.eio import EioServer, EioSettings
from reference.servers.http_server import run_until_signal
from reference.servers.pubsub_cli import positive

__all__ = ["PROTOCOL", "add_engine_io_options", "add_parser", "run", "settings_from"]

PROTOCOL = "eio"


def add_parser(protocols: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``eio`` subparser."""
    p = protocols.add_parser(PROTOCOL, help="Engine.IO v4 echo server (polling, WebSocket, upgrade)")
    add_engine_io_options(p, default_path="/engine.io/")


def add_engine_io_options(p: argparse.ArgumentParser, *, default_path: str) -> None:
    """The options of the Engine.IO layer (shared with the ``sio`` subcommand)."""
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=3000,
                   help="port to bind; 0 picks a free one, printed as 'listening on http://HOST:PORT/PATH'")
    p.add_argument("--path", default=default_path, help="the Engine.IO path (default: %(default)s)")
    p.add_argument("--ping-interval", type=positive(int), default=25000, metavar="MS",
                   help="pingInterval: milliseconds between the server's pings (default: %(default)s)")
    p.add_argument("--ping-timeout", type=positive(int), default=20000, metavar="MS",
                   help="pingTimeout: milliseconds a client has to answer a ping (default: %(default)s)")
    p.add_argument("--max-payload", type=positive(int), default=1_000_000, metavar="BYTES",
                   help="maxPayload: largest POST body (413 past it) and WebSocket message (close 1009) "
                        "(default: %(default)s)")
    p.add_argument("--upgrade-timeout", type=positive(int), default=10000, metavar="MS",
                   help="milliseconds a probing WebSocket has to send 5 (default: %(default)s)")
    p.add_argument("--queue-limit", type=positive(int), default=8 << 20, metavar="BYTES",
                   help="bytes a session may queue for its client before it is closed (default: 8 MiB)")
    p.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                   help="allow this Origin (repeatable); others get 403. Default: every origin")
    p.add_argument("--max-sessions", type=positive(int), default=10000, metavar="N",
                   help="sessions held at once; a handshake past it gets 503 (default: %(default)s)")
    p.add_argument("--connection-cap", type=positive(int), metavar="N",
                   help="TCP connections held at once (default: from the descriptor limit)")
    p.add_argument("--shutdown-timeout", type=positive(float), default=2.0, metavar="SECONDS",
                   help="time held requests get on shutdown (default: %(default)s)")


def settings_from(args: argparse.Namespace) -> EioSettings:
    """The server settings the parsed arguments describe."""
    config = EioConfig(ping_interval=int(args.ping_interval), ping_timeout=int(args.ping_timeout),
                       max_payload=int(args.max_payload), upgrade_timeout=int(args.upgrade_timeout),
                       queue_limit=int(args.queue_limit))
    path = args.path if args.path.endswith("/") else args.path + "/"
    return EioSettings(config=config, path=path,
                       origins=None if args.cors_origin is None else tuple(args.cors_origin),
                       max_sessions=int(args.max_sessions), shutdown_timeout=args.shutdown_timeout,
                       connection_cap=None if args.connection_cap is None else int(args.connection_cap))


def run(args: argparse.Namespace) -> int:
    """Run the Engine.IO server until SIGINT/SIGTERM; the process exit code."""
    settings = settings_from(args)

    async def main() -> int:
        return await run_until_signal(EioServer(settings), args.host, args.port)

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 130
