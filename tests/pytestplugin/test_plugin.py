"""rtconform's pytest plugin, through inner pytest sessions (pytester): collection, verdicts against the
reference and the lax server, -k, --lf, expectations as xfails, xdist, the reference-server fixtures, and
a session without ``--rtconform-target`` left alone."""

from __future__ import annotations

import asyncio
import io

import pytest

from conformance.app import RunOptions, execute, plan
from conformance.model import Level
from conformance.pytest_plugin.options import MARKERS
from conformance.pytest_plugin.servers import ReferenceServer
from conformance.registry import load
from conformance.review import ReviewInputs
from conformance.runner import RunSettings
from conformance.targets import TargetSpec
from conformance.wire.endpoint import parse_address

PLUGIN = ("-p", "conformance.pytest_plugin", "-p", "no:cacheprovider")
RSV1 = "ws/5.2/rsv1-without-extension"  # fails on the lax server (it ignores RSV1)
ECHO = "ws/5.6/echo-text-empty"  # Autobahn 1.1.1: passes on both
EXCLUSIVE = "sse/9.2.6/stream-well-formed"


def run(pytester: pytest.Pytester, *args: str, cache: bool = False) -> pytest.RunResult:
    plugin = PLUGIN[:2] if cache else PLUGIN
    return pytester.runpytest_inprocess(*plugin, "-p", "no:randomly", *args)


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Node ID -> pytest outcome of each case item (its call phase; xfail as "xfailed")."""
    found = {}
    for report in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        if report.nodeid.startswith("rtconform::") and (report.when == "call" or report.skipped):
            found[report.nodeid] = "xfailed" if hasattr(report, "wasxfail") and report.skipped else \
                report.outcome
    return found


def test_without_target_the_plugin_collects_and_imports_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="""
        import sys

        def test_catalog_not_loaded():
            loaded = sorted(m for m in sys.modules if m.startswith('conformance'))
            assert loaded == ['conformance', 'conformance.pytest_plugin', 'conformance.pytest_plugin.options']
    """)
    result = pytester.runpytest_subprocess(*PLUGIN, "-v")
    result.assert_outcomes(passed=1)
    assert "rtconform" not in result.stdout.str().replace("conformance.pytest_plugin", "")
    markers = pytester.runpytest_subprocess(*PLUGIN, "--markers").stdout.str()
    assert "@pytest.mark.rtconform_must: an rtconform case of level MUST" in markers


def test_the_level_markers_are_the_levels() -> None:
    assert {f"rtconform_{lv.value.lower()}": f"an rtconform case of level {lv.label}" for lv in Level} == {
        k: v for k, v in MARKERS.items() if k not in ("rtconform", "rtconform_exclusive")}


def test_collection_has_case_ids_levels_and_autobahn_keywords(pytester: pytest.Pytester,
                                                              reference_url: str) -> None:
    result = run(pytester, "--co", "-q", "--rtconform-target", reference_url, "--rtconform-strict",
                 "--rtconform-case", "ws/5.2", "--rtconform-case", "ws/5.5.3")
    ids = [line for line in result.stdout.lines if line.startswith("rtconform::")]
    expected = [c.id for c in load().select(["ws/5.2", "ws/5.5.3"], strict=True)]
    assert ids == [f"rtconform::{i}" for i in expected]
    strict = run(pytester, "--co", "-q", "--rtconform-target", reference_url, "--rtconform-strict",
                 "--rtconform-case", "ws/5.5.3", "-m", "rtconform_strict").stdout.lines
    assert "rtconform::ws/5.5.3/unsolicited-pong-empty" in strict
    assert not [line for line in strict if line.startswith("rtconform::ws/5.2/")]
    by_autobahn = run(pytester, "--co", "-q", "--rtconform-target", reference_url, "-k", "6.4").stdout.lines
    wanted = {f"rtconform::{c.id}" for c in load().select(["ws"]) if (c.autobahn or "").startswith("6.4")}
    assert wanted
    assert wanted <= set(by_autobahn)
    assert "rtconform::ws/5.2/rsv1-without-extension" not in by_autobahn


def test_passes_against_the_reference_server(pytester: pytest.Pytester, reference_url: str) -> None:
    result = run(pytester, "--rtconform-target", reference_url, "--rtconform-case", "ws/5.2/rsv*",
                 "--rtconform-case", ECHO)
    n = len(load().select(["ws/5.2/rsv*", ECHO]))
    result.assert_outcomes(passed=n)
    assert f"{n} cases against {reference_url}" in result.stdout.str()


def test_failure_report_and_verdicts_are_those_of_rtconform_run(pytester: pytest.Pytester,
                                                                lax_url: str) -> None:
    selection = ("ws/5.2/rsv*", "ws/5.2/echo-text-12*")
    words = [w for s in selection for w in ("--rtconform-case", s)]
    result = run(pytester, "--rtconform-target", lax_url, *words)
    text = result.stdout.str()
    assert "MUST case failed: from the target: message(text, 13 bytes, b'Hello, world!')" in text
    assert ("expected:    no message from the target | target fails the connection: close 1002 or tcp close"
            in text)
    assert "spec RFC 6455 \u00a75.2: \u201cIf a nonzero value is received and none of the negotiated " \
           "extensions defines the meaning of such a nonzero value" in text
    assert "transcript (the last " in text
    assert "frame op=0x1 len=13 rsv1=True" in text
    # the same selection through rtconform run's own steps: each item's outcome is the case's status
    opts = RunOptions(TargetSpec(address=parse_address(lax_url)), include=selection, report_dir=None,
                      settings=RunSettings(jobs=16))
    opts, cases = plan(opts, load())
    review = ReviewInputs().review(asyncio.run(execute(cases, opts, io.StringIO())))
    want = {f"rtconform::{c.id}": "failed" if s == "failing" else "passed"
            for c, s in zip(review.run.cases, review.statuses().values(), strict=True)}
    assert outcomes(result) == want
    assert "failed" in want.values()
    assert "passed" in want.values()


@pytest.mark.slow
def test_k_and_last_failed_rerun(pytester: pytest.Pytester, lax_url: str) -> None:
    first = run(pytester, "--rtconform-target", lax_url, "-k", "rsv1-without or echo-text-empty", cache=True)
    first.assert_outcomes(passed=1, failed=1)
    again = run(pytester, "--rtconform-target", lax_url, "--lf", "--rtconform-jobs", "2", cache=True)
    again.assert_outcomes(failed=1)
    assert outcomes(again) == {f"rtconform::{RSV1}": "failed"}
    # the run timeout is that of a run of the one case, as rtconform run --case would derive it
    limit = RunSettings(jobs=2).for_cases(load().select([RSV1])).run_timeout
    assert f"rtconform: running 1 cases against {lax_url} before reporting them (2 at once, " \
           f"run timeout {limit:g}s)" in again.stdout.str()


def test_expectations_file_makes_strict_xfails(pytester: pytest.Pytester, lax_url: str) -> None:
    pytester.makefile(".toml", lax=f"""
        target = "lax"
        [cases]
        "{RSV1}" = "the lax server ignores RSV1"
        "{ECHO}" = "wrongly listed: this case passes"
    """)
    result = run(pytester, "--rtconform-target", lax_url, "--rtconform-expect", "lax.toml", "-rxX",
                 "--rtconform-case", RSV1, "--rtconform-case", ECHO)
    result.assert_outcomes(xfailed=1, failed=1)
    text = result.stdout.str()
    assert f"XFAIL rtconform::{RSV1} - lax.toml: the lax server ignores RSV1" in text
    assert "[XPASS(strict)] lax.toml: wrongly listed: this case passes" in text
    bad = run(pytester, "--rtconform-target", lax_url, "--rtconform-expect", "missing.toml")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "--rtconform-expect file not found" in bad.stderr.str()


def test_failures_below_the_gate_are_xfails(pytester: pytest.Pytester, lax_url: str) -> None:
    case = "ws/4.4/unsupported-version-426"  # STRICT; the lax server answers 101 to any version
    gated = run(pytester, "--rtconform-target", lax_url, "--rtconform-strict", "--rtconform-case", case)
    gated.assert_outcomes(failed=1)
    below = run(pytester, "--rtconform-target", lax_url, "--rtconform-strict", "--rtconform-fail-on", "must",
                "--rtconform-case", case, "-rx")
    below.assert_outcomes(xfailed=1)
    assert "failed at level STRICT, below --rtconform-fail-on must: status 101" in below.stdout.str()


def test_an_unreachable_target_errors_every_item(pytester: pytest.Pytester) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(pytester, "--rtconform-target", f"ws://127.0.0.1:{port}", "--rtconform-case", "ws/5.2/rsv*")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "target error: target ws://127.0.0.1:" in result.stdout.str()
    assert set(outcomes(result).values()) == {"failed"}


@pytest.mark.slow
def test_xdist_workers_run_their_items(pytester: pytest.Pytester, lax_url: str) -> None:
    pytest.importorskip("xdist")
    result = run(pytester, "-p", "xdist", "-n", "2", "--rtconform-target", lax_url,
                 "--rtconform-case", RSV1, "--rtconform-case", ECHO)
    result.assert_outcomes(passed=1, failed=1)
    assert outcomes(result) == {f"rtconform::{RSV1}": "failed", f"rtconform::{ECHO}": "passed"}
    assert "spec RFC 6455 \u00a75.2" in result.stdout.str()


@pytest.mark.slow
def test_exclusive_cases_are_skipped_with_more_than_one_worker(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    server = ReferenceServer("sse")
    url = server.start()
    try:
        result = run(pytester, "-p", "xdist", "-n", "2", "-rs", "--rtconform-target", url,
                     "--rtconform-suite", "sse", "--rtconform-case", EXCLUSIVE)
    finally:
        server.stop()
    result.assert_outcomes(skipped=1)
    assert f"rtconform: {EXCLUSIVE} is exclusive" in result.stdout.str()


@pytest.mark.slow
def test_fixtures_yield_working_reference_servers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_servers="""
        import json
        import urllib.request

        from websockets.sync.client import connect

        def test_ws(rtconform_ws_server):
            with connect(rtconform_ws_server) as ws:
                ws.send("hello")
                assert ws.recv(timeout=5) == "hello"

        def test_sse(rtconform_sse_server):
            with urllib.request.urlopen(rtconform_sse_server, timeout=5) as response:
                assert response.headers["Content-Type"].startswith("text/event-stream")
                assert response.readline().startswith(b"retry:")

        def test_poll(rtconform_poll_server):
            base = rtconform_poll_server.rsplit("/", 1)[0]
            request = urllib.request.Request(base + "/publish", data=b"news", method="POST")
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200
            with urllib.request.urlopen(rtconform_poll_server + "?cursor=0", timeout=5) as response:
                answer = json.load(response)
            assert [m["data"] for m in answer["messages"]] == ["news"]
    """)
    result = pytester.runpytest_subprocess(*PLUGIN, "-q")
    result.assert_outcomes(passed=3)
