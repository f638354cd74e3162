"""The report folder of a whole reference run stays small enough to keep as a CI artifact.

Measured on the reference run with ``--strict`` (337 cases): before transcripts moved out of run.json and
the passing cases shared one page, 6.5 MiB in 345 files (run.json 1.6 MiB, 337 case pages 4.6 MiB);
after, 2.8 MiB in 14 files (run.json 0.38 MiB, transcripts.json.gz 64 KiB, cases/passed.html 1.9 MiB).
The budgets below leave room for the catalog to grow; docs/reports.md states them. With Autobahn 9.x,
12.x/13.x (permessage-deflate echoes of incompressible payload heads), the lifecycle and the Engine.IO
cases the strict reference run has 677 cases: 9.2 MiB with 60 + 20 transcript entries per passed case on
cases/passed.html (5.4 MiB of it), transcripts.json.gz 1.8 MiB; the page now shows 40 + 10.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.exitcodes import ExitCode

#: Bytes per case for the whole folder (measured 8.5 KiB at 337 cases, 13.6 KiB at 677).
FOLDER_PER_CASE = 16 * 1024
#: Bytes per case for run.json without transcripts (measured 1.2 KiB).
RUN_JSON_PER_CASE = 2 * 1024
#: Bytes per case for transcripts.json.gz (measured 0.2 KiB at 337 cases, 2.7 KiB at 677: the compressed
#: echoes' payloads do not compress again).
TRANSCRIPTS_PER_CASE = 4 * 1024


@pytest.mark.slow
def test_a_reference_run_fits_the_size_budget(tmp_path: Path) -> None:
    assert main(["run", "--strict", "-q", "--report-dir", str(tmp_path)]) == ExitCode.OK
    folder = tmp_path / "reference"
    doc = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    n = len(doc["cases"])
    assert n > 300, "the whole catalog ran"
    files = [p for p in folder.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    assert size <= FOLDER_PER_CASE * n, f"{size} bytes for {n} cases"
    assert (folder / "run.json").stat().st_size <= RUN_JSON_PER_CASE * n
    assert (folder / "transcripts.json.gz").stat().st_size <= TRANSCRIPTS_PER_CASE * n
    not_passed = [c["id"] for c in doc["cases"] if c["outcome"] != "passed"]
    pages = sorted(p.name for p in (folder / "cases").iterdir())
    assert len(pages) == len(not_passed) + 1, "a page per case that did not pass, and cases/passed.html"
    assert len(files) == 7 + len(pages)
    # every transcript is kept, once: in the compressed file, none in run.json
    with gzip.open(folder / "transcripts.json.gz", "rt", encoding="utf-8") as f:
        transcripts = json.load(f)["cases"]
    assert set(transcripts) == {c["id"] for c in doc["cases"]}
    assert all(transcripts.values())
    assert not any("transcript" in c for c in doc["cases"])
