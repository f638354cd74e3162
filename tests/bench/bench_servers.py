"""Reference servers against their peers, in one run, measured by independent compiled load clients.

Run: ``python tests/bench/bench_servers.py [--rounds 1] [--window 3] [--sse-clients 1000]``, or
``tox -e bench``. Not collected by pytest.

* WebSocket echo, 64 connections, one message in flight on each, 32 B text and 64 KiB binary: the reference
  server (``python -m reference.servers ws``, on uvloop when installed, and on asyncio's loop), websockets,
  aiohttp, picows (tests/bench/peers.py) and npm ws (tests/bench/ws_echo_server.js, on the npm packages
  of tests/js). Load client: tests/bench/ws_load.py, picows on uvloop (compiled framing, ~5 us of CPU per
  small echo here), the same process for every server.
* SSE fan-out to 1,000 subscribers, one producer, batches of 16 events: the reference ``SseServer``,
  sse-starlette + uvicorn, aiohttp-sse, plain Node http (tests/bench/peers.py, sse_server.js). Load
  client: tests/bench/sse_load.js (Node http).

Each cell is a fresh server process; servers alternate within each round; the median over rounds is kept.
The number compared is **messages (events) per server CPU-second**: the count over the window divided by
the server process's user+system CPU time over exactly that window (``/proc/<pid>/stat`` read when the
client prints WINDOW_START and WINDOW_END). It moves far less than raw msg/s on a shared machine. Next to it:
the server's and the client's CPU share (100% = one core). A row where the client used at least 85% of a
core and more than the server is flagged CLIENT-BOUND: the client, not the server, set the rate, so that
row's msg/s is a lower bound (its per-CPU figure still holds). A peer that cannot start (package or node
missing) is reported as such and left out of the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
READY = re.compile(r"(?:READY |listening on ws://127\.0\.0\.1:)(\d+)")
NODE = shutil.which("node")
NODE_MODULES = REPO / "tests" / "js" / "node_modules"
PY = sys.executable
CLIENT_BOUND_SHARE = 0.85

ECHO_SERVERS = {
    "reference": [PY, "-m", "reference.servers", "ws", "--port", "0", "--loop", "auto"],
    "reference (asyncio loop)": [PY, "-m", "reference.servers", "ws", "--port", "0", "--loop", "asyncio"],
    "websockets": [PY, str(HERE / "peers.py"), "websockets"],
    "aiohttp": [PY, str(HERE / "peers.py"), "aiohttp"],
    "picows": [PY, str(HERE / "peers.py"), "picows"],
    "npm ws": [NODE or "node", str(HERE / "ws_echo_server.js"), "0"],
}
SSE_SERVERS = {
    "reference": [PY, str(HERE / "peers.py"), "sse-reference"],
    "sse-starlette": [PY, str(HERE / "peers.py"), "sse-starlette"],
    "aiohttp-sse": [PY, str(HERE / "peers.py"), "aiohttp-sse"],
    "node http": [NODE or "node", str(HERE / "sse_server.js"), "0"],
}
ECHO_PEERS = ("websockets", "aiohttp", "npm ws", "picows")
SSE_PEERS = ("sse-starlette", "aiohttp-sse", "node http")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (fields 14 and 15 of /proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@dataclass(frozen=True)
class Sample:
    count: int
    seconds: float
    server_cpu: float
    client_cpu: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def per_cpu(self) -> float:
        return self.count / self.server_cpu if self.server_cpu else float("nan")

    @property
    def client_bound(self) -> bool:
        client, server = self.client_cpu / self.seconds, self.server_cpu / self.seconds
        return client >= CLIENT_BOUND_SHARE and client > server


def _env() -> dict[str, str]:
    paths = [str(REPO), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in paths if path))
    env["NODE_PATH"] = str(NODE_MODULES)
    return env


def measure(server_argv: list[str], client_argv: list[str], timeout: float) -> Sample:
    """Start the server, run the client against its port, read the server's CPU over the client's window."""
    env = _env()
    server = subprocess.Popen(server_argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 30
        port = None
        while port is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                raise RuntimeError(f"server exited: {server.wait(5)}")
            match = READY.search(line)
            port = None if match is None else match[1]
        if port is None:
            raise RuntimeError("server did not start within 30 s")
        client = subprocess.Popen([*client_argv[:2], port, *client_argv[2:]], cwd=REPO, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert client.stdout is not None
            marks: dict[str, float] = {}
            result = None
            end = time.monotonic() + timeout
            for line in client.stdout:
                word = line.strip()
                if word in ("WINDOW_START", "WINDOW_END"):
                    marks[word] = cpu_seconds(server.pid)
                elif word.startswith("{"):
                    result = json.loads(word)
                if time.monotonic() > end:
                    raise RuntimeError("load client timed out")
            client.wait(10)
            if result is None or len(marks) != 2:
                error = client.stderr.read()[-300:] if client.stderr else ""
                raise RuntimeError(f"load client failed: {error}")
            if result.get("bad"):
                raise RuntimeError(f"{result['bad']} wrong echoes")
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        return Sample(int(result.get("messages", result.get("events", 0))), float(result["seconds"]),
                      marks["WINDOW_END"] - marks["WINDOW_START"], float(result["cpu_seconds"]))
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_cells(servers: dict[str, list[str]], client: list[str], rounds: int, timeout: float
              ) -> dict[str, list[Sample] | str]:
    cells: dict[str, list[Sample] | str] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, argv in servers.items():
            samples = cells[name]
            if isinstance(samples, str):
                continue  # failed before: not retried
            try:
                samples.append(measure(argv, client, timeout))
            except (OSError, RuntimeError) as exc:
                cells[name] = f"not measured: {exc}"
    return cells


def table(title: str, unit: str, cells: dict[str, list[Sample] | str], peers: tuple[str, ...]) -> None:
    print(f"\n{title}")
    print(f"| server | {unit}/s | server CPU | client CPU | {unit} per server CPU-s | reference vs it "
          "| note |")
    print("|---|---:|---:|---:|---:|---:|---|")
    ours = cells.get("reference")
    our_per_cpu = statistics.median(s.per_cpu for s in ours) if isinstance(ours, list) and ours else None
    for name, samples in cells.items():
        if isinstance(samples, str) or not samples:
            print(f"| {name} | | | | | | {samples or 'no sample'} |")
            continue
        per_cpu = statistics.median(s.per_cpu for s in samples)
        rate = statistics.median(s.rate for s in samples)
        server = statistics.median(s.server_cpu / s.seconds for s in samples)
        client = statistics.median(s.client_cpu / s.seconds for s in samples)
        ratio = f"{our_per_cpu / per_cpu:.2f}x" if our_per_cpu and name != "reference" else ""
        flag = "CLIENT-BOUND: msg/s is a lower bound" if any(s.client_bound for s in samples) else ""
        if name == "reference" or name.startswith("reference "):
            flag = (flag + " " if flag else "") + "(ours)"
        print(f"| {name} | {rate:,.0f} | {server:.0%} | {client:.0%} | {per_cpu:,.0f} | {ratio} | {flag} |")
    if our_per_cpu:
        summary = []
        for peer in peers:
            samples = cells.get(peer)
            if isinstance(samples, list) and samples:
                summary.append(f"{our_per_cpu / statistics.median(s.per_cpu for s in samples):.2f}x {peer}")
        print(f"reference, per server CPU-second: {', '.join(summary)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="runs per cell; the median is kept")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--conns", type=int, default=64)
    parser.add_argument("--sse-clients", type=int, default=1000)
    parser.add_argument("--only", choices=("echo", "sse"), help="one part only")
    args = parser.parse_args()
    if args.rounds < 1 or args.window <= 0 or args.warmup < 0 or args.conns < 1 or args.sse_clients < 1:
        parser.error("--rounds, --conns, --sse-clients must be >= 1, --window > 0, --warmup >= 0")
    timing = ["--warmup", str(args.warmup), "--window", str(args.window)]
    timeout = args.warmup + args.window + 90
    load = os.getloadavg()[0]
    print(f"python {platform.python_version()}, node {_node_version()}, {os.cpu_count()} CPUs, load average "
          f"{load:.1f} at start (a loaded machine moves msg/s; per-CPU figures much less); "
          f"{args.rounds} round(s) x {args.window:g} s per cell")
    from reference.core.ws.speedups import FRAME_PATH

    print(f"reference ws frame path: {FRAME_PATH}")
    if args.only in (None, "echo"):
        for size, kind in ((32, "text"), (65536, "binary")):
            client = [PY, str(HERE / "ws_load.py"), "--conns", str(args.conns), "--size", str(size),
                      "--type", kind, *timing]
            cells = run_cells(ECHO_SERVERS, client, args.rounds, timeout)
            label = f"{size} B" if size < 1024 else f"{size // 1024} KiB"
            table(f"WebSocket echo, {args.conns} connections x {label} {kind} (load client: picows + uvloop)",
                  "msg", cells, ECHO_PEERS)
    if args.only in (None, "sse"):
        client = [NODE or "node", str(HERE / "sse_load.js"), str(args.sse_clients),
                  str(args.warmup), str(args.window)]
        cells = run_cells(SSE_SERVERS, client, args.rounds, timeout)
        table(f"SSE fan-out to {args.sse_clients} subscribers, batches of 16 events (load client: Node http)",
              "events", cells, SSE_PEERS)


def _node_version() -> str:
    if NODE is None:
        return "absent"
    return subprocess.run([NODE, "--version"], capture_output=True, text=True, check=False).stdout.strip()


if __name__ == "__main__":
    main()
