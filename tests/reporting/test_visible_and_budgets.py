"""The display sanitizer and the size budgets, on hand-built results: control characters never leave the
program raw (terminal, HTML, JUnit), and a result's texts, its transcript and run.json stay bounded."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conformance.model import Outcome, Verdict
from conformance.registry import load
from conformance.reporting.html import render
from conformance.reporting.json import render_run
from conformance.reporting.junit import render_junit
from conformance.reporting.terminal import render_summary
from conformance.reporting.visible import visible
from conformance.results import RunResult, case_result
from conformance.textbudget import ACTUAL_CHARS, clip, clip_items
from conformance.wire.transcript import Entry, Transcript

from .builders import case, run
from .htmlscan import scan

NASTY = "\x1b[2J\x1b]0;title\x07\x00\x7f\x9b31m\u202e\r"


def raw_controls(text: str, allowed: str = "\n\t") -> list[str]:
    """The control characters in ``text`` that a terminal or a page would act on."""
    return sorted({ch for ch in text if (ord(ch) < 0x20 and ch not in allowed) or 0x7F <= ord(ch) <= 0x9F
                   or ch == "\u202e"})


@pytest.mark.parametrize(("text", "keep", "shown"), [
    ("plain", "", "plain"),
    ("a\x1b[31mb", "", "a\\x1b[31mb"),
    ("t\x07\x00\x7f\x9b", "", "t\\x07\\x00\\x7f\\x9b"),
    ("line\nnext\tcol\r", "", "line\\nnext\\tcol\\r"),
    ("line\nnext\tcol\r", "\n\t", "line\nnext\tcol\\r"),
    ("rtl\u202eevil\ud800", "", "rtl\\u202eevil\\ud800"),
    ("κόσμε ✓", "", "κόσμε ✓"),
])
def test_visible_escapes_controls(text: str, keep: str, shown: str) -> None:
    assert visible(text, keep) == shown


def test_clip_keeps_the_limit_and_says_what_was_cut() -> None:
    assert clip("short", 10) == "short"
    cut = clip("x" * 10_000, 100)
    assert len(cut) <= 100
    assert cut.endswith("more characters)")
    assert str(10_000 - cut.index(" ...")) in cut
    items = clip_items(tuple("y" * 5000 for _ in range(40)), 64, 5)
    assert len(items) == 5
    assert all(len(i) <= 64 for i in items)
    assert items[-1] == "... (36 more items)"


def test_case_result_bounds_what_the_case_built() -> None:
    stub = load().select(("ws",))[0]
    huge = Verdict(Outcome.FAILED, Outcome.FAILED, tuple("e" * 9999 for _ in range(100)), "a" * 10**6,
                   notes=("n" * 10**5,))
    result = case_result(stub, verdict=huge, error="x" * 10**6)
    assert len(result.actual) <= ACTUAL_CHARS
    assert len(result.error) <= ACTUAL_CHARS
    assert len(result.expected) == 16
    assert sum(map(len, result.expected)) + len(result.notes[0]) <= 17 * 1024


def test_transcript_stays_bounded_against_an_endless_stream() -> None:
    tr = Transcript()
    for i in range(100_000):
        tr.received(b"m" * 16384)
        tr.note(f"note {i} " + "z" * 1000)
    kept = tr.entries
    assert len(kept) <= tr.max_entries + 1
    assert sum(len(e.data) for e in kept) <= tr.max_total_bytes + tr.tail_bytes
    assert max(len(e.text) for e in kept) <= tr.max_text
    assert kept[-1].text.startswith("note 99999"), "the tail keeps how the case ended"
    assert tr.dropped == 200_000 - tr.max_entries


def hostile_run() -> RunResult:
    entry = Entry(0.001, "rx", "bytes", "HTTP/1.1 400 " + NASTY, ("HTTP/1.1 400 " + NASTY).encode(), 30)
    note = Entry(0.002, "note", "event", "close reason " + NASTY)
    return run(case("ws/5.2/nasty", "failed", actual="reason " + NASTY, error="err " + NASTY,
                    expected=("exp " + NASTY,), notes=("note " + NASTY,), desc="d", transcript=(entry, note)),
               case("ws/5.2/errs", "errored", error="status line " + NASTY), output="banner " + NASTY,
               url="ws://127.0.0.1:1/" + NASTY)


def test_terminal_summary_shows_controls_as_escapes() -> None:
    out = render_summary(hostile_run())
    assert raw_controls(out, "\n") == []
    assert "\\x1b[2J" in out
    assert "\\x07" in out


def test_html_and_junit_show_controls_as_escapes_and_parse() -> None:
    r = hostile_run()
    files = render([r])
    for name, text in files.items():
        if name.endswith(".html"):
            assert raw_controls(text) == [], name
            assert scan(text).problems() == [], name
    page = scan(files["cases/ws_5.2_nasty.html"]).text
    assert "reason \\x1b[2J\\x1b]0;title\\x07\\x00\\x7f\\x9b31m\\u202e\\r" in page
    assert "banner \\x1b[2J" in scan(files["index.html"]).text
    xml = render_junit(r)
    assert raw_controls(xml) == []
    root = ET.fromstring(xml.encode())
    assert "\\x1b[2J" in (root.find("testsuite/testcase/failure").text or "")  # type: ignore[union-attr]


def test_render_run_is_json_dumps_with_indent_1() -> None:
    r = hostile_run()
    assert render_run(r) == json.dumps(r.to_json(), indent=1, ensure_ascii=False) + "\n"
    empty = run()
    assert render_run(empty) == json.dumps(empty.to_json(), indent=1, ensure_ascii=False) + "\n"
