"""``rtconform serve ...``: run a reference server, i.e. ``python -m reference.servers ...``.

Everything after ``serve`` (``--help`` included) goes to the reference server's own command line. The
process re-executes itself instead of importing: the runner package never imports the reference package.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

__all__ = ["PROG_ENV", "add_parser", "serve"]

#: The environment variable that tells ``python -m reference.servers`` what its command is called.
PROG_ENV = "RTCONFORM_SERVE_PROG"


def add_parser(sub: Any) -> None:
    """Add ``serve``: its arguments are not parsed here (no option prefix: ``--help`` passes through)."""
    p = sub.add_parser("serve", help="run a reference server: rtconform serve ws --port 9001",
                       add_help=False, prefix_chars="\0")
    p.add_argument("argv", nargs=argparse.REMAINDER, help="arguments of python -m reference.servers")
    p.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> NoReturn:
    """Replace this process with ``python -m reference.servers ARGS``."""
    os.environ[PROG_ENV] = "rtconform serve"
    os.execv(sys.executable, [sys.executable, "-m", "reference.servers", *args.argv])
