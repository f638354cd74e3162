"""``python -m reference.servers eio`` (and so ``rtconform serve eio``): start, serve, stop on SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_cli_serves_the_options_and_exits_0_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference.servers", "eio", "--port", "0", "--ping-interval", "300",
         "--ping-timeout", "200", "--max-payload", "5000", "--path", "/custom"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+/custom/)", line)
        assert match, line
        with urllib.request.urlopen(match[1] + "?EIO=4&transport=polling", timeout=5) as answer:
            opened = json.loads(answer.read()[1:])
        assert (opened["pingInterval"], opened["pingTimeout"], opened["maxPayload"]) == (300, 200, 5000)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_cli_refuses_a_bad_option_with_exit_2() -> None:
    run = subprocess.run([sys.executable, "-m", "reference.servers", "eio", "--ping-interval", "0"],
                         cwd=REPO, capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 2
    assert "--ping-interval" in run.stderr
