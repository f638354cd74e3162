"""Resource sampling from /proc (no engine needed): a real process's memory and CPU, the sampler's
bounds, and samples in run.json for the embedded reference server and a --cmd target."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import resources
from conformance.resources import ProcProbe, Sampler

HOG = """
import sys, time
block = bytearray(64 * 2**20)
for i in range(0, len(block), 4096):
    block[i] = 1          # touch every page: resident, not just reserved
end = time.process_time() + 0.2
while time.process_time() < end:
    pass
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def hog() -> Iterator[subprocess.Popen[str]]:
    """A process in its own session holding 64 MiB and having burnt 0.2 s of CPU; ends when stdin closes."""
    proc = subprocess.Popen([sys.executable, "-c", HOG], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_proc_probe_reads_rss_and_cpu_of_the_session(hog: subprocess.Popen[str]) -> None:
    reading = ProcProbe(hog.pid)()
    assert reading is not None
    mem, cpu = reading
    assert 64 * 2**20 < mem < 200 * 2**20
    assert cpu >= 0.2
    assert ProcProbe(os.getsid(0))() != reading  # another session: another sum
    hog.kill()
    hog.wait()
    assert ProcProbe(hog.pid)() is None  # the session is gone


def test_sampler_samples_until_stopped_then_once_more(hog: subprocess.Popen[str]) -> None:
    async def sample() -> Sampler:
        sampler = Sampler(ProcProbe(hog.pid), "proc", "hog", interval=0.02)
        sampler.start()
        await asyncio.sleep(0.2)
        await sampler.stop()
        return sampler

    usage = asyncio.run(sample()).usage()
    samples = usage["samples"]
    assert 4 <= len(samples) <= 13
    assert [s["t"] for s in samples] == sorted(s["t"] for s in samples)
    assert usage["peak_mem_bytes"] > 64 * 2**20
    assert usage["source"] == "proc"
    assert usage["probe_errors"] == 0


def test_sampler_is_bounded_and_survives_probe_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "MAX_SAMPLES", 8)
    calls = iter(range(10_000))

    def probe() -> tuple[int, float]:
        n = next(calls)
        if n % 5 == 4:
            raise OSError(f"probe failure {n}")
        return n, n / 10

    async def sample() -> Sampler:
        sampler = Sampler(probe, "test", "a counter", interval=0.001)
        sampler.start()
        await asyncio.sleep(0.3)
        await sampler.stop()
        return sampler

    sampler = asyncio.run(sample())
    assert len(sampler.samples) <= 8
    assert sampler.interval > 0.001  # doubled each time the samples were halved
    assert sampler.errors > 0
    assert sampler.usage()["interval_s"] == 0.001


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("kind", ["reference", "command"])
def test_started_targets_have_samples_in_run_json(kind: str, tmp_path: Path) -> None:
    args = ["--case", "ws/5.1"]
    if kind == "command":
        port = _free_port()
        server = f"{sys.executable} -m reference.servers ws --port {port}"
        args += ["--cmd", f"sleep 0.1; {server}", "--target", f"ws://127.0.0.1:{port}/"]
    env = {k: v for k, v in os.environ.items() if k not in ("TARGET", "RTCONFORM_DOCKER_IMAGE")}
    run = subprocess.run([sys.executable, "-m", "conformance", "run", *args, "--report-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60, env=env, check=False)
    assert run.returncode == 0, run.stderr
    (folder,) = tmp_path.iterdir()
    target = json.loads((folder / "run.json").read_text())["target"]
    assert target["kind"] == kind
    res = target["resources"]
    assert res["source"] == "proc"
    assert len(res["samples"]) >= 2
    # A Python server: more than 5 MiB resident. With --cmd the shell counts too (same session).
    assert all(s["mem_bytes"] > 5 * 2**20 for s in res["samples"])
    assert res["samples"][-1]["cpu_s"] > 0


def test_container_stats_cgroup_v1_and_v2_shapes() -> None:
    from conformance.targets.docker import _api_at_least, _mem_cpu

    cpu = {"cpu_usage": {"total_usage": 2_500_000_000}}
    v1 = {"memory_stats": {"usage": 50_000_000, "stats": {"total_inactive_file": 8_000_000}},
          "cpu_stats": cpu}
    v2 = {"memory_stats": {"usage": 50_000_000, "stats": {"inactive_file": 1_000_000}}, "cpu_stats": cpu}
    assert _mem_cpu(v1) == (42_000_000, 2.5)
    assert _mem_cpu(v2) == (49_000_000, 2.5)
    # What the engine answers for a container that has stopped: no reading, sampling ends.
    assert _mem_cpu({"memory_stats": {}, "cpu_stats": {"cpu_usage": {"total_usage": 0}}}) is None
    assert _api_at_least("1.41", (1, 41))
    assert _api_at_least("1.47", (1, 41))
    assert not _api_at_least("1.40", (1, 41))
    assert not _api_at_least("", (1, 41))


def test_curve_reads_the_memory_probe_of_the_case() -> None:
    readings = iter([10 * 2**20, 12 * 2**20] + [11 * 2**20] * 100)

    async def main() -> tuple[resources.Curve, resources.Curve]:
        async with resources.Curve(None) as unsampled:
            await asyncio.sleep(0.05)
        async with resources.Curve(lambda: next(readings), interval=0.01) as curve:
            await asyncio.sleep(0.05)
        return unsampled, curve

    unsampled, curve = asyncio.run(main())
    assert not unsampled.available
    assert "not sampled" in str(unsampled)
    assert unsampled.measurements() == ()
    assert curve.available
    assert curve.growth == 2 * 2**20
    assert str(curve).startswith("target memory 10.0 -> 11.0 MiB (peak 12.0, growth 2.0 MiB), ")
    numbers = {m.name: (m.value, m.unit) for m in curve.measurements()}
    assert numbers == {"rss_peak_mib": (12.0, "MiB"), "rss_growth_mib": (2.0, "MiB"),
                       "rss_start_mib": (10.0, "MiB"), "rss_end_mib": (11.0, "MiB")}


def test_a_long_curve_stays_bounded() -> None:
    curve = resources.Curve(lambda: 2**20, interval=0.25)
    for i in range(resources.MAX_SAMPLES * 3):
        curve._keep(i)
    assert len(curve.samples) <= resources.MAX_SAMPLES
    assert curve.samples[-1] == resources.MAX_SAMPLES * 3 - 1  # the last reading is always kept
    assert curve.interval > 0.25  # and the readings thinned out
    assert len(curve.measurements()) == len(resources.CURVE_MEASUREMENTS)


@pytest.mark.slow
def test_lifecycle_cases_attach_the_target_memory_curve(tmp_path: Path) -> None:
    """The embedded reference servers are sampled, and the non-reader case records the curve as
    measurements in run.json."""
    argv = ["run", "--strict", "--case", "ws/10.4/non-reader-bounded", "-q", "--report-dir", str(tmp_path)]
    subprocess.run([sys.executable, "-m", "conformance", *argv], check=False, capture_output=True,
                   timeout=120)
    (run_json,) = tmp_path.glob("*/run.json")
    (case,) = json.loads(run_json.read_text())["cases"]
    assert case["outcome"] == "passed", case
    names = [m["name"] for m in case["measurements"]]
    assert names[0] == "accepted_mib", case
    assert {"rss_peak_mib", "rss_growth_mib", "rss_start_mib", "rss_end_mib"} <= set(names), case
