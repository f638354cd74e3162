"""The ``sio`` subcommand of ``python -m reference.servers`` (wired in by ``cli.py``)."""

from __future__ import annotations

import argparse
import asyncio

from reference.core.sio.decoder import DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_ATTACHMENTS
from reference.core.sio.recovery import Recovery
from reference.core.sio.session import DEFAULT_CONNECT_TIMEOUT
from reference.servers.eio_cli import add_engine_io_options, settings_from
from reference.servers.http_server import run_until_signal
from reference.servers.pubsub_cli import positive
from reference.servers.sio import SioServer, SioSettings

__all__ = ["PROTOCOL", "add_parser", "run"]

PROTOCOL = "sio"


def add_parser(protocols: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sio`` subparser."""
    p = protocols.add_parser(
        PROTOCOL, help="Socket.IO v5 testee (namespaces /, /custom, /refused; acks, binary, rooms)",
        description="The Socket.IO v5 testee of docs/testee-contract.md, over the reference Engine.IO v4 "
                    "server (polling, WebSocket, upgrade).")
    add_engine_io_options(p, default_path="/socket.io/")
    p.add_argument("--connect-timeout", type=positive(float), default=DEFAULT_CONNECT_TIMEOUT,
                   metavar="SECONDS",
                   help="a session that connects no namespace by then is closed (default: %(default)s)")
    p.add_argument("--recovery-window", type=positive(float), metavar="SECONDS",
                   help="turn connection state recovery on: a client whose transport dropped and that "
                        "reconnects within SECONDS gets its sid, rooms and missed events back. Off by "
                        "default: the official socket.io-protocol test suite expects a CONNECT to be "
                        "answered with exactly {\"sid\"} and events to carry no offset")
    p.add_argument("--recovery-max-packets", type=positive(int), default=1000, metavar="N",
                   help="events kept per namespace for recovery (default: %(default)s)")
    p.add_argument("--max-attachments", type=positive(int), default=DEFAULT_MAX_ATTACHMENTS, metavar="N",
                   help="most binary attachments in one packet; more closes the session "
                        "(default: %(default)s)")
    p.add_argument("--max-attachment-bytes", type=positive(int), default=DEFAULT_MAX_ATTACHMENT_BYTES,
                   metavar="BYTES", help="most attachment bytes in one packet (default: %(default)s)")


def sio_settings_from(args: argparse.Namespace) -> SioSettings:
    """The server settings the parsed arguments describe."""
    recovery = None
    if args.recovery_window is not None:
        recovery = Recovery(window=float(args.recovery_window), max_packets=int(args.recovery_max_packets),
                            max_sessions=int(args.max_sessions))
    return SioSettings(eio=settings_from(args), connect_timeout=float(args.connect_timeout),
                       recovery=recovery, max_attachments=int(args.max_attachments),
                       max_attachment_bytes=int(args.max_attachment_bytes))


def run(args: argparse.Namespace) -> int:
    """Run the Socket.IO server until SIGINT/SIGTERM; the process exit code."""
    settings = sio_settings_from(args)

    async def main() -> int:
        return await run_until_signal(SioServer(settings), args.host, args.port)

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 130
