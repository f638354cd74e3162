"""``rtconform compare``: one workload over WebSocket, SSE, long polling and Socket.IO, impaired network.

Writes ``compare.json`` (schema ``rtconform-compare/1``, docs/compare.md) and ``compare.html`` into
``--out``. Without URLs the embedded reference servers are started (as ``rtconform run`` starts them).
Exit 0 when every protocol delivered messages, 1 when one delivered none (the page says why), 2 for bad
options.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.cli.args import UsageError, positive
from conformance.exitcodes import ExitCode

__all__ = ["add_parser", "compare"]

_PROTOCOLS = ("ws", "sse", "poll", "sio")


def _network(text: str) -> Any:
    from conformance.compare.impairment import parse_impairment

    try:
        return parse_impairment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _pair(kind: Callable[[str], Any]) -> Callable[[str], tuple[str, Any]]:
    def parse(text: str) -> tuple[str, Any]:
        protocol, sep, value = text.partition("=")
        if not sep or protocol not in _PROTOCOLS:
            raise argparse.ArgumentTypeError(f"expected PROTOCOL=VALUE with PROTOCOL one of "
                                             f"{', '.join(_PROTOCOLS)}, not {text!r}")
        try:
            return protocol, kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad value in {text!r}") from None

    return parse


def add_parser(sub: Any) -> None:
    """Add ``compare``."""
    p = sub.add_parser("compare", description=__doc__,
                       help="compare WebSocket, SSE, long polling and Socket.IO under network conditions",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--protocol", "-p", action="append", choices=_PROTOCOLS, default=[],
                   help="a protocol to run (repeatable; default: ws, sse, poll, sio)")
    p.add_argument("--network", "-n", type=_network, default=None, metavar="SPEC",
                   help="network conditions: a preset (none, lan, 3g, lossy-wifi, corporate-proxy), "
                        "key=value settings (rtt=50ms, up=, down=, jitter=, bw=1mbit, bw-up=, bw-down=, "
                        "stall=5s/1s, reset=10s, idle=30s, strip-upgrade), or a preset then settings "
                        "(default: lan)")
    p.add_argument("--rate", type=positive(float), default=20.0, help="messages per second (default 20)")
    p.add_argument("--size", type=positive(int), default=256, help="bytes per message (default 256)")
    p.add_argument("--subscribers", type=positive(int), default=8, help="subscribers (default 8)")
    p.add_argument("--duration", type=positive(float), default=8.0,
                   help="seconds of publishing per protocol (default 8)")
    p.add_argument("--reconnect-delay", type=positive(float), default=0.25, metavar="S",
                   help="seconds a client waits before reconnecting (default 0.25)")
    p.add_argument("--url", action="append", type=_pair(str), default=[], metavar="PROTOCOL=URL",
                   help="a server of yours instead of the reference one: ws=ws://host/path, "
                        "sse=http://host/events, poll=http://host/poll, sio=http://host/socket.io/ "
                        "(the testee of docs/testee-contract.md; repeatable)")
    p.add_argument("--publish-url", action="append", type=_pair(str), default=[], metavar="PROTOCOL=URL",
                   help="where sse or poll messages are published (default: /publish on the URL's origin)")
    p.add_argument("--server-pid", action="append", type=_pair(int), default=[], metavar="PROTOCOL=PID",
                   help="process id of your server on this machine, to measure its CPU and memory")
    p.add_argument("--seed", type=int, default=1, help="seed of the jitter (default 1)")
    p.add_argument("--out", default="compare-report", metavar="DIR",
                   help="directory for compare.json and compare.html (default: %(default)s)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the paths written")
    p.set_defaults(handler=compare)


def _plan(args: argparse.Namespace) -> Any:
    from conformance.compare.impairment import PRESETS
    from conformance.compare.lab import Plan
    from conformance.compare.workload import Server, Workload

    try:
        workload = Workload(args.rate, int(args.size), int(args.subscribers), args.duration,
                            args.reconnect_delay).check()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    urls = dict(args.url)
    checks = [(p, u, "ws://" if p == "ws" else "http://") for p, u in urls.items()]
    checks += [(p, u, "http://") for p, u in args.publish_url]
    if "ws" in dict(args.publish_url):
        raise UsageError("ws has no --publish-url: each WebSocket subscriber publishes on its own connection")
    if "sio" in dict(args.publish_url):
        raise UsageError("sio has no --publish-url: its publisher is a Socket.IO client of the sio URL")
    for protocol, url, scheme in checks:
        if not url.startswith(scheme):
            raise UsageError(f"{protocol} wants a {scheme} url, not {url!r}")
        try:
            Server(protocol, url).host_port_path()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    protocols = tuple(dict.fromkeys(args.protocol)) or _PROTOCOLS
    return Plan(protocols, workload, args.network or PRESETS["lan"], urls, dict(args.publish_url),
                dict(args.server_pid), args.seed)


def compare(args: argparse.Namespace) -> int:
    """Run the comparison, write compare.json and compare.html."""
    from conformance.compare.lab import run_compare_sync
    from conformance.reporting.compare_page import render_compare_page
    from conformance.targets.base import TargetError

    plan = _plan(args)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out {str(out)!r}: {exc.strerror}") from None
    say: Callable[[str], None] | None = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    try:
        doc = run_compare_sync(plan, say)
    except TargetError as exc:
        sys.stderr.write(f"rtconform: error: {exc}\n")
        return ExitCode.TOOL
    json_path, html_path = out / "compare.json", out / "compare.html"
    for path, text in ((json_path, json.dumps(doc, indent=1) + "\n"), (html_path, render_compare_page(doc))):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    if not args.quiet:
        for line in doc["findings"]:
            print(line)
    print(f"wrote {json_path} and {html_path}")
    failed = [p for p, r in doc["protocols"].items() if r["status"] != "ok"]
    return ExitCode.FAILED if failed else ExitCode.OK
