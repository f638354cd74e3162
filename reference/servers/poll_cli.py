"""The ``poll`` subcommand of ``python -m reference.servers`` (wired in by ``cli.py``)."""

from __future__ import annotations

import argparse
import asyncio

from reference.servers.http_server import run_until_signal
from reference.servers.poll import PollServer, PollSettings
from reference.servers.pubsub_cli import add_pubsub_options, positive

__all__ = ["PROTOCOL", "add_parser", "run"]

PROTOCOL = "poll"


def add_parser(protocols: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``poll`` subparser."""
    poll = protocols.add_parser(PROTOCOL, help="HTTP long-polling server (GET /poll?cursor=N, POST /publish)")
    add_pubsub_options(poll, 9003)
    poll.add_argument("--hold-timeout", type=positive(float), default=25.0, metavar="SECONDS",
                      help="answer a held poll with no messages after this long (default: %(default)s)")
    poll.add_argument("--max-batch", type=positive(int), default=256, metavar="N",
                      help="most messages in one answer (default: %(default)s)")
    poll.add_argument("--max-answer-size", type=positive(int), default=1 << 20, metavar="BYTES",
                      help="largest answer body; more messages wait for the next poll, the first one "
                           "always goes (default: 1 MiB)")
    poll.add_argument("--send-timeout", type=positive(float), default=5.0, metavar="SECONDS",
                      help="drop a poller that does not read its answer for this long (default: %(default)s)")
    poll.add_argument("--max-held-polls", type=positive(int), default=1024, metavar="N",
                      help="polls held at once; a poll past it is refused with 503 and Retry-After at once "
                           "(default: %(default)s)")


def _settings(args: argparse.Namespace) -> PollSettings:
    return PollSettings(
        hold_timeout=args.hold_timeout, history_size=int(args.history_size),
        history_bytes=int(args.history_bytes), max_batch=int(args.max_batch),
        max_answer_size=int(args.max_answer_size), send_timeout=args.send_timeout,
        max_publish_size=int(args.max_publish_size), shutdown_timeout=args.shutdown_timeout,
        memory_budget=int(args.memory_budget),
        connection_cap=None if args.connection_cap is None else int(args.connection_cap),
        max_held_polls=int(args.max_held_polls))


def run(args: argparse.Namespace) -> int:
    """Run the long-polling server until SIGINT/SIGTERM; the process exit code."""
    try:
        return asyncio.run(run_until_signal(PollServer(_settings(args)), args.host, args.port))
    except KeyboardInterrupt:
        return 130
