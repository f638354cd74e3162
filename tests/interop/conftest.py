"""The server under test for the interop tests: the reference WebSocket server, run through its CLI.

Clients that nobody in this repository wrote talk to it over 127.0.0.1. One server process serves every
interop test of a session; it is stopped with SIGTERM at the end, and must then exit 0.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"^listening on (ws://127\.0\.0\.1:\d+)$")


@pytest.fixture(scope="session")
def reference_url() -> Iterator[str]:
    """``ws://127.0.0.1:PORT`` of a ``python -m reference.servers ws --port 0`` process."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference.servers", "ws", "--port", "0"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    match = LISTENING.match(line)
    if match is None:
        proc.kill()
        raise AssertionError(f"reference server did not start: {line!r} {proc.communicate()[1]!r}")
    try:
        yield match[1] + "/"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    assert proc.returncode == 0, err
