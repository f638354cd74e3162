"""``rtconform``'s one parser: parsing only converts options (no network, no catalog), ``serve`` passes
everything on to the reference server, and the options are built once."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from conformance.cli import build_parser
from conformance.cli.run import options_from_args
from conformance.exitcodes import ExitCode
from conformance.wire.endpoint import ConnectOptions

REPO = Path(__file__).resolve().parents[2]


def test_run_options_are_built_once_with_header_and_profile() -> None:
    args = build_parser().parse_args(["run", "--profile", "history-size=7", "-H", "X-A: 1",
                                      "--heartbeat-interval", "2", "--suite", "sse"])
    opts = options_from_args(args)
    assert opts.connect == ConnectOptions(headers=(("X-A", "1"),),
                                          profile=(("history-size", "7"), ("heartbeat-interval", "2")))
    assert (opts.target.address, opts.suites, opts.include) == (None, ("sse",), ())


def test_parsing_touches_neither_the_network_nor_the_catalog() -> None:
    """An http:// target needs a probe to pick sse or poll; parsing must not send it, nor import a catalog."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        code = textwrap.dedent(f"""
            import sys
            from conformance.cli import build_parser
            from conformance.cli.run import options_from_args
            opts = options_from_args(build_parser().parse_args(["run", "--target", "http://127.0.0.1:{port}/x"]))
            assert opts.target.address is not None and opts.target.address.port == {port}
            print(sorted(m for m in sys.modules if m.startswith("conformance.catalog")))
        """)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                              cwd=REPO, check=False)
        try:
            listener.accept()[0].close()
            connected = True
        except TimeoutError:
            connected = False
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[]\n"
    assert not connected


def test_serve_help_is_the_reference_servers_under_the_name_the_user_typed() -> None:
    proc = subprocess.run([sys.executable, "-m", "conformance", "serve", "--help"], capture_output=True,
                          text=True, timeout=30, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: rtconform serve [-h] PROTOCOL ...")
    assert "Run an rtconform reference server." in proc.stdout
    sub = subprocess.run([sys.executable, "-m", "conformance", "serve", "ws", "--help"], capture_output=True,
                         text=True, timeout=30, cwd=REPO, check=False)
    assert sub.stdout.startswith("usage: rtconform serve ws "), sub.stdout
    own = subprocess.run([sys.executable, "-m", "reference.servers", "--help"], capture_output=True,
                         text=True, timeout=30, cwd=REPO, check=False)
    assert own.stdout.startswith("usage: python -m reference.servers [-h] PROTOCOL ...")


def test_usage_errors_of_every_subcommand_are_one_line_exit_2() -> None:
    for argv in (["fuzz"], ["replay"], ["report"], ["list", "--nope"], ["serve-x"]):
        proc = subprocess.run([sys.executable, "-m", "conformance", *argv], capture_output=True, text=True,
                              timeout=30, cwd=REPO, check=False)
        assert proc.returncode == ExitCode.USAGE, (argv, proc.stderr)
        assert proc.stderr.startswith("rtconform: error: "), proc.stderr
        assert proc.stderr.count("\n") == 1, proc.stderr
