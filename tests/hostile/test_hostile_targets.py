"""``rtconform run --jobs 16`` against every hostile target of ``servers.py``, in a subprocess, measured:
the runner's peak RSS stays under :data:`RSS_BOUND`, the run ends within :data:`TIME_BOUND` with a clear
verdict (exit 1 or 3, every case failed or errored with a reason, or passed), the report folder stays under
its budget, and no raw control character reaches stdout, the HTML pages or junit.xml (docs/reports.md,
"Budgets" and "Hostile targets").

The runs pass ``--timeout 2 --close-timeout 1 --run-timeout 40`` explicitly, so the time bound does not
depend on the defaults. A representative selection of each suite (without the cases that carry a long
timeout of their own) keeps the whole module near a minute; the endless-frames run covers the whole
WebSocket suite, for the report's size.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from reporting.htmlscan import scan

from conformance.registry import load

from .harness import RUN_TIMEOUT, Measured, run_against

#: The runner's peak resident memory against any hostile target at --jobs 16.
RSS_BOUND = 256 * 2**20
#: A run ends within --run-timeout plus this (starting, the last cases' close timeout, the reports).
TIME_SLACK = 15.0
TIME_BOUND = RUN_TIMEOUT + TIME_SLACK
#: Report bytes per case (run.json, the case page, its share of index.html, index.json and junit.xml).
REPORT_PER_CASE = 320 * 1024
#: The whole report folder of a full run (the catalog's cases, --strict included) against any target.
REPORT_BOUND = 128 * 2**20


def spread(selector: str, count: int, strict: bool = False) -> list[str]:
    """About ``count`` case IDs spread over the cases ``selector`` selects, leaving out the few with a
    timeout of their own (up to 140 s, for heartbeats and holds): the run timeout would end those."""
    cases = [c for c in load().select((selector,), strict=strict) if c.timeout is None]
    return [c.id for c in cases[::max(1, len(cases) // count)]]


#: (mode, scheme, suite, cases (None: the whole suite), --strict)
RUNS = [
    ("endless-frames", "ws", "ws", None, False),
    ("endless-fragments", "ws", "ws", spread("ws", 32), False),
    ("endless-pings", "ws", "ws", spread("ws", 32), False),
    ("endless-sse-line", "http", "sse", spread("sse", 32, True), True),
    ("endless-events", "http", "sse", spread("sse", 32, True), True),
    ("huge-poll-body", "http", "poll", spread("poll", 16, True), True),
    ("silence", "ws", "ws", spread("ws", 32), False),
    ("drip", "ws", "ws", spread("ws", 32), False),
    ("drip", "http", "sse", spread("sse", 16, True), True),
    ("hostile-text", "ws", "ws", spread("ws", 32), False),
    ("hostile-text", "http", "sse", spread("sse", 40, True), True),
    ("hostile-text", "http", "poll", spread("poll", 16, True), True),
]


def raw_controls(data: bytes) -> set[int]:
    """Bytes of a terminal or a page would act on: C0 but tab and newline, DEL, and C1 (as UTF-8)."""
    found = {b for b in data if (b < 0x20 and b not in (9, 10)) or b == 0x7F}
    text = data.decode("utf-8", "replace")
    return found | {ord(ch) for ch in text if 0x80 <= ord(ch) <= 0x9F}


def check(m: Measured, cases: int) -> None:
    assert m.code in (1, 3), f"{m.line()}\n{m.stderr.decode(errors='replace')[-2000:]}"
    assert m.peak_rss < RSS_BOUND, m.line()
    assert m.seconds < TIME_BOUND, m.line()
    assert raw_controls(m.stdout) == set(), "raw control bytes on stdout"
    assert raw_controls(m.stderr) == set(), "raw control bytes on stderr"
    run = json.loads((m.folder / "run.json").read_text(encoding="utf-8"))
    assert len(run["cases"]) == cases
    for c in run["cases"]:
        if c["outcome"] in ("failed", "errored"):
            assert c["actual"] or c["error"], f"{c['id']} {c['outcome']} without a reason"
    assert m.report_bytes < max(cases, 16) * REPORT_PER_CASE, m.line()


def check_pages(folder: Path) -> None:
    for path in [folder / "index.html", *sorted((folder / "cases").glob("*.html"))]:
        data = path.read_bytes()
        assert raw_controls(data) == set(), path.name
        assert scan(data.decode("utf-8")).problems() == [], path.name
    junit = (folder / "junit.xml").read_bytes()
    assert raw_controls(junit) == set()
    ET.fromstring(junit)


@pytest.mark.parametrize(("mode", "scheme", "suite", "cases", "strict"), RUNS,
                         ids=[f"{r[0]}-{r[2]}" for r in RUNS])
@pytest.mark.slow
def test_hostile_target_is_bounded(mode: str, scheme: str, suite: str, cases: list[str] | None,
                                   strict: bool, tmp_path: Path) -> None:
    m = run_against(mode, scheme, suite, cases or [], tmp_path, strict=strict)
    selected = len(cases) if cases else len(load().select((suite,), strict=strict))
    check(m, selected)
    if mode == "hostile-text":
        check_pages(m.folder)
        assert b"\\x1b[2J" in m.stdout or b"\\x1b" in (m.folder / "index.html").read_bytes()
    if cases is None and mode == "endless-frames":
        total = len(load().select(("ws", "sse", "poll"), strict=True))
        per_case = m.report_bytes / selected
        assert per_case * total < REPORT_BOUND, f"{m.line()}: {per_case:.0f} bytes per case"


def test_raw_controls_sees_what_it_must() -> None:
    assert raw_controls(b"ok\n\tok") == set()
    assert raw_controls("a\x1b[31m\x07\x00\x7f\u009b".encode()) == {0x1b, 0x07, 0x00, 0x7f, 0x9b}
