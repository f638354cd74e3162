"""Run ``rtconform run`` against one hostile target in a subprocess and measure it: peak RSS (the child's
own ``VmHWM``, read while it runs), wall time, exit code, stdout and the report folder's size.

Not ``ru_maxrss`` from ``os.wait4``: Linux carries a forked child's high-water mark across ``exec``, so a
child of a test process that once grew to 285 MiB reports at least 285 MiB, whatever it used itself.
``VmHWM`` belongs to the process's address space, which ``exec`` replaces.

    python -m tests.hostile.harness endless-frames ws     # prints the measurement
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SERVERS = HERE / "servers.py"

#: The options every hostile run uses (explicit, so the bounds do not depend on the defaults).
JOBS = 16
TIMEOUT = 2.0
CLOSE_TIMEOUT = 1.0
RUN_TIMEOUT = 40.0


@dataclass(frozen=True)
class Measured:
    """One finished run against a hostile target."""

    mode: str
    code: int
    seconds: float
    peak_rss: int
    stdout: bytes
    stderr: bytes
    folder: Path

    @property
    def report_bytes(self) -> int:
        """The report folder's size in bytes (0 if none was written)."""
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())

    def line(self) -> str:
        return (f"{self.mode:18} rss {self.peak_rss / 2**20:6.1f} MiB  {self.seconds:5.1f} s  "
                f"report {self.report_bytes / 2**20:6.2f} MiB  exit {self.code}")


class Server:
    """A hostile server (``servers.py MODE``) in a subprocess, for a ``with`` block."""

    def __init__(self, mode: str, lifetime: float = 120.0) -> None:
        self.mode = mode
        self.proc = subprocess.Popen([sys.executable, str(SERVERS), mode, "--lifetime", str(lifetime)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"hostile server {mode} did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def run_against(mode: str, scheme: str, suite: str, cases: list[str], report_dir: Path,
                limit: float = RUN_TIMEOUT + 40, strict: bool = False) -> Measured:
    """Start the ``mode`` server, run ``rtconform run`` on it (``cases`` selectors, or the whole
    ``suite``), measure. The run is killed after ``limit`` seconds (then ``code`` is -9)."""
    with Server(mode) as server:
        argv = [sys.executable, "-m", "conformance", "run", "--target", f"{scheme}://127.0.0.1:{server.port}/",
                "--suite", suite, "--jobs", str(JOBS), "--timeout", str(TIMEOUT),
                "--close-timeout", str(CLOSE_TIMEOUT), "--run-timeout", str(RUN_TIMEOUT),
                "--report-dir", str(report_dir)]
        for case in cases:
            argv += ["--case", case]
        if strict:
            argv.append("--strict")
        out, err = report_dir / "stdout.bin", report_dir / "stderr.bin"
        report_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm"}
        with out.open("wb") as fo, err.open("wb") as fe:
            start = time.monotonic()
            proc = subprocess.Popen(argv, stdout=fo, stderr=fe, cwd=REPO, env=env)
            killer = threading.Timer(limit, proc.kill)
            killer.start()
            peak = 0
            try:
                while proc.poll() is None:
                    peak = max(peak, _high_water(proc.pid))
                    time.sleep(0.02)
            finally:
                killer.cancel()
            seconds = time.monotonic() - start
    folders = [p for p in report_dir.iterdir() if p.is_dir()]
    folder = folders[0] if folders else report_dir / "none"
    return Measured(mode, proc.returncode, seconds, peak, out.read_bytes(), err.read_bytes(), folder)


def _high_water(pid: int) -> int:
    """The peak resident set size of process ``pid`` so far, in bytes (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


if __name__ == "__main__":
    import tempfile

    mode, suite = sys.argv[1], sys.argv[2]
    scheme = "ws" if suite == "ws" else "http"
    with tempfile.TemporaryDirectory() as tmp:
        m = run_against(mode, scheme, suite, sys.argv[3:], Path(tmp), strict=bool(os.environ.get("STRICT")))
        print(m.line())
        print(m.stdout.decode("utf-8", "replace")[-3000:])
        print(m.stderr.decode("utf-8", "replace")[-2000:])
        for p in sorted(m.folder.rglob("*")):
            if p.is_file() and p.stat().st_size > 200_000:
                print(f"  {p.relative_to(m.folder)} {p.stat().st_size / 2**20:.2f} MiB")
