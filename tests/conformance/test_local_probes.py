"""The resource probes for local targets: psutil (macOS, no /proc) gives the same RSS and CPU as /proc
for a real child process and the process it forks, and :func:`local_probe` picks /proc where it exists
and psutil elsewhere."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.resources import ProcProbe, PsutilProbe, local_probe
from conformance.targets import sampling

psutil = pytest.importorskip("psutil")

#: A shell-like parent that forks a child holding 48 MiB after burning 0.2 s of CPU (a --cmd target).
PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=sys.stdout)
child.wait()
"""
CHILD = """
import sys, time
block = bytearray(48 * 2**20)
for i in range(0, len(block), 4096):
    block[i] = 1
end = time.process_time() + 0.2
while time.process_time() < end:
    pass
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def family() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-c", PARENT, CHILD], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    yield proc
    _kill(proc)


def _kill(proc: subprocess.Popen[str]) -> None:
    try:
        top = psutil.Process(proc.pid)
        for p in [*top.children(recursive=True), top]:
            p.kill()
    except psutil.NoSuchProcess:
        pass
    proc.wait()


def test_psutil_probe_counts_the_process_and_what_it_forked(family: subprocess.Popen[str]) -> None:
    reading = PsutilProbe(family.pid)()
    assert reading is not None
    mem, cpu = reading
    assert 48 * 2**20 < mem < 250 * 2**20, "the child's 48 MiB are counted"
    assert cpu >= 0.2, "the child's CPU time is counted"
    proc = ProcProbe(family.pid)()  # the same processes through /proc (Linux): same order of magnitude
    if proc is not None:
        assert abs(proc[0] - mem) < 16 * 2**20
        assert abs(proc[1] - cpu) < 0.5


def test_psutil_probe_returns_none_once_the_processes_are_gone(family: subprocess.Popen[str]) -> None:
    _kill(family)
    assert PsutilProbe(family.pid)() is None


def test_local_probe_uses_proc_where_it_exists_else_psutil() -> None:
    found = local_probe(1, proc_root="/proc")
    if sys.platform == "linux":
        assert found is not None
        assert isinstance(found[0], ProcProbe)
        assert found[1] == "proc"
    missing = local_probe(1, proc_root="/nonexistent-proc")
    assert missing is not None
    probe, source, what = missing
    assert isinstance(probe, PsutilProbe)
    assert source == "psutil"
    assert "psutil" in what


def test_a_run_without_proc_samples_the_reference_servers_with_psutil(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_proc = functools.partial(local_probe, proc_root=str(tmp_path / "no"))
    monkeypatch.setattr(sampling, "local_probe", no_proc)
    assert main(["run", "--case", "ws/5.1", "-q", "--report-dir", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "reference" / "run.json").read_text(encoding="utf-8"))["target"]["resources"]
    assert res["source"] == "psutil"
    assert res["samples"]
    assert res["peak_mem_bytes"] > 10 * 2**20, "a Python server's RSS"
    assert res["probe_errors"] == 0
