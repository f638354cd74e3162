"""The STRICT level (stricter than the spec, not an RFC requirement) in every report: named as such, and
its failures never counted as the run's failures."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from conformance.reporting.html import render
from conformance.reporting.json import render_run
from conformance.reporting.junit import render_junit
from conformance.reporting.terminal import render_summary
from conformance.results import RunResult

from .builders import case, run

STRICT_FAILED = case("ws/8.1/utf8-fail-fast-frames", "failed", level="STRICT", code=1007)
MUST_PASSED = case("ws/5.6/echo-text-empty")


def strict_run() -> RunResult:
    return run(MUST_PASSED, STRICT_FAILED)


def test_terminal_names_the_level_and_does_not_gate_on_it() -> None:
    text = render_summary(strict_run())
    assert "[STRICT (not an RFC requirement), not gating]" in text


def test_junit_reports_a_strict_failure_but_does_not_count_it() -> None:
    root = ET.fromstring(render_junit(strict_run()))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    (tc,) = [t for t in suite.iter("testcase") if t.get("name") == STRICT_FAILED.id]
    assert tc.find("failure") is None
    out = tc.find("system-out")
    assert out is not None
    assert "[STRICT (not an RFC requirement)]" in (out.text or "")


def test_html_explains_the_level() -> None:
    index = render([strict_run()])["index.html"]
    assert 'class="level l-STRICT" title="not an RFC requirement' in index
    assert "never fails the run" in index


def test_run_json_keeps_the_level_value() -> None:
    (strict,) = [c for c in json.loads(render_run(strict_run()))["cases"] if c["id"] == STRICT_FAILED.id]
    assert strict["level"] == "STRICT"
