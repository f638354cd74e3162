"""``python -m reference.servers sio`` (and so ``rtconform serve sio``): start, serve, stop on SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _post(url: str, body: bytes) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, body, method="POST"), timeout=5) as answer:
        data: bytes = answer.read()
    return data


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as answer:
        data: bytes = answer.read()
    return data


def test_cli_serves_socket_io_with_recovery_and_exits_0_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference.servers", "sio", "--port", "0", "--ping-interval", "5000",
         "--recovery-window", "10", "--connect-timeout", "5"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+/socket\.io/)", line)
        assert match, line
        opened = json.loads(_get(match[1] + "?EIO=4&transport=polling")[1:])
        assert opened["pingInterval"] == 5000
        session = match[1] + f"?EIO=4&transport=polling&sid={opened['sid']}"
        assert _post(session, b'40{"token":"t"}') == b"ok"
        connected, auth = _get(session).decode().split("\x1e")
        assert set(json.loads(connected[2:])) == {"sid", "pid"}  # --recovery-window turns recovery on
        assert json.loads(auth[2:])[:2] == ["auth", {"token": "t"}]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_cli_help_says_recovery_is_off_by_default_and_refuses_bad_options() -> None:
    helped = subprocess.run([sys.executable, "-m", "reference.servers", "sio", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=30, check=True)
    assert "--recovery-window" in helped.stdout
    assert "Off by default" in " ".join(helped.stdout.split())
    bad = subprocess.run([sys.executable, "-m", "reference.servers", "sio", "--connect-timeout", "0"],
                         cwd=REPO, capture_output=True, text=True, timeout=30, check=False)
    assert bad.returncode == 2
    assert "--connect-timeout" in bad.stderr
