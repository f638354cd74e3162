"""``rtconform clients``: its options, one-line usage errors (exit 2), the exit codes of ``rtconform run``
(0 conforms, 1 a gating failure, 3 the client cannot be started or tested), and the same reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.clients.app import default_name

CLIENT = Path(__file__).resolve().parents[1] / "fixtures" / "broken_ws_clients.py"
GOOD = f"{sys.executable} {CLIENT} {{url}}"


@pytest.mark.parametrize(("argv", "says"), [
    (["--suite", "nope", "--cmd", "x"], "unknown --suite 'nope'"),
    (["--suite", "wsclient"], "--cmd COMMAND or --browser"),
    (["--suite", "wsclient", "--cmd", "x", "--browser", "chromium"], "--cmd COMMAND or --browser"),
    (["--suite", "wsclient", "--browser", "firefox"], "unknown --browser 'firefox'"),
    (["--suite", "wsclient", "--cmd", " "], "--cmd is empty"),
    (["--suite", "wsclient", "--cmd", "x", "--name", "../up"], "--name must be"),
    (["--suite", "wsclient", "--cmd", "x", "--overwrite"], "--overwrite goes with --out"),
    (["--suite", "wsclient", "--cmd", "x", "--timeout", "0"], "must be a positive number"),
    (["--suite", "wsclient", "--cmd", "x", "--case", "ws/5.5", "--no-reports"], "no case matches"),
])
def test_bad_arguments_are_one_line_and_exit_2(argv: list[str], says: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert says in err, err


def test_list_shows_the_suite_and_help_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients", "--suite", "wsclient", "--list"]) == 0
    out = capsys.readouterr().out
    assert "wsclient/5.1/client-frames-masked" in out
    assert "[7.9.1]" in out
    assert "waits-for-server-tcp-close" not in out  # SHOULD: with --strict
    assert main(["clients", "--suite", "wsclient", "--list", "--strict"]) == 0
    assert "waits-for-server-tcp-close" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "clients" in capsys.readouterr().out


def test_a_client_that_cannot_start_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients", "--suite", "wsclient", "--cmd", "/nonexistent/client {url}", "--no-reports"]) == 3
    assert "cannot be started" in capsys.readouterr().err


def test_a_client_that_never_connects_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["clients", "--suite", "wsclient", "--cmd", f"{sys.executable} -c pass", "--no-reports",
                 "-q", "--case", "wsclient/5.5.2"])
    assert code == 3
    assert "every case errored" in capsys.readouterr().err


def test_reports_name_the_client_and_exit_codes_gate(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    good = main(["clients", "--suite", "wsclient", "--cmd", GOOD, "--case", "wsclient/5.5.2", "-q",
                 "--report-dir", str(tmp_path)])
    assert good == 0
    run = json.loads((tmp_path / "broken_ws_clients" / "run.json").read_text())
    assert run["target"]["kind"] == "client"
    assert run["target"]["url"] == "client:broken_ws_clients"
    assert [c["outcome"] for c in run["cases"]] == ["passed"]
    assert (tmp_path / "broken_ws_clients" / "index.html").is_file()
    assert (tmp_path / "broken_ws_clients" / "junit.xml").is_file()
    bad = main(["clients", "--suite", "wsclient", "--cmd", f"{sys.executable} {CLIENT} --defect no-pong",
                "--name", "no-pong", "--case", "wsclient/5.5.2", "--out", str(tmp_path / "np"),
                "--timeout", "3"])
    assert bad == 1
    out = capsys.readouterr().out
    assert "FAIL wsclient/5.5.2/ping-empty" in out
    assert json.loads((tmp_path / "np" / "run.json").read_text())["target"]["name"] == "no-pong"


def test_the_default_name_comes_from_the_command() -> None:
    assert default_name("python tests/fixtures/ws_client_websockets.py {url}", None) == "ws_client_websockets"
    assert default_name("node client.js --flag", None) == "client"
    assert default_name(None, "chromium") == "chromium"
    assert default_name("'a b/c d.py'", None) == "c-d"
