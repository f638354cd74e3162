"""Where a run's reports go, so that no run silently replaces or mixes with another.

Without ``--out``, ``rtconform run`` writes ``<report dir>/<target name>/``: that path always holds the
target's newest run (a stable link for a browser tab, a CI artifact, the README). A run found there
first is moved, whole, to ``<report dir>/earlier/<target name>/<its UTC start time>/`` (:func:`rotate`),
and the run says so; the newest :data:`KEEP` earlier runs per target are kept. So ``--case 6.4`` after a
full run leaves the full run readable, one folder away. Nothing is a symlink: it works on any file system.

``--out DIR`` is a folder the user names: a run writes there only if it holds no report (:func:`claim`),
or, with ``--overwrite``, after the earlier report's files are removed (never anything else in it).

    moved = rotate(Path("reports") / "reference")   # -> reports/earlier/reference/20261202T073400Z, or None
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EARLIER", "KEEP", "REPORT_FILES", "FolderInUse", "RunInfo", "claim", "earlier_runs", "rotate",
           "run_info"]

#: The folder (beside the targets' folders) that keeps earlier runs.
EARLIER = "earlier"
#: Earlier runs kept per target; older ones are deleted when a new one is moved there.
KEEP = 20
#: What a report folder holds: the files and folders a rotation moves and ``--overwrite`` removes.
REPORT_FILES = ("run.json", "transcripts.json.gz", "index.json", "junit.xml", "index.html", "report.css",
                "report.js", "cases", "fuzz.json", "fuzz-cases")
_STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})")
_RUN_NAME = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")


class FolderInUse(ValueError):
    """``--out DIR`` already holds a report (the message says what to do)."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a report folder's run.json says about its run (for "which run is this")."""

    folder: Path
    started_at: str
    cases: int
    target: str

    def describe(self) -> str:
        """``the run of reference started 2026-12-02T07:34:00Z (337 cases) in reports/reference``."""
        return f"the run of {self.target} started {self.started_at} ({self.cases} cases) in {self.folder}"


def run_info(folder: Path) -> RunInfo | None:
    """The run in ``folder`` (its run.json's start time, case count and target), or None when there is
    no readable run.json there."""
    try:
        doc = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        return RunInfo(folder, str(doc["started_at"]), len(doc["cases"]), str(doc["target"]["name"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _stamp(started_at: str) -> str:
    """``2026-12-02T07:34:00Z`` -> ``20261202T073400Z``; "" when it is not such a time."""
    m = _STAMP.match(started_at)
    return "{}{}{}T{}{}{}Z".format(*m.groups()) if m else ""


def earlier_runs(report_dir: Path, target: str) -> list[Path]:
    """The earlier runs of ``target`` kept under ``report_dir/earlier/``, oldest first."""
    home = report_dir / EARLIER / target
    if not home.is_dir():
        return []

    def key(p: Path) -> tuple[str, int]:
        stamp, _, n = p.name.partition("-")
        return stamp, int(n or 1)

    return sorted((p for p in home.iterdir() if p.is_dir() and _RUN_NAME.match(p.name)), key=key)


def rotate(folder: Path, keep: int = KEEP) -> Path | None:
    """Move the report in ``folder`` (``<report dir>/<target>``) to ``<report dir>/earlier/<target>/<start
    time>/`` so a new run can be written there; return where it went, or None when there was none.

    Only the report's own files (:data:`REPORT_FILES`) move, and only when a run.json is there: a fuzz
    session without a run (``rtconform fuzz`` first) stays, and the new run's report shows it. Runs
    beyond the newest ``keep`` are deleted.

    Raises:
        OSError: the files cannot be moved.
    """
    if not (folder / "run.json").exists():
        return None
    present = [name for name in REPORT_FILES if (folder / name).exists()]
    info = run_info(folder)
    stamp = _stamp(info.started_at) if info else ""
    if not stamp:  # an unreadable run.json: name it after the newest file's time
        newest = max((folder / name).stat().st_mtime for name in present)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(newest))
    home = folder.parent / EARLIER / folder.name
    home.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        dest = home / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            dest.mkdir()
        except FileExistsError:
            continue
        break
    else:
        raise OSError(f"too many runs named {stamp} in {home}")
    for name in present:
        shutil.move(str(folder / name), str(dest / name))
    for old in earlier_runs(folder.parent, folder.name)[:-keep] if keep > 0 else []:
        shutil.rmtree(old)
    return dest


def claim(folder: Path, *, overwrite: bool) -> None:
    """Make ``folder`` (``--out DIR``) ready for a new report.

    A new folder, or one without report files, is used as it is. One that holds a report (any of
    :data:`REPORT_FILES`) is refused, or, with ``overwrite``, emptied of those files only.

    Raises:
        FolderInUse: the folder holds a report and ``overwrite`` is false, or it is a file.
        OSError: the folder cannot be created or cleared.
    """
    if folder.exists() and not folder.is_dir():
        raise FolderInUse(f"--out {folder} is a file, not a folder")
    found = [name for name in REPORT_FILES if (folder / name).exists()]
    if found and not overwrite:
        info = run_info(folder)
        what = info.describe() if info else f"a report ({', '.join(found)})"
        raise FolderInUse(f"--out {folder} already holds {what}: pass --overwrite to replace it, or name "
                          "another folder (without --out, each run's folder keeps earlier runs under "
                          f"--report-dir/{EARLIER}/)")
    for name in found:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
