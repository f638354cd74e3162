"""The ``sse`` and ``poll`` subcommands of ``python -m reference.servers`` (wired in by ``cli.py``)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

from reference.servers.poll import PollServer, PollSettings
from reference.servers.sse import SseServer, SseSettings
from reference.servers.sse_http import run_until_signal

__all__ = ["PROTOCOLS", "add_parsers", "run"]

PROTOCOLS = ("sse", "poll")


def _number(kind: Callable[[str], float], *, zero: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
        return value

    return parse


def _common(p: argparse.ArgumentParser, port: int) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=port,
                   help="port to bind; 0 picks a free one, printed as 'listening on http://HOST:PORT/PATH'")
    p.add_argument("--history-size", type=_number(int), default=1024, metavar="N",
                   help="events kept for resuming (default: %(default)s)")
    p.add_argument("--max-publish-size", type=_number(int), default=1 << 20, metavar="BYTES",
                   help="largest publish body; more gets 413 (default: 1 MiB)")
    p.add_argument("--shutdown-timeout", type=_number(float), default=2.0, metavar="SECONDS",
                   help="time streams and polls get to end cleanly on SIGTERM (default: %(default)s)")


def add_parsers(protocols: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sse`` and ``poll`` subparsers."""
    sse = protocols.add_parser("sse", help="Server-Sent Events publish/subscribe server (GET /events, "
                                            "POST /publish)")
    _common(sse, 9002)
    sse.add_argument("--heartbeat-interval", type=_number(float), default=15.0, metavar="SECONDS",
                     help="comment heartbeat after this much silence (default: %(default)s)")
    sse.add_argument("--retry", type=_number(int, zero=True), default=1000, metavar="MS",
                     help="retry: value sent at the start of each stream (default: %(default)s)")
    sse.add_argument("--queue-size", type=_number(int), default=256, metavar="N",
                     help="events a subscriber may fall behind before it is dropped (default: %(default)s)")
    sse.add_argument("--send-timeout", type=_number(float), default=5.0, metavar="SECONDS",
                     help="drop a subscriber whose socket accepts no write for this long "
                          "(default: %(default)s)")
    poll = protocols.add_parser("poll", help="HTTP long-polling server (GET /poll?cursor=N, POST /publish)")
    _common(poll, 9003)
    poll.add_argument("--hold-timeout", type=_number(float), default=25.0, metavar="SECONDS",
                      help="answer a held poll with no messages after this long (default: %(default)s)")
    poll.add_argument("--max-batch", type=_number(int), default=256, metavar="N",
                      help="most messages in one answer (default: %(default)s)")


def _server(args: argparse.Namespace) -> SseServer | PollServer:
    if args.protocol == "sse":
        return SseServer(SseSettings(
            heartbeat_interval=args.heartbeat_interval, retry_ms=int(args.retry),
            history_size=int(args.history_size), queue_size=int(args.queue_size),
            send_timeout=args.send_timeout, max_publish_size=int(args.max_publish_size),
            shutdown_timeout=args.shutdown_timeout))
    return PollServer(PollSettings(
        hold_timeout=args.hold_timeout, history_size=int(args.history_size), max_batch=int(args.max_batch),
        max_publish_size=int(args.max_publish_size), shutdown_timeout=args.shutdown_timeout))


def run(args: argparse.Namespace) -> int:
    """Run the chosen server until SIGINT/SIGTERM; the process exit code."""
    try:
        return asyncio.run(run_until_signal(_server(args), args.host, args.port))
    except KeyboardInterrupt:
        return 130
