"""The report through the real runner: a hostile target's markup stays text; ``rtconform run`` writes
index.html; ``--expect`` and ``--baseline`` gate the exit code; ``rtconform report`` renders many runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.baseline import read_run
from conformance.cli import main
from conformance.reporting.htmlmodel import case_file
from conformance.results import RunResult
from conformance.review import Review

from .conftest import HERE, Ran, run_script
from .hostile_server import ATTR, REASON, SCRIPT
from .htmlscan import scan


def load(ran: Ran) -> RunResult:
    return read_run(ran.run_json)


def html_files(folder: Path) -> list[Path]:
    return [folder / "index.html", *sorted((folder / "cases").glob("*.html"))]


def test_hostile_target_markup_is_rendered_as_text(hostile: Ran) -> None:
    result = load(hostile)
    assert hostile.code == 1
    assert result.counts()["failed"] > 0
    assert SCRIPT in result.target.output, "the banner reached run.json"
    seen = ""
    for path in html_files(hostile.folder):
        doc = scan(path.read_text())
        assert doc.problems() == [], path.name
        seen += doc.text
    for needle in (SCRIPT, ATTR, REASON, f"Server: {SCRIPT}", f"X-Evil: {ATTR}", "hostile banner"):
        assert needle in seen, f"{needle!r} must be shown as text"
    raw = (hostile.folder / "index.html").read_text()
    assert "<script>window.__pwned" not in raw
    assert "&lt;script&gt;window.__pwned" in raw


def test_run_writes_index_html_beside_run_json(targets: dict[str, Ran], cases: tuple[str, ...]) -> None:
    ref = targets["reference"]
    assert ref.folder.name == "reference"
    assert "reports: " in ref.out
    assert "/index.html, run.json" in ref.out
    doc = scan((ref.folder / "index.html").read_text())
    ids = [c.id for c in load(ref).cases]
    assert len(ids) >= min(len(cases), 30)
    assert set(ids) <= doc.ids
    own = {c.id for c in load(ref).cases if c.outcome.value != "passed"}
    assert {p.name for p in (ref.folder / "cases").glob("*.html")} == {"passed.html", *map(case_file, own)}
    assert (ref.folder / "transcripts.json.gz").is_file()
    assert (ref.folder / "report.js").exists()
    assert (ref.folder / "report.css").exists()


def test_baseline_regression_fails_the_run_and_known_failures_do_not(
    hostile: Ran, targets: dict[str, Ran], cases: tuple[str, ...], tmp_path: Path
) -> None:
    against_reference = run_script(HERE / "hostile_server.py", tmp_path / "a", cases,
                                   baseline=targets["reference"].run_json)
    assert against_reference.code == 1
    assert "REGRESSION ws/" in against_reference.out
    assert "newly failing" in scan((against_reference.folder / "index.html").read_text()).text
    against_itself = run_script(HERE / "hostile_server.py", tmp_path / "b", cases, baseline=hostile.run_json)
    assert against_itself.code == 0, against_itself.out
    assert "verdict: conforms, with" in against_itself.out


def test_expectations_tolerate_listed_failures_strictly(hostile: Ran, cases: tuple[str, ...],
                                                        tmp_path: Path) -> None:
    failing = [c.id for c in load(hostile).failures()]
    lines = "".join(f'"{i}" = "the hostile server answers everything the same way"\n' for i in failing)
    (tmp_path / "all.toml").write_text("target = \"hostile\"\n[cases]\n" + lines)
    ok = run_script(HERE / "hostile_server.py", tmp_path / "a", cases, expect=tmp_path / "all.toml")
    assert ok.code == 0, ok.out
    assert f"{len(failing)} expected failures" in ok.out
    ref = run_script(None, tmp_path / "b", cases[:3], expect=tmp_path / "all.toml")
    assert ref.code == 1
    assert "now passing, remove it from the file" in ref.out


def test_expectations_with_an_unknown_case_id_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[cases]\n"ws/0/no-such-case" = "typo"\n')
    code = main(["run", "--expect", str(tmp_path / "bad.toml"), "--report-dir", str(tmp_path / "r")])
    assert code == 2
    assert not (tmp_path / "r").exists(), "nothing ran"


def test_report_command_renders_several_runs(targets: dict[str, Ran], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    runs = [str(targets[n].run_json) for n in ("reference", "websockets", "aiohttp")]
    out = tmp_path / "multi"
    argv = ["report", *runs, "-o", str(out), "-l", "reference", "-l", "websockets", "-l", "aiohttp"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    reference = Review(load(targets["reference"]))
    assert printed.splitlines()[0] == f"reference: {reference.verdict()}"
    html = (out / "index.html").read_text()
    assert html.count('class="run-col"') == 3
    assert main(["report", runs[0], "-o", str(out), "--check"]) == reference.exit_code
    assert main(["report", runs[0], "-o", str(out), "-l", "a", "-l", "b"]) == 2
    three_expects = ["--expect", "x", "--expect", "y", "--expect", "z"]
    assert main(["report", runs[0], runs[1], "-o", str(out), *three_expects]) == 2
    assert main(["report", str(tmp_path / "missing.json"), "-o", str(out)]) == 2
    assert "cannot read run" in capsys.readouterr().err


def test_report_check_exits_1_for_a_failing_run(hostile: Ran, tmp_path: Path) -> None:
    assert main(["report", str(hostile.run_json), "-o", str(tmp_path / "r")]) == 0
    assert main(["report", str(hostile.run_json), "-o", str(tmp_path / "r"), "--check"]) == 1
    assert main(["report", str(hostile.run_json), "-o", str(tmp_path / "r"), "--check",
                 "--baseline", str(hostile.run_json)]) == 0
