"""``python -m reference.servers <protocol> [options]``: run a reference server (see ``cli.py``)."""

from __future__ import annotations

from reference.servers.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
