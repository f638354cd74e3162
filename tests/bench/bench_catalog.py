"""Benchmark: the whole registered WebSocket catalog against the reference server, side by side with
Autobahn|Testsuite (groups 1-7, 9 and 10: the ids the catalog carries) against the same server when it is
installed.

    python tests/bench/bench_catalog.py [--repeat 3] [--jobs N] [--target ws://...] [--no-autobahn]

Prints the wall time, cases/s and the runner's own CPU seconds (this process; the target runs in its
own process), median of ``--repeat`` runs. Autobahn is found through $AB_HOME (default
$TMPDIR/autobahn27, see shared/tools/autobahn/README.md) and its ``run.sh``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from conformance.registry import load, suite  # noqa: E402
from conformance.runner import RunSettings, default_jobs, run_cases  # noqa: E402
from conformance.targets import TargetSpec, make_target  # noqa: E402
from conformance.wire.endpoint import Endpoint, parse_address  # noqa: E402

AUTOBAHN_GROUPS = '["1.*","2.*","3.*","4.*","5.*","6.*","7.*","9.*","10.*"]'


async def one_run(endpoint: Endpoint, jobs: int) -> tuple[float, float, Counter[str], int]:
    cases = load(("conformance.catalog.ws",)).select(strict=True)  # the WebSocket catalog only
    cpu0, t0 = time.process_time(), time.perf_counter()
    results, _ = await run_cases(cases, endpoint, RunSettings(jobs=jobs))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return wall, cpu, Counter(r.outcome.value for r in results), len(cases)


def autobahn_tools() -> Path | None:
    for candidate in (os.environ.get("AUTOBAHN_TOOLS"), ROOT.parent / "shared/tools/autobahn",
                      Path("/work/shared/tools/autobahn")):
        if candidate and (Path(candidate) / "run.sh").is_file():
            return Path(candidate)
    return None


def run_autobahn(url: str) -> str:
    tools = autobahn_tools()
    ab_home = Path(os.environ.get("AB_HOME", Path(tempfile.gettempdir()) / "autobahn27"))
    if tools is None or not (ab_home / "venv/bin/wstest").exists() or shutil.which("bash") is None:
        return "autobahn: not installed (see shared/tools/autobahn/README.md); skipped"
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run(["bash", str(tools / "run.sh"), url, out, AUTOBAHN_GROUPS],
                              capture_output=True, text=True, timeout=600, check=False,
                              env={**os.environ, "AB_HOME": str(ab_home), "AB_AGENT": "reference"})
        wall = time.perf_counter() - t0
    summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    return f"autobahn groups 1-7,9,10: wall {wall:.2f}s (exit {proc.returncode}): {summary}"


def target_spec(url: str | None) -> TargetSpec:
    """``url``, or the embedded WebSocket reference server."""
    ws = suite("ws")
    assert ws is not None
    return TargetSpec(address=parse_address(url) if url else None, suites=(ws,))


async def main(args: argparse.Namespace) -> None:
    target = make_target(target_spec(args.target))
    endpoint = Endpoint(await target.start())
    try:
        runs = [await one_run(endpoint, args.jobs) for _ in range(args.repeat)]
    finally:
        info = await target.stop()
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    counts, n = runs[-1][2], runs[-1][3]
    print(f"rtconform catalog: {n} cases against {info.url} ({info.kind}), jobs={args.jobs}, "
          f"median of {args.repeat}: wall {wall:.3f}s, {n / wall:.0f} cases/s, runner cpu {cpu:.3f}s")
    print("  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if args.autobahn:
        target = make_target(target_spec(args.target))
        endpoint = Endpoint(await target.start())
        try:
            line = await asyncio.to_thread(run_autobahn, endpoint.url)
        finally:
            await target.stop()
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--target", default=None, help="bench against this URL instead of the reference")
    parser.add_argument("--no-autobahn", dest="autobahn", action="store_false")
    asyncio.run(main(parser.parse_args()))
