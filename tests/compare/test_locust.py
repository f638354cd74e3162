"""The Locust users on a local cluster: one master and two workers against the reference WebSocket, SSE,
long-polling and Socket.IO servers, a few seconds; every user class reports messages and no failure (no
loss, no duplicate)."""

from __future__ import annotations

import csv
import importlib.util
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

# not imported here: importing locust patches the whole process with gevent; it runs in its own processes
pytestmark = pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed")

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "conformance" / "compare" / "locustfile.py"


@contextmanager
def _process(argv: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _reference(stack: ExitStack, protocol: str, tmp: Path) -> str:
    log = tmp / f"{protocol}.log"
    proc = stack.enter_context(_process([sys.executable, "-m", "reference.servers", protocol, "--host",
                                         "127.0.0.1", "--port", "0"], log))
    for _ in range(300):
        found = re.search(r"listening on (\S+)", log.read_text())
        if found:
            return found.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.05)
    pytest.fail(f"the reference {protocol} server did not start")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
def test_locust_master_and_two_workers_run_the_users(tmp_path: Path) -> None:
    with ExitStack() as stack:
        ws_url = _reference(stack, "ws", tmp_path)
        sse_url = _reference(stack, "sse", tmp_path)
        poll_url = _reference(stack, "poll", tmp_path)
        sio_url = _reference(stack, "sio", tmp_path)
        publish = ",".join(url.rsplit("/", 1)[0] + "/publish" for url in (sse_url, poll_url))
        port = str(_free_port())
        locust = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]
        for i in (1, 2):
            worker = [*locust, "--worker", "--master-port", port]
            stack.enter_context(_process(worker, tmp_path / f"w{i}.log"))
        master = subprocess.run(
            [*locust, "--headless", "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
             "--expect-workers", "2", "--expect-workers-max-wait", "90", "-u", "9", "-r", "9", "-t", "3s",
             "--csv", str(tmp_path / "run"), "--cmp-ws-url", ws_url, "--cmp-sse-url", sse_url,
             "--cmp-poll-url", poll_url, "--cmp-publish-url", publish, "--cmp-sio-url", sio_url,
             "--cmp-rate", "10", "WsUser", "SseUser", "PollUser", "SioUser", "PublisherUser"],
            cwd=ROOT, capture_output=True, timeout=180, check=False)
    assert master.returncode == 0, master.stderr.decode()[-2000:]
    rows = {(r["Type"], r["Name"]): r for r in csv.DictReader((tmp_path / "run_stats.csv").open())}
    for key in (("WS", "echo"), ("SSE", "message"), ("POLL", "message"), ("SIO", "message"),
                ("PUBLISH", "publish"), ("PUBLISH", "sio broadcast")):
        assert int(rows[key]["Request Count"]) > 0, rows
    assert int(rows[("", "Aggregated")]["Failure Count"]) == 0, rows
    # each PollUser polls on one keep-alive connection: at most one connect per user (9 users of 5
    # classes, one of them the single publisher: 2 PollUsers), however many polls
    assert 1 <= int(rows[("POLL", "connect")]["Request Count"]) <= 2, rows
    assert int(rows[("POLL", "message")]["Request Count"]) > 2, rows
