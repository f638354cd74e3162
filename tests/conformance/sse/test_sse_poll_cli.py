"""``rtconform run`` against SSE and long-polling URLs: the suite is inferred from the URL and a probe (or
named with --suite), profile options reach the cases, reports are written, usage errors exit 2."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    options = {"sse": ["--heartbeat-interval", "0.5"], "poll": ["--hold-timeout", "0.5"]}
    procs = {name: subprocess.Popen([sys.executable, "-m", "reference.servers", name, "--port", "0", *args],
                                    stdout=subprocess.PIPE, text=True)
             for name, args in options.items()}
    urls = {}
    for name, proc in procs.items():
        assert proc.stdout is not None
        match = re.fullmatch(r"listening on (\S+)\n", proc.stdout.readline())
        assert match is not None
        urls[name] = match[1]
    yield urls
    for proc in procs.values():
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


@pytest.mark.parametrize(("suite", "option"), [("sse", "--heartbeat-interval=0.5"),
                                               ("poll", "--hold-timeout=0.5")])
def test_suite_inferred_from_the_url(servers: dict[str, str], suite: str, option: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--target", servers[suite], option, "--report-dir", str(tmp_path), "-q"])
    assert code == 0, capsys.readouterr()
    run = json.loads(next(tmp_path.glob("*/run.json")).read_text())
    specs = {case["id"].split("/")[0] for case in run["cases"]}
    assert specs == {suite}
    assert all(case["outcome"] == "passed" for case in run["cases"])
    assert next(tmp_path.glob("*/index.html")).is_file()


def test_suite_named_explicitly_and_publish_url_none_skips(servers: dict[str, str], tmp_path: Path) -> None:
    code = main(["run", "--target", servers["sse"], "--suite", "sse", "--publish-url", "none",
                 "--heartbeat-interval", "0.5", "-c", "sse/9.2.3", "-c", "sse/9.2.5/data-single-line",
                 "--report-dir", str(tmp_path), "-q"])
    assert code == 0
    run = json.loads(next(tmp_path.glob("*/run.json")).read_text())
    outcomes = {case["id"]: (case["outcome"], case["error"]) for case in run["cases"]}
    assert outcomes["sse/9.2.5/data-single-line"] == ("skipped", "the target has no publish url "
                                                                 "(--publish-url none)")
    assert outcomes["sse/9.2.3/content-type-event-stream"][0] == "passed"


@pytest.mark.parametrize(("args", "fragment"), [
    (["--suite", "nope"], "unknown --suite 'nope'"),
    (["--profile", "novalue"], "--profile must be NAME=VALUE, not 'novalue'"),
])
def test_usage_errors(servers: dict[str, str], args: list[str], fragment: str,
                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", servers["sse"], *args]) == 2
    assert fragment in capsys.readouterr().err


def test_unreachable_http_target_is_a_target_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", "http://127.0.0.1:9/events", "--no-reports"]) == 3
    assert "unreachable" in capsys.readouterr().err
