"""A target that cannot be reached stops the run at the first case that finds out, with one line saying
why and exit 3: a wss:// URL against a plain server, a closed port, a target that stops accepting, a
target that accepts TCP and never answers (within a bound set by --timeout / --max-case-timeout)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest
from engine_fakes import echo_loop, fake_server, silent, threaded_server

from conformance.cli import main
from conformance.halt import Halt
from conformance.model import Outcome
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.transcript import Transcript


async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A plain HTTP server: whatever arrives, answer 400 and close."""
    await reader.read(1024)
    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    await writer.drain()


def _run_json(report_dir: Path) -> dict[str, object]:
    (path,) = report_dir.glob("*/run.json")
    doc: dict[str, object] = json.loads(path.read_text())
    return doc


def test_wss_against_a_plain_server_stops_at_the_first_tls_failure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = len(load().select(["ws/5.5"]))
    with threaded_server(plain_http, handshake=False) as port:
        code = main(["run", "--target", f"wss://127.0.0.1:{port}", "--insecure", "--case", "ws/5.5",
                     "-j", "1", "-q", "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 3
    reason = f"TLS handshake failed: 127.0.0.1:{port} does not speak TLS (ssl.SSLError: "
    assert err.startswith(f"rtconform: the target could not be reached: {reason}")
    assert err.endswith(f"; the run stopped early ({n - 1} of {n} cases not run or cut short)\n")
    assert err.count("\n") == 1
    cases = _run_json(tmp_path)["cases"]
    assert isinstance(cases, list)
    assert cases[0]["error"].startswith(reason)
    assert all(c["outcome"] == "errored" and c["error"].startswith(f"not run: the run stopped: {reason}")
               for c in cases[1:])


def test_closed_port_exits_3_naming_the_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:  # bound, never listening: refused, and no other process can take the port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert main(["run", "--target", f"ws://127.0.0.1:{port}", "--case", "ws/5.5", "--no-reports"]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"rtconform: target error: target ws://127.0.0.1:{port} is unreachable: connection "
                          f"refused by 127.0.0.1:{port} (ConnectionRefusedError: ")
    assert err.count("\n") == 1


def test_a_target_that_stops_accepting_stops_the_run() -> None:
    cases = load().select(["ws/5.5"])

    async def main_() -> tuple[list[CaseResult], int, Halt]:
        async with fake_server(echo_loop) as endpoint:
            pass  # closed: every connection is refused from now on
        halt = Halt()
        results, _ = await run_cases(cases, endpoint, RunSettings(jobs=1, timeout=2.0), halt=halt)
        return results, endpoint.port, halt

    results, port, halt = asyncio.run(main_())
    assert halt.reason.startswith(f"connection refused by 127.0.0.1:{port} (ConnectionRefusedError: ")
    assert results[0].error == halt.reason
    assert [r.error for r in results[1:]] == [f"not run: the run stopped: {halt.reason}"] * (len(cases) - 1)
    assert all(r.outcome is Outcome.ERRORED for r in results)


@pytest.mark.parametrize(("scheme", "argv"), [
    ("ws", ["--case", "ws/5.5", "--timeout", "1"]),
    # a case with its own 75 s wait, capped by --max-case-timeout
    ("http", ["--suite", "sse", "--case", "sse/9.2.7/heartbeat-between-events", "--max-case-timeout", "1"]),
])
def test_a_silent_target_ends_the_run_within_the_case_timeout(scheme: str, argv: list[str],
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with threaded_server(silent, handshake=False) as port:
        t0 = time.monotonic()
        code = main(["run", "--target", f"{scheme}://127.0.0.1:{port}/", *argv, "--no-reports", "-q"])
        took = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == 3
    assert took < 2.5, took  # the bound: one case timeout (1 s here) plus the closing and stopping
    assert err.startswith(f"rtconform: the target could not be reached: {scheme}://127.0.0.1:{port}/ "
                          "sent nothing to any case in ")
    assert err.count("\n") == 1


def test_silence_is_only_the_targets_when_it_never_answered_anything() -> None:
    halt = Halt()
    quiet, talking = Transcript(), Transcript()
    with halt.watching(quiet), halt.watching(talking):
        assert halt.silent()
        talking.received(b"HTTP/1.1 200 OK\r\n")
        assert not halt.silent()
    assert halt.answered
    assert not halt.silent()
    halt.stop("first")
    halt.stop("second")
    assert halt.reason == "first"
    assert halt.event.is_set()
