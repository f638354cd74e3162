"""Where reports go: a run never silently replaces another (the earlier one moves to earlier/), --out
DIR is refused when it holds a report (unless --overwrite), ``rtconform report`` and ``rtconform fuzz``
say which run they use and never mix runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.cli.fuzz import _claim_fuzz_folder
from conformance.exitcodes import ExitCode
from conformance.reporting.folders import EARLIER, FolderInUse, claim, earlier_runs, rotate, run_info


def _cases(folder: Path) -> list[str]:
    return [c["id"] for c in json.loads((folder / "run.json").read_text(encoding="utf-8"))["cases"]]


def _fake_run(folder: Path, started_at: str, n: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"started_at": started_at, "target": {"name": folder.name},
           "cases": [{"id": f"c{i}"} for i in range(n)]}
    (folder / "run.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "cases").mkdir(exist_ok=True)
    (folder / "cases" / "x.html").write_text("x", encoding="utf-8")


def test_a_narrower_run_moves_the_full_run_aside_and_says_where(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    assert main(["run", "--case", "ws/5.1", "--report-dir", str(reports)]) == ExitCode.OK
    full = _cases(reports / "reference")
    capsys.readouterr()
    assert main(["run", "--case", "ws/5.1/unmasked-text", "--report-dir", str(reports)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert _cases(reports / "reference") == ["ws/5.1/unmasked-text"]
    (moved,) = earlier_runs(reports, "reference")
    assert _cases(moved) == full
    assert len(full) > 1
    assert f"the earlier run that was in {reports / 'reference'} is now in {moved}" in out
    assert (moved / "index.html").is_file()
    assert (moved / "cases").is_dir()


def test_rotate_keeps_the_newest_runs_and_only_moves_report_files(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    for second in range(5):
        _fake_run(folder, f"2026-12-02T07:34:0{second}Z")
        (folder / "mine.txt").write_text("not a report file", encoding="utf-8")
        assert rotate(folder, keep=3) is not None
    assert [p.name for p in earlier_runs(tmp_path, "t")] == [f"20261202T07340{s}Z" for s in (2, 3, 4)]
    assert (folder / "mine.txt").is_file()
    assert not (folder / "run.json").exists()
    assert rotate(folder) is None  # nothing left to move
    (folder / "fuzz.json").write_text("{}", encoding="utf-8")
    assert rotate(folder) is None, "a fuzz session without a run waits for the next run"
    assert (folder / "fuzz.json").is_file()
    _fake_run(folder, "2026-12-02T07:34:04Z")
    assert rotate(folder, keep=3) == tmp_path / EARLIER / "t" / "20261202T073404Z-2"  # same second


def test_out_dir_holding_a_report_is_refused_unless_overwrite(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine"
    _fake_run(out, "2026-12-02T07:00:00Z", n=7)
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["run", "--case", "ws/5.1/unmasked-text", "--out", str(out)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "already holds the run of mine started 2026-12-02T07:00:00Z (7 cases)" in err
    assert "--overwrite" in err
    assert _cases(out) == [f"c{i}" for i in range(7)]
    assert main(["run", "--case", "ws/5.1/unmasked-text", "--out", str(out), "--overwrite"]) == ExitCode.OK
    assert _cases(out) == ["ws/5.1/unmasked-text"]
    assert not (out / "cases" / "x.html").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / EARLIER).exists()
    assert main(["run", "--overwrite", "--case", "ws/5.1"]) == ExitCode.USAGE


def test_claim_takes_a_new_or_empty_folder_and_refuses_a_file(tmp_path: Path) -> None:
    claim(tmp_path / "new", overwrite=False)
    assert (tmp_path / "new").is_dir()
    (tmp_path / "f").write_text("", encoding="utf-8")
    with pytest.raises(FolderInUse, match="is a file"):
        claim(tmp_path / "f", overwrite=True)


def test_report_names_its_inputs_and_refuses_another_runs_folder(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    assert main(["run", "--case", "ws/5.1/unmasked-text", "--report-dir", str(reports), "-q"]) == 0
    other = tmp_path / "other"
    assert main(["run", "--case", "ws/5.1/unmasked-text", "--out", str(other), "-q"]) == 0
    capsys.readouterr()
    assert main(["report", str(reports / "reference"), "-o", str(other)]) == ExitCode.USAGE
    assert "holds the run of reference started" in capsys.readouterr().err
    both = [str(reports / "reference"), str(other / "run.json")]
    assert main(["report", *both, "-o", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    started = run_info(reports / "reference")
    assert started is not None
    assert f"from {reports / 'reference' / 'run.json'} (started {started.started_at}, 1 cases)" in out
    # re-rendering a run folder in place is fine: its run.json is one of the inputs
    assert main(["report", str(other), "-o", str(other)]) == 0


def test_a_fuzz_session_replaces_the_earlier_one_and_says_which_run_it_joins(tmp_path: Path) -> None:
    folder = tmp_path / "127.0.0.1_9001"
    assert _claim_fuzz_folder(folder).startswith(f"no conformance run in {folder}")
    _fake_run(folder, "2026-12-02T07:00:00Z", n=3)
    (folder / "fuzz-cases").mkdir()
    (folder / "fuzz-cases" / "f01-old.json").write_text("{}", encoding="utf-8")
    (folder / "fuzz.json").write_text("{}", encoding="utf-8")
    line = _claim_fuzz_folder(folder)
    assert line == (f"the session joins the report of the run of 127.0.0.1_9001 started 2026-12-02T07:00:00Z "
                    f"(3 cases) in {folder}; it replaces the earlier fuzz session there")
    assert not (folder / "fuzz.json").exists()
    assert not (folder / "fuzz-cases").exists()
    assert (folder / "run.json").is_file()
    assert os.listdir(folder / "cases") == ["x.html"]
