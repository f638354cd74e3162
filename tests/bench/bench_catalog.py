"""Benchmark: ``rtconform run`` over the cases of Autobahn's groups 1-7 and 10, side by side with
Autobahn|Testsuite's groups 1-7 and 10 on the same server instance, as a ratio per server.

    python tests/bench/bench_catalog.py [--servers reference,websockets,ws,aiohttp,tornado,uvicorn]
                                        [--repeat 3] [--target ws://...] [--no-autobahn]
                                        [--before TREE] [--keep DIR]

For each server (started here, one at a time, bound to 127.0.0.1 on a free port): the rtconform CLI as a
user runs it (``python -m conformance run --target URL --case 1.* ... --case 10.* --strict --out DIR``:
start-up, the cases, the reports), one warm-up run and then the median wall time of ``--repeat`` runs;
then Autobahn's fuzzingclient over the same groups once, against the same server process, through
``shared/tools/autobahn/run.sh`` (found through $AB_HOME, default $TMPDIR/autobahn27; without its wstest
the Autobahn columns say skipped). ``ratio`` is Autobahn's wall time divided by rtconform's; ``agree``
counts the Autobahn cases whose verdict (``behavior``) is the one rtconform's Autobahn-format index.json
gives. ``runner`` is the time the cases themselves took (run.json ``duration_s``), the rest of the wall
time being start-up and reports. ``--before TREE`` also times another source tree of rtconform (e.g. an
older commit unpacked with ``git archive``) on the same server, the two taking turns, and compares their
verdicts (outcome, behaviour, close) case by case. The machine's load moves every number: the ratios are
measured within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from target_servers import (  # noqa: E402
    TargetUnavailable,
    aiohttp_server,
    node_ws_server,
    reference_server,
    spawn_server,
    websockets_server,
)

GROUPS = ("1", "2", "3", "4", "5", "6", "7", "10")
AUTOBAHN_CASES = ",".join(f"{g}.*" for g in GROUPS)
#: the fields of a run.json case that make its verdict (the close code the target sent is an observation:
#: 7.1.6, informational, sees a close frame or a reset depending on the moment)
VERDICT_FIELDS = ("outcome", "behavior", "close", "autobahn_behavior")


def _peer(kind: str) -> contextlib.AbstractContextManager[tuple[str, int]]:
    if kind == "tornado" or kind == "uvicorn":
        return spawn_server([sys.executable, str(Path(__file__).with_name("catalog_peers.py")), kind])
    raise ValueError(kind)


SERVERS: dict[str, Callable[[], contextlib.AbstractContextManager[tuple[str, int]]]] = {
    "reference": reference_server,
    "websockets": websockets_server,
    "ws": node_ws_server,
    "aiohttp": aiohttp_server,
    "tornado": lambda: _peer("tornado"),
    "uvicorn": lambda: _peer("uvicorn"),
}


@dataclass
class Timed:
    """rtconform's runs against one server."""

    walls: list[float]
    runner_s: float
    verdicts: dict[str, dict[str, Any]]
    index: dict[str, str]

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)


def _argv(url: str, out: Path) -> list[str]:
    argv = [sys.executable, "-m", "conformance", "run", "--target", url, "--strict", "-q",
            "--out", str(out), "--overwrite"]
    for group in GROUPS:
        argv += ["--case", f"{group}.*"]
    return argv


def timed_run(tree: Path, url: str, out: Path) -> float:
    """The wall time of one CLI run of the Autobahn-group cases against ``url``, rtconform from ``tree``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed: with .pyc
    env["PYTHONPATH"] = str(tree)
    t0 = time.perf_counter()
    proc = subprocess.run(_argv(url, out), cwd=tree, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"rtconform exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return wall


def read_run(walls: list[float], out: Path) -> Timed:
    """The timings and the verdicts of the last run written to ``out``."""
    run = json.loads((out / "run.json").read_text())
    index = json.loads((out / "index.json").read_text())
    (agent,) = index
    return Timed(walls, float(run["duration_s"]),
                 {c["id"]: {f: c.get(f) for f in VERDICT_FIELDS} for c in run["cases"]},
                 {k: v["behavior"] for k, v in index[agent].items()})


def run_rtconform(trees: dict[str, Path], url: str, work: Path, repeat: int) -> dict[str, Timed]:
    """``repeat`` timed runs per tree after one warm-up run each, the trees taking turns (so that a change
    in the machine's load falls on all of them)."""
    walls: dict[str, list[float]] = {name: [] for name in trees}
    for i in range(repeat + 1):
        for name, tree in trees.items():
            wall = timed_run(tree, url, work / name)
            if i:
                walls[name].append(wall)
    return {name: read_run(walls[name], work / name) for name in trees}


def autobahn_tools() -> Path | None:
    for candidate in (os.environ.get("AUTOBAHN_TOOLS"), ROOT.parent / "shared/tools/autobahn",
                      Path("/work/shared/tools/autobahn")):
        if candidate and (Path(candidate) / "run.sh").is_file():
            return Path(candidate)
    return None


def ab_home() -> Path:
    return Path(os.environ.get("AB_HOME", Path(tempfile.gettempdir()) / "autobahn27"))


def autobahn_missing() -> str:
    """Why Autobahn cannot run here ("" when it can)."""
    if autobahn_tools() is None:
        return "shared/tools/autobahn/run.sh not found"
    if not (ab_home() / "venv/bin/wstest").exists():
        return f"no wstest under AB_HOME={ab_home()} (shared/tools/autobahn/setup.sh)"
    if shutil.which("bash") is None:
        return "no bash"
    return ""


def run_autobahn(url: str, out: Path) -> tuple[float, dict[str, str]]:
    """Autobahn's wall time over the groups against ``url`` and its verdict per case id."""
    tools = autobahn_tools()
    assert tools is not None
    t0 = time.perf_counter()
    proc = subprocess.run(["bash", str(tools / "run.sh"), url, str(out), AUTOBAHN_CASES],
                          capture_output=True, text=True, timeout=900, check=False,
                          env={**os.environ, "AB_HOME": str(ab_home()), "AB_AGENT": "target"})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"autobahn exited {proc.returncode}: {proc.stdout.strip()[-300:]}")
    index = json.loads((out / "index.json").read_text())
    return wall, {k: v["behavior"] for k, v in index["target"].items()}


@contextlib.contextmanager
def external(url: str) -> Iterator[str]:
    yield url


def bench_one(name: str, server: contextlib.AbstractContextManager[Any], args: argparse.Namespace,
              work: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"server": name}
    with server as where:
        url = where if isinstance(where, str) else f"ws://{where[0]}:{where[1]}"
        trees = {f"{name}-rtconform": ROOT, **({f"{name}-before": Path(args.before)} if args.before else {})}
        timed = run_rtconform(trees, url, work, args.repeat)
        now = timed[f"{name}-rtconform"]
        row.update(wall=now.wall, walls=now.walls, runner=now.runner_s, cases=len(now.verdicts))
        if args.before:
            before = timed[f"{name}-before"]
            changed = sorted(k for k in now.verdicts.keys() | before.verdicts.keys()
                             if now.verdicts.get(k) != before.verdicts.get(k))
            row.update(before=before.wall, before_runner=before.runner_s, changed=changed)
        if args.autobahn and not autobahn_missing():
            ab_wall, ab = run_autobahn(url, work / f"{name}-autobahn")
            row.update(autobahn=ab_wall, ab_cases=len(ab),
                       agree=sum(1 for k, v in ab.items() if now.index.get(k) == v),
                       disagree=sorted(k for k, v in ab.items() if now.index.get(k) != v))
    return row


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"rtconform run --strict --case {{{','.join(GROUPS)}}}.* vs Autobahn groups 1-7,10, same server "
          f"instance; rtconform median of {args.repeat} after a warm-up run"
          + (", taking turns with --before" if args.before else ""))
    head = ["server", "cases", "autobahn s", "rtconform s", "runner s"]
    if args.before:
        head += ["before s", "verdicts changed"]
    head += ["ratio", "agree"]
    print(" | ".join(head))
    for r in rows:
        if "error" in r:
            print(f"{r['server']} | {r['error']}")
            continue
        cells = [r["server"], str(r["cases"]), f"{r['autobahn']:.2f}" if "autobahn" in r else "skipped",
                 f"{r['wall']:.2f}", f"{r['runner']:.2f}"]
        if args.before:
            cells += [f"{r['before']:.2f}", str(len(r["changed"]))]
        if "autobahn" in r:
            cells += [f"{r['autobahn'] / r['wall']:.1f}x", f"{r['agree']}/{r['ab_cases']}"]
        else:
            cells += ["-", "-"]
        print(" | ".join(cells))
    for r in rows:
        if r.get("disagree"):
            print(f"  {r['server']}: verdicts differing from Autobahn: {', '.join(r['disagree'])}")
        if r.get("changed"):
            print(f"  {r['server']}: verdicts changed against --before: {', '.join(r['changed'])}")
    if args.autobahn and (why := autobahn_missing()):
        print(f"autobahn: skipped ({why})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default=",".join(SERVERS),
                        help=f"comma-separated, of {', '.join(SERVERS)} (default: all)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", default=None, help="bench against this running server instead")
    parser.add_argument("--no-autobahn", dest="autobahn", action="store_false")
    parser.add_argument("--before", default=None, metavar="TREE",
                        help="also time this rtconform source tree and compare its verdicts")
    parser.add_argument("--keep", default=None, metavar="DIR", help="keep the reports in DIR")
    parser.add_argument("--json", default=None, metavar="FILE", help="write the rows as JSON")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    names = [args.target] if args.target else [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [n for n in names if n not in SERVERS and not args.target]
    if unknown:
        parser.error(f"unknown server(s): {', '.join(unknown)}")
    rows = []
    with contextlib.ExitStack() as stack:
        work = Path(args.keep) if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work.mkdir(parents=True, exist_ok=True)
        for name in names:
            try:
                server = external(name) if args.target else SERVERS[name]()
                rows.append(bench_one("target" if args.target else name, server, args, work))
            except (TargetUnavailable, RuntimeError, subprocess.TimeoutExpired) as exc:
                rows.append({"server": name, "error": f"skipped: {exc}"})
            print(f"... {name} done", file=sys.stderr, flush=True)
    print_table(rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
