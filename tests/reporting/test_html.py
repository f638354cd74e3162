"""The HTML report rendered from hand-built runs: structure, order, anchors, evidence, escaping."""

from __future__ import annotations

import json
import re
import struct
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.baseline import diff
from conformance.cli import main
from conformance.expectfile import parse
from conformance.model import Outcome
from conformance.reporting.html import render, write
from conformance.reporting.htmlmodel import case_file, spec_link
from conformance.review import Review
from conformance.wire.transcript import Entry

from .builders import case, run
from .htmlscan import scan

CLOSE_1002 = Entry(0.004, "rx", "frame", "CLOSE fin=1 masked=0 len=9",
                   struct.pack("!H", 1002) + b"bad rsv", 9)
BIG = Entry(0.002, "rx", "frame", "BINARY fin=1 masked=0 len=100000", bytes(4096), 100000)
RUN = run(
    case("ws/1.1/echo-text"),
    case("ws/5.2/rsv1", "failed", code=1002, autobahn="3.1", transcript=(CLOSE_1002, BIG),
         transcript_dropped=7, expected=("close 1002 or tcp close",), actual="target echoed the frame"),
    case("ws/5.2/ok-too"),
    case("ws/7.1/slow", "non-strict", level="SHOULD"),
    case("ws/9.9/boom", "errored", code=None, error="timeout after 5.0 s"),
    name="127.0.0.1_9001",
)


def page(files: dict[str, str], name: str = "index.html") -> str:
    return files[name]


def test_a_report_is_an_index_a_page_per_case_not_passed_one_for_the_passed_and_two_assets() -> None:
    files = render([RUN])
    passed = {c.id for c in RUN.cases if c.outcome is Outcome.PASSED}
    assert passed, "the run has passing cases"
    pages = {f"cases/{case_file(c.id)}" for c in RUN.cases if c.id not in passed}
    assert set(files) == {"index.html", "report.css", "report.js", "cases/passed.html", *pages}
    assert case_file("ws/5.2/rsv1") == "ws_5.2_rsv1.html"
    doc = scan(page(files))
    assert doc.problems() == []
    assert {c.id for c in RUN.cases} <= doc.ids, "every case has a stable anchor: its id"
    links = {a["href"] for a in doc.all("a")}
    assert pages <= links
    assert {f"cases/passed.html#{i}" for i in passed} <= links
    assert {f"cases/passed.html#{i}/run-1" for i in passed} <= links
    on_passed = scan(files["cases/passed.html"])
    assert on_passed.problems() == []
    assert {*passed, *(f"{i}/run-1" for i in passed)} <= on_passed.ids
    assert not on_passed.all("details"), "no hex views for passing cases"


def test_index_summary_counts_and_verdict() -> None:
    html = page(render([RUN]))
    counts = dict(re.findall(r'data-count="([\w-]+)">(\d+)<', html))
    assert (counts["total"], counts["passed"], counts["failed"], counts["errored"]) == ("5", "2", "1", "1")
    assert counts["MUST-passed"] == "2"
    assert counts["SHOULD-non-strict"] == "1"
    text = scan(html).text
    assert "does not conform: 2 MUST cases failed" in text
    for fact in ("ws://127.0.0.1:9001", "2026-11-26T12:00:00Z", "1.50 s", "rtconform 0.1.0", "c0ffee"):
        assert fact in text


def test_failures_come_first_in_the_list_and_in_the_matrix() -> None:
    html = page(render([RUN]))
    rows = re.findall(r'<tr id="([^"]+)" class="case"', html)
    # failing groups first, in catalog order; a failing group lists its failures before its other cases
    assert rows == ["ws/5.2/rsv1", "ws/5.2/ok-too", "ws/9.9/boom", "ws/1.1/echo-text", "ws/7.1/slow"]
    failures = html[html.index('id="failures"'):html.index('id="cases"')]
    assert failures.index("ws/5.2/rsv1") < failures.index("ws/9.9/boom")
    assert "ws/1.1/echo-text" not in failures
    assert 'data-order="0"' in html, "the script can restore catalog order"


def test_case_page_shows_the_evidence() -> None:
    files = render([RUN])
    html = files["cases/ws_5.2_rsv1.html"]
    text = scan(html).text
    for needle in ("stimulus of rsv1", "requirement of rsv1", "quote of rsv1", "Autobahn|Testsuite case 3.1",
                   "close 1002 or tcp close", "target echoed the frame", "close code 1002, reason “bad rsv”",
                   "7 more entries were not recorded",
                   "100000 bytes on the wire, the runner recorded the first 4096",
                   "the hex view shows the first 1024 of 4096 recorded bytes", "4.000", "03 ea 62 61 64"):
        assert needle in text, needle
    assert 'href="https://www.rfc-editor.org/rfc/rfc6455#section-5.2"' in html
    assert 'href="../index.html#ws/5.2/rsv1"' in html
    assert "timeout after 5.0 s" in scan(files["cases/ws_9.9_boom.html"]).text


def test_multi_target_matrix_has_one_column_per_run() -> None:
    other = run(case("ws/1.1/echo-text", "failed", code=1011), case("ws/5.2/rsv1", code=1002),
                case("ws/5.5/only-here"), name="127.0.0.1_9001", catalog="other")
    files = render([RUN, other], labels=["reference", "websockets"])
    html = page(files)
    head = html[html.index("<thead><tr><th scope=\"col\">case"):]
    head = head[:head.index("</thead>")]
    assert re.findall(r'href="#summary-\d">([^<]+)<', head) == ["reference", "websockets"]
    row = html[html.index('<tr id="ws/1.1/echo-text"'):]
    row = row[:row.index("</tr>")]
    assert re.findall(r'data-outcome="([\w-]+)"', row) == ["passed", "failed"]
    assert "1011" in row
    only = html[html.index('<tr id="ws/5.5/only-here"'):]
    assert re.findall(r'data-outcome="([\w-]+)"', only[:only.index("</tr>")]) == ["not-run", "passed"]
    assert "different case texts" in scan(html).text
    case_page = scan(files["cases/ws_1.1_echo-text.html"])
    assert {"run-1", "run-2"} <= case_page.ids
    same_names = page(render([RUN, RUN]))
    assert "127.0.0.1_9001 (1)" in same_names
    assert "127.0.0.1_9001 (2)" in same_names


def test_expectations_and_baseline_are_shown() -> None:
    exp = parse('[cases]\n"ws/5.2/rsv1" = "ignores rsv1, upstream issue 42"\n'
                '"ws/1.1/echo-text" = "old bug"\n', "ws.toml")
    base = run(case("ws/1.1/echo-text", code=1001), case("ws/5.2/rsv1", "failed", code=1002))
    review = Review(RUN, exp, diff(base, RUN, "base.json"))
    html = page(render([RUN], reviews=[review]))
    text = scan(html).text
    assert "ws.toml" in text
    assert "1 now passing (remove them from the file)" in text
    assert "expected to fail" in text
    assert "expected" in text
    assert "base.json" in text
    assert "close code 1001 -> 1000" in text
    case_text = scan(render([RUN], reviews=[review])["cases/ws_5.2_rsv1.html"]).text
    assert "ignores rsv1, upstream issue 42" in case_text


HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">\'--></textarea>'


def test_everything_from_run_json_is_escaped() -> None:
    hostile_case = case(
        "ws/5.2/rsv1", "failed", desc=HOSTILE, requirement=HOSTILE, quote=HOSTILE, expected=(HOSTILE,),
        actual=HOSTILE, notes=(HOSTILE,), error=HOSTILE, group=HOSTILE, autobahn=HOSTILE,
        transcript=(Entry(0, "rx", "bytes", HOSTILE, HOSTILE.encode(), 10**6),
                    Entry(0, "rx", "frame", "TEXT " + HOSTILE, HOSTILE.encode(), len(HOSTILE)),
                    Entry(0, "rx", "bytes", "", b"HTTP/1.1 101 OK\r\nServer: " + HOSTILE.encode() + b"\r\n")))
    weird = case("ws/5.2/x", "failed", id=f'ws/"><script>/{HOSTILE}', section=f'5.2"><script>{HOSTILE}')
    hostile_run = run(hostile_case, weird, name=HOSTILE, url=HOSTILE, command=HOSTILE, output=HOSTILE)
    files = render([hostile_run], labels=[HOSTILE])
    for name, text in files.items():
        if name.endswith(".html"):
            doc = scan(text)
            assert doc.problems() == [], name
            assert "<script>window.__pwned=1</script>" in doc.text, f"{name} must show the markup as text"
    assert all(re.fullmatch(r"cases/[A-Za-z0-9._-]+\.html", n) for n in files if n.startswith("cases/"))


def test_report_needs_no_network() -> None:
    files = render([RUN])
    for name, text in files.items():
        if name.endswith(".html"):
            for tag, attrs in scan(text).tags:
                if tag in ("script", "link"):
                    assert not re.match(r"^(https?:)?//", str(attrs.get("src") or attrs.get("href"))), name
    assert "url(" not in files["report.css"]
    assert "@import" not in files["report.css"]
    assert not re.search(r"fetch|XMLHttpRequest|innerHTML|eval\(", files["report.js"])


def test_rendering_is_deterministic_and_write_replaces_old_case_pages(tmp_path: Path) -> None:
    assert render([RUN]) == render([RUN])
    stale = tmp_path / "cases" / "ws_0_gone.html"
    stale.parent.mkdir()
    stale.write_text("old")
    (tmp_path / "cases" / "notes.txt").write_text("kept")
    written = write(render([RUN]), tmp_path)
    assert not stale.exists()
    assert (tmp_path / "cases" / "notes.txt").exists()
    assert (tmp_path / "index.html") in written
    assert (tmp_path / "report.js").read_text().startswith("//")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one run"):
        render([])
    with pytest.raises(ValueError, match="got 1 labels for 2 runs"):
        render([RUN, RUN], labels=["one"])
    with pytest.raises(ValueError, match="same runs"):
        render([RUN], reviews=[Review(replace(RUN))])


def test_unknown_specs_get_no_link() -> None:
    other = run(case("zz/3/thing", "failed"))
    html = render([other])["cases/zz_3_thing.html"]
    assert "§3" in scan(html).text
    assert "rfc-editor" not in html
    assert spec_link("zz", "3") == ("", "")
    assert spec_link("sse", "9.2.5")[1].endswith("server-sent-events.html#parsing-an-event-stream")
    assert spec_link("sse", "cors") == ("", "")
    assert spec_link("poll", "2.1") == ("RFC 6202", "https://www.rfc-editor.org/rfc/rfc6202#section-2.1")


def test_report_command_cannot_write_is_a_tool_error(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run.json").write_text(json.dumps(RUN.to_json()))
    (tmp_path / "taken").write_text("a file where the report folder should go")
    assert main(["report", str(tmp_path / "run.json"), "-o", str(tmp_path / "taken")]) == 3
    assert "cannot write the report" in capsys.readouterr().err
