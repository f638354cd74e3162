"""Options and argument types shared by the ``sse`` and ``poll`` subcommands (``sse_cli``, ``poll_cli``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["add_pubsub_options", "nonnegative", "positive"]


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argument type: a number of ``kind`` greater than 0."""
    return _number(kind, zero=False)


def nonnegative(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argument type: a number of ``kind`` that is 0 or more."""
    return _number(kind, zero=True)


def _number(kind: Callable[[str], float], *, zero: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
        return value

    return parse


def add_pubsub_options(p: argparse.ArgumentParser, default_port: int) -> None:
    """The options every publish/subscribe server (``sse``, ``poll``) has: address, history, limits."""
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=default_port,
                   help="port to bind; 0 picks a free one, printed as 'listening on http://HOST:PORT/PATH'")
    p.add_argument("--history-size", type=positive(int), default=1024, metavar="N",
                   help="events kept for resuming (default: %(default)s)")
    p.add_argument("--history-bytes", type=positive(int), default=64 << 20, metavar="BYTES",
                   help="memory the kept events may occupy; the oldest are forgotten past it, the newest "
                        "is always kept (default: 64 MiB)")
    p.add_argument("--max-publish-size", type=positive(int), default=1 << 20, metavar="BYTES",
                   help="largest publish body; more gets 413 (default: 1 MiB)")
    p.add_argument("--connection-cap", type=positive(int), metavar="N",
                   help="connections held at once; at the cap the server stops accepting until one closes "
                        "(default: min(soft RLIMIT_NOFILE - 64, 10000))")
    p.add_argument("--memory-budget", type=positive(int), default=256 << 20, metavar="BYTES",
                   help="bytes the write buffers of all connections together may hold; past it a connection "
                        "holding more than 64 KiB is dropped instead of written to (default: 256 MiB)")
    p.add_argument("--shutdown-timeout", type=positive(float), default=2.0, metavar="SECONDS",
                   help="time streams and polls get to end cleanly on SIGTERM (default: %(default)s)")
