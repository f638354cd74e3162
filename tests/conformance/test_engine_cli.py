"""The rtconform CLI: exit codes, one-line usage errors, reports that parse back, and a real run against
the third-party `websockets` server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.baseline import read_run
from conformance.cli import main
from conformance.model import Level, Outcome
from conformance.registry import load
from conformance.reporting.json import autobahn_index
from conformance.reporting.junit import render_junit, xml_safe
from conformance.results import CaseResult, RunResult, TargetInfo
from conformance.wire.transcript import Entry

EXAMPLES = ["--case", "1.1.1", "--case", "2.1", "--case", "2.5", "--case", "3.1"]


def test_examples_pass_against_websockets_and_reports_parse(websockets_url: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--target", websockets_url, *EXAMPLES, "--report-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "result: 4 passed" in out
    folder = next(tmp_path.iterdir())
    run = read_run(folder / "run.json")
    assert [c.outcome for c in run.cases] == [Outcome.PASSED] * 4
    assert run.target.kind == "url"
    assert run.catalog_hash
    assert run.cases[0].transcript
    index = json.loads((folder / "index.json").read_text())
    (agent,) = index.values()
    assert agent["2.5"] == {"behavior": "OK", "behaviorClose": "OK", "remoteCloseCode": 1002,
                            "duration": agent["2.5"]["duration"], "reportfile": "run.json"}
    suite = ET.parse(folder / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "4"
    assert suite.get("failures") == "0"


def test_env_target_is_the_default(websockets_url: str, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TARGET", websockets_url)
    assert main(["run", "--case", "2.1", "--no-reports", "--quiet"]) == 0
    assert capsys.readouterr().out == "result: 1 passed; exit 0: no gating failure\n"


def test_failures_exit_1_and_show_requirement_and_transcript(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # An HTTP server that never upgrades: every case fails its handshake.
    proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().split("port ")[1].split()[0]
        code = main(["run", "--target", f"ws://127.0.0.1:{port}", "--case", "2.1", "--case", "3.1",
                     "--report-dir", str(tmp_path)])
    finally:
        proc.terminate()
        proc.wait()
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL ws/5.5.2/ping-empty [autobahn 2.1] [MUST, gating]" in out
    assert "requirement: The server MUST answer with a pong" in out
    assert "<<" in out  # transcript lines


def test_bare_rtconform_prints_the_help_on_stderr_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: rtconform ")
    assert "run the conformance cases against a target" in err
    assert "exit codes:" in err


@pytest.mark.parametrize(("args", "fragment"), [
    (["run", "--bogus"], "unrecognized arguments: --bogus"),
    (["run", "--target", "ftp://x"], "the scheme must be http://, https://, ws://, wss://"),
    (["run", "--target", "ws://[::1"], "invalid target url"),
    (["run", "--jobs", "0"], "must be a positive number, not '0'"),
    (["run", "--timeout", "abc"], "must be a positive number, not 'abc'"),
    (["run", "--header", "NoColon"], "--header must be 'Name: value'"),
    (["run", "--ca", "/nonexistent.pem", "--target", "wss://x"], "--ca file not found"),
    (["run", "--cmd", "true"], "--cmd needs --target"),
    (["run", "--case", "no/such/case"], "no case matches"),
    (["run", "--fail-on", "may"], "invalid choice"),
])
def test_usage_errors_exit_2_with_one_line(args: list[str], fragment: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert fragment in err


def test_unreachable_target_exits_3_in_a_subprocess() -> None:
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", "--target", "ws://127.0.0.1:9",
                           "--no-reports"], check=False, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 3
    assert proc.stderr.startswith("rtconform: target error: target ws://127.0.0.1:9 is unreachable")
    assert proc.stderr.count("\n") == 1


def test_list_and_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--case", "2.5"]) == 0
    assert main(["run", "--list", "--case", "ws/5.2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ws/5.5/ping-126-bytes")
    assert out[1] == "1 cases"
    assert any(line.startswith("ws/5.2/rsv1-without-extension") for line in out[2:])


def test_started_command_target_output_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = Path(__file__).with_name("engine_echo_server.py")
    with socket.socket() as s:  # a free port for the started server
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["run", "--target", f"ws://127.0.0.1:{port}", "--cmd", f"{sys.executable} {server} {port}",
                 "--case", "2.1", "--report-dir", str(tmp_path), "--quiet"])
    assert code == 0, capsys.readouterr()
    run = json.loads((tmp_path / f"127.0.0.1_{port}" / "run.json").read_text())
    assert run["target"]["kind"] == "command"
    assert "echo server up" in run["target"]["output"]
    assert run["target"]["returncode"] is not None


def _result(actual: str) -> RunResult:
    entry = Entry(0.001, "rx", "bytes", "", b"\x00\x1b\xff", 3)
    case = CaseResult(id="ws/5.2/x", level=Level.MUST, outcome=Outcome.FAILED, behavior=Outcome.FAILED,
                      close=Outcome.PASSED, actual=actual, autobahn="3.1", transcript=(entry,))
    return RunResult(TargetInfo("url", "t", "ws://t"), "0", "h", "2026-01-01T00:00:00Z", 1.0, {}, (case,))


def test_junit_escapes_everything_from_the_target() -> None:
    hostile = "<script>&\"'\x00\x1b\ud800\U0010ffff]]>"
    root = ET.fromstring(render_junit(_result(hostile)).encode())
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert "<script>&" in (failure.get("message") or "")
    assert xml_safe("a\x00b\x1bc\ufffe") == "a\\x00b\\x1bc\ufffd", "controls shown, non-characters replaced"


def test_run_json_round_trips_and_index_is_keyed_by_autobahn_id() -> None:
    run = _result("x")
    doc, transcripts = json.loads(json.dumps(run.to_json())), json.loads(json.dumps(run.transcripts_json()))
    assert "transcript" not in doc["cases"][0], "run.json holds no transcripts (schema 2)"
    assert RunResult.from_json(doc, transcripts) == run
    assert RunResult.from_json(doc).cases[0].transcript == ()
    with pytest.raises(ValueError, match="belongs to the run started"):
        RunResult.from_json(doc, {**transcripts, "started_at": "2020-01-01T00:00:00Z"})
    schema1 = {**doc, "schema_version": 1,
               "cases": [{**c, "transcript": transcripts["cases"][c["id"]]} for c in doc["cases"]]}
    assert RunResult.from_json(schema1) == run, "run.json files of schema 1 (transcripts inline) are read"
    assert autobahn_index(run)["t"]["3.1"]["behavior"] == "FAILED"
    with pytest.raises(ValueError, match="schema_version"):
        RunResult.from_json({**run.to_json(), "schema_version": 99})


def test_every_catalog_case_is_selectable_by_its_id() -> None:
    reg = load()
    for case in reg.cases:
        assert reg.select([case.id], strict=True) == [case]


def test_serve_execs_the_reference_server() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "ws", "--host", "127.0.0.1",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(10)
    assert line.startswith("listening on ws://127.0.0.1:"), line
