"""The ``ws`` subcommand of ``python -m reference.servers`` (wired in by ``cli.py``)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, cast

from reference.core.ws.speedups import FRAME_PATH
from reference.servers.listener import default_connection_cap
from reference.servers.memory_budget import DEFAULT_MEMORY_BUDGET
from reference.servers.ws import make_ssl_context, serve
from reference.servers.ws_settings import (
    DEFAULT_MAX_HEAD_SIZE,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_WRITE_TIMEOUT,
    WsSettings,
)

__all__ = ["LOOPS", "PROTOCOL", "add_parser", "run", "settings_from"]

PROTOCOL = "ws"
#: ``--loop`` choices: ``auto`` is uvloop when it is installed (the ``uvloop`` extra), else asyncio's own.
LOOPS = ("auto", "asyncio", "uvloop")


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


def _window_bits(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 9 <= value <= 15:
        raise argparse.ArgumentTypeError(f"must be between 9 and 15 (zlib cannot compress with 8): {text!r}")
    return value


def add_parser(protocols: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``ws`` subparser."""
    uvloop = "installed" if importlib.util.find_spec("uvloop") else "not installed"
    ws = protocols.add_parser(PROTOCOL, help="RFC 6455 WebSocket echo server (an Autobahn-compatible testee)",
                              epilog=f"frame path: {FRAME_PATH}; uvloop: {uvloop}")
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
    ws.add_argument("--connection-cap", type=_positive(int), metavar="N",
                    help="connections held at once (handshake, open or closing); at the cap the server stops "
                         "accepting until one closes (default: min(soft RLIMIT_NOFILE - 64, 10000))")
    ws.add_argument("--memory-budget", type=_positive(int), default=DEFAULT_MEMORY_BUDGET, metavar="BYTES",
                    help="bytes all connections together may buffer (incoming messages being assembled and "
                         "write buffers); past it a connection holding more than 64 KiB is closed with "
                         "1009 (default: 256 MiB)")
    ws.add_argument("--write-timeout", type=_positive(float), default=DEFAULT_WRITE_TIMEOUT,
                    metavar="SECONDS",
                    help="drop a peer that takes no byte of a full write buffer for this long "
                         "(default: %(default)s)")
    ws.add_argument("--max-head-size", type=_positive(int), default=DEFAULT_MAX_HEAD_SIZE, metavar="BYTES",
                    help="largest request head; a bigger one gets 431 (default: %(default)s)")
    ws.add_argument("--handshake-timeout", type=_positive(float), default=10.0, metavar="SECONDS",
                    help="time a client has to send its request head; then 408 (default: %(default)s)")
    ws.add_argument("--deflate", action=argparse.BooleanOptionalAction, default=True,
                    help="accept a permessage-deflate (RFC 7692) offer and compress every message sent; "
                         "on by default, since browsers and the websockets library offer it by default "
                         "(--no-deflate declines it)")
    ws.add_argument("--deflate-window-bits", type=_window_bits, default=15, metavar="BITS",
                    help="largest LZ77 window the server compresses with, 9-15; a client's "
                         "server_max_window_bits may lower it (default: %(default)s)")
    ws.add_argument("--rate-limit", type=_positive(float), metavar="MSGS_PER_S",
                    help="messages per second one connection may send on average (a token bucket); a "
                         "message past it closes the connection with 1008 (default: no limit)")
    ws.add_argument("--rate-burst", type=_positive(int), metavar="N",
                    help="messages one connection may send back to back under --rate-limit (default: one "
                         "second's worth)")
    ws.add_argument("--loop", choices=LOOPS, default="auto",
                    help="event loop: uvloop (the optional 'uvloop' extra) or asyncio's own; auto takes "
                         "uvloop when it is installed (default: %(default)s)")
    ws.add_argument("--certfile", help="PEM certificate chain: serve wss:// (TLS)")
    ws.add_argument("--keyfile", help="PEM private key, if it is not in --certfile")


def settings_from(args: argparse.Namespace) -> WsSettings:
    """The server settings the parsed ``args`` ask for."""
    return WsSettings(
        max_message_size=int(args.max_message_size),
        keepalive_interval=args.keepalive_interval,
        pong_timeout=args.pong_timeout,
        idle_timeout=args.idle_timeout,
        subprotocols=tuple(args.subprotocol),
        origins=None if args.origin is None else tuple(args.origin),
        max_connections=None if args.max_connections is None else int(args.max_connections),
        handshake_timeout=args.handshake_timeout,
        max_head_size=int(args.max_head_size),
        connection_cap=default_connection_cap() if args.connection_cap is None else int(args.connection_cap),
        memory_budget=int(args.memory_budget),
        write_timeout=args.write_timeout,
        deflate=bool(args.deflate),
        deflate_window_bits=int(args.deflate_window_bits),
        rate_limit=args.rate_limit,
        rate_burst=None if args.rate_burst is None else int(args.rate_burst),
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


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the WebSocket server until SIGINT/SIGTERM; the process exit code. TLS errors go to ``parser``."""
    if args.rate_burst is not None and args.rate_limit is None:
        parser.error("--rate-burst needs --rate-limit")
    tls = _tls(parser, args)
    runner = _event_loop(parser, args.loop)
    try:
        return runner(serve(settings_from(args), args.host, args.port, tls))
    except KeyboardInterrupt:  # SIGINT before the signal handlers were installed
        return 130


def _event_loop(parser: argparse.ArgumentParser, choice: str) -> Callable[[Coroutine[Any, Any, int]], int]:
    """The function that runs the server's coroutine on the chosen loop (``serve`` logs which one)."""
    if choice != "asyncio":
        try:
            uvloop = importlib.import_module("uvloop")
        except ImportError:
            if choice == "uvloop":
                parser.error("--loop uvloop: uvloop is not installed (pip install 'rtconform[uvloop]')")
            return asyncio.run
        return cast(Callable[[Coroutine[Any, Any, int]], int], uvloop.run)
    return asyncio.run
