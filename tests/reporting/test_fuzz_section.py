"""The Fuzzing section of the HTML report: ``rtconform fuzz`` against a deliberately broken server
(tests/fuzz/broken_server.py) lists its findings in index.html, alone or next to a conformance run of the
same target, keeps the run's expectations, and follows ``rtconform report``; a hostile fuzz.json and
case file stay text."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reporting.fuzzreport import previous_inputs, refresh
from conformance.reporting.fuzzview import MAX_ENTRIES, load_fuzz
from conformance.reporting.html import render, render_fuzz_only

from .builders import case, run
from .conftest import REPO
from .htmlscan import Page, scan

sys.path.insert(0, str(REPO / "tests" / "fixtures"))
from target_servers import spawn_server

BROKEN = [sys.executable, str(REPO / "tests" / "fuzz" / "broken_server.py")]
RSV1 = "ws/5.2/rsv1-without-extension"   # the broken server accepts RSV bits: this case fails
ECHO = "ws/5.6/echo-text-empty"
EVIL = '<script>window.__pwned=1</script><img src=x onerror=alert(1)>'


def fuzzing(html: str) -> Page:
    """The Fuzzing section of a page, parsed."""
    match = re.search(r"<section id=\"fuzzing\">.*?\n</section>", html, re.S)
    assert match, "the page has no Fuzzing section"
    return scan(match.group(0))


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The broken server fuzzed for 1 s through the CLI: (its URL, the report folder)."""
    reports = tmp_path_factory.mktemp("fuzzed")
    with spawn_server(BROKEN) as (host, port):
        url = f"ws://{host}:{port}/"
        code = main(["fuzz", "--target", url, "--duration", "1", "--seed", "5", "--timeout", "1",
                     "--max-findings", "3", "--quiet", "--report-dir", str(reports)])
        assert code == 1, "the broken server must have findings"
        yield url, reports / f"{host}_{port}"


def test_fuzz_alone_writes_an_index_with_every_finding(broken: tuple[str, Path]) -> None:
    url, folder = broken
    doc = json.loads((folder / "fuzz.json").read_text())
    html = (folder / "index.html").read_text()
    assert scan(html).problems() == []
    section = fuzzing(html)
    assert len(doc["findings"]) >= 1
    for finding in doc["findings"]:
        assert f"fuzz-1-{finding['id']}" in section.ids
        assert finding["detail"] in section.text
        assert f"rtconform replay {folder / finding['case_file']} --target {url}" in section.text
        assert finding["case_file"] in {a["href"] for a in section.all("a")}
    assert "minimised stimulus" in section.text
    assert "masked=1" in section.text, "the stimulus frames are decoded"
    assert "HTTP/1.1 101 Switching Protocols" in section.text, "the transcript is decoded"
    assert section.all("details"), "hex views are there"
    assert (folder / "report.css").is_file()


@pytest.fixture(scope="module")
def ran(broken: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``rtconform run`` of two cases against the fuzzed server, into the same report folder, with an
    expectations file listing the failing one: (the folder, the expectations file)."""
    url, folder = broken
    expect = tmp_path_factory.mktemp("expect") / "broken.toml"
    expect.write_text(f'[cases]\n"{RSV1}" = "the broken server accepts rsv bits"\n')
    code = main(["run", "--target", url, "--case", RSV1, "--case", ECHO, "--expect", str(expect),
                 "--quiet", "--report-dir", str(folder.parent)])
    assert code == 0, "the listed failure is expected"
    return folder, expect


def test_run_and_refresh_keep_the_section_and_the_expectations(ran: tuple[Path, Path]) -> None:
    folder, expect = ran
    html = (folder / "index.html").read_text()
    assert RSV1 in scan(html).ids, "the conformance matrix is there"
    assert "expected failures" in scan(html).text
    first = json.loads((folder / "fuzz.json").read_text())["findings"][0]["id"]
    assert f"fuzz-1-{first}" in fuzzing(html).ids
    assert 'href="#fuzzing-1"' in html, "the summary card links to the section"
    assert previous_inputs(folder / "index.html") == (str(expect), "")

    err = io.StringIO()
    assert refresh(folder, err) == folder / "index.html"   # what `rtconform fuzz` does after a session
    again = (folder / "index.html").read_text()
    assert err.getvalue() == ""
    assert 'class="run-card conforms"' in again, "the expectations were applied again"
    assert f"fuzz-1-{first}" in fuzzing(again).ids
    assert RSV1 in scan(again).ids

    expect.unlink()
    assert refresh(folder, err) is not None
    moved = scan((folder / "index.html").read_text())
    assert "re-rendered by rtconform fuzz without the expectations file" in moved.text
    assert "could not be read" in err.getvalue()


def test_report_command_links_to_the_case_files_from_elsewhere(ran: tuple[Path, Path],
                                                               tmp_path: Path) -> None:
    folder, _ = ran
    out = tmp_path / "compare"
    assert main(["report", str(folder / "run.json"), "-o", str(out)]) == 0
    section = fuzzing((out / "index.html").read_text())
    hrefs = [str(a["href"]) for a in section.all("a") if "fuzz-cases" in str(a["href"])]
    assert hrefs
    assert all((out / href).resolve().is_file() for href in hrefs)


def hostile_folder(tmp_path: Path, entries: int = 3) -> Path:
    """A fuzz.json and case file full of markup, as a hostile target (or a hand edit) could make them."""
    cases = tmp_path / "fuzz-cases"
    cases.mkdir()
    payload = EVIL.encode()
    frame = bytes((0x81, 0x80 | len(payload))) + b"\0\0\0\0" + payload
    transcript = [{"t": 0.001, "dir": "note", "kind": "event", "text": f"fuzz group: {EVIL}"},
                  {"t": 0.002, "dir": "rx", "kind": "frame", "text": f"TEXT fin=1 masked=0 len=99999 {EVIL}",
                   "data": payload.hex(), "length": 99999}]
    transcript += [{"t": 0.003, "dir": "rx", "kind": "bytes", "data": "00", "length": 1}] * entries
    plan = {"violation": EVIL, "codes": [1002], "closes": False, "tolerated": None,
            "groups": [{"label": EVIL, "frames": [frame.hex(" ")], "echo": [False, payload.hex()],
                        "chop": 3}]}
    (cases / "f01.json").write_text(json.dumps({"format": "rtconform-fuzz-case/1", "id": EVIL, "seed": 1,
                                                "index": 0, "finding": {"kind": EVIL, "detail": EVIL},
                                                "plan": plan, "transcript": transcript}))
    findings = [{"id": EVIL, "kind": EVIL, "rule": EVIL, "detail": EVIL, "index": 0, "groups": 1,
                 "repeats": 2, "case_file": "fuzz-cases/f01.json", "transcript_file": "../../etc/passwd"},
                {"id": "f02", "kind": "hang", "rule": "x", "detail": "d", "case_file": "../outside.json"}]
    (tmp_path / "fuzz.json").write_text(json.dumps({
        "schema": "rtconform-fuzz/1", "target": f"ws://127.0.0.1:1/{EVIL}", "seed": EVIL, "duration": 1,
        "started": EVIL, "finished": "", "plans": 3, "violations": 2, "stopped": EVIL, "findings": findings}))
    return tmp_path


def test_hostile_finding_renders_as_text(tmp_path: Path) -> None:
    view = load_fuzz(hostile_folder(tmp_path))
    assert view is not None
    pages = (render([run(case(ECHO))], fuzz=[view])["index.html"], render_fuzz_only(view, "0")["index.html"])
    for html in pages:
        doc = scan(html)
        assert doc.problems() == []
        assert "<script>window.__pwned" not in html
        assert "<img src=x" not in html
        section = fuzzing(html)
        assert section.text.count(EVIL) >= 8, "id, kind, rule, detail, label, payloads, transcript, target"
        assert "text: “" + EVIL + "”" in section.text, "the stimulus payload is decoded, as text"
        assert "99999 bytes on the wire, the runner recorded the first" in section.text, "cuts are visible"
        assert "written in 3-byte TCP segments" in section.text
        assert "seen 2 times" in section.text
        assert "no usable case file (../outside.json)" in section.text
        hrefs = {str(a["href"]) for a in section.all("a")}
        assert hrefs == {"fuzz-cases/f01.json"}, "nothing outside the folder is linked"
        assert len({a["id"] for _, a in section.tags if a.get("id", "").startswith("fuzz-1-")}) == 2


def test_long_transcripts_and_broken_files_say_so(tmp_path: Path) -> None:
    view = load_fuzz(hostile_folder(tmp_path, entries=MAX_ENTRIES + 40))
    assert view is not None
    text = fuzzing(render_fuzz_only(view, "0")["index.html"]).text
    assert "42 more entries in the case file are not shown" in text
    (tmp_path / "fuzz.json").write_text("{not json")
    broken = load_fuzz(tmp_path)
    assert broken is not None
    assert "fuzz.json could not be read" in fuzzing(render_fuzz_only(broken, "0")["index.html"]).text
    assert load_fuzz(tmp_path / "fuzz-cases") is None, "no fuzz.json, no section"
    assert "fuzzing" not in render([run(case(ECHO))])["index.html"]
