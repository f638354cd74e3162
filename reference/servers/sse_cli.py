"""The ``sse`` subcommand of ``python -m reference.servers`` (wired in by ``cli.py``)."""

from __future__ import annotations

import argparse
import asyncio

from reference.servers.http_server import run_until_signal
from reference.servers.pubsub_cli import add_pubsub_options, nonnegative, positive
from reference.servers.sse import SseServer, SseSettings

__all__ = ["PROTOCOL", "add_parser", "run"]

PROTOCOL = "sse"


def add_parser(protocols: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sse`` subparser."""
    sse = protocols.add_parser(PROTOCOL, help="Server-Sent Events publish/subscribe server (GET /events, "
                                              "POST /publish)")
    add_pubsub_options(sse, 9002)
    sse.add_argument("--heartbeat-interval", type=positive(float), default=15.0, metavar="SECONDS",
                     help="comment heartbeat after this much silence (default: %(default)s)")
    sse.add_argument("--retry", type=nonnegative(int), default=1000, metavar="MS",
                     help="retry: value sent at the start of each stream (default: %(default)s)")
    sse.add_argument("--queue-size", type=positive(int), default=256, metavar="N",
                     help="events a subscriber may fall behind before it is dropped (default: %(default)s)")
    sse.add_argument("--queue-bytes", type=positive(int), default=16 << 20, metavar="BYTES",
                     help="bytes of event data a subscriber may fall behind before it is dropped (an event "
                          "larger than that alone still goes; default: 16 MiB)")
    sse.add_argument("--send-timeout", type=positive(float), default=5.0, metavar="SECONDS",
                     help="drop a subscriber whose socket accepts no write for this long "
                          "(default: %(default)s)")


def _settings(args: argparse.Namespace) -> SseSettings:
    return SseSettings(
        heartbeat_interval=args.heartbeat_interval, retry_ms=int(args.retry),
        history_size=int(args.history_size), history_bytes=int(args.history_bytes),
        queue_size=int(args.queue_size), queue_bytes=int(args.queue_bytes),
        send_timeout=args.send_timeout, max_publish_size=int(args.max_publish_size),
        shutdown_timeout=args.shutdown_timeout,
        memory_budget=int(args.memory_budget),
        connection_cap=None if args.connection_cap is None else int(args.connection_cap))


def run(args: argparse.Namespace) -> int:
    """Run the SSE server until SIGINT/SIGTERM; the process exit code."""
    try:
        return asyncio.run(run_until_signal(SseServer(_settings(args)), args.host, args.port))
    except KeyboardInterrupt:
        return 130
