"""Resource sampling of the target during a run: memory and CPU time, recorded into the results.

A *probe* is a blocking function that returns the target's current ``(mem_bytes, cpu_s)`` (``cpu_s``
cumulative, user + system), or None when the target is gone. :class:`Sampler` calls it in a worker
thread every ``interval`` seconds from the start of the target to its stop, and :meth:`Sampler.usage`
gives the JSON form stored as ``target.resources`` in run.json (docs/run-json-schema.md).

Probes here: :class:`ProcProbe` (a local process and everything in its session, from /proc: Linux),
:class:`PsutilProbe` (a local process and its descendants, from psutil: macOS, where there is no /proc)
and the Docker target's container stats (``conformance.targets.docker``); :func:`local_probe` picks
one. A case reads the target's memory through ``CaseEnv.memory`` (a :data:`MemoryProbe` over the same
probe) and records a :class:`Curve` of it as measurements; the backpressure case judges its growth.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.measure import Measurement

__all__ = ["CURVE_MEASUREMENTS", "DEFAULT_INTERVAL", "MAX_SAMPLES", "Curve", "MemoryProbe", "Probe",
           "ProcProbe", "PsutilProbe", "Sample", "Sampler", "local_probe"]

#: Seconds between samples at the start of a run.
DEFAULT_INTERVAL = 0.25
#: Samples kept; past this every other one is dropped and the interval doubles.
MAX_SAMPLES = 1000

Probe = Callable[[], "tuple[int, float] | None"]
#: Reads the target's memory in bytes now (blocking: call it in a worker thread), or None when it cannot
#: (the target is gone). The runner gives one to each case where it samples the target
#: (``CaseEnv.memory``, made by ``conformance.targets.sampling.memory_probe``).
MemoryProbe = Callable[[], "int | None"]
#: The measurements a :class:`Curve` records: (name, what it is), in order; the peak comes first, as the
#: primary measurement of a case that measures nothing else (``--baseline`` compares it).
CURVE_MEASUREMENTS = (("rss_peak_mib", "the highest reading"), ("rss_growth_mib", "peak minus the first"),
                      ("rss_start_mib", "the first reading"), ("rss_end_mib", "the last reading"))


class Curve:
    """The target's memory over a stretch of a case: ``async with Curve(env.memory) as curve:`` reads it
    at entry, every ``interval`` seconds, and at exit. Bounded: past ``MAX_SAMPLES`` readings every other
    one is dropped and the interval doubles. Without a probe (a target at a URL) it reads nothing.

    A case attaches :meth:`measurements` to its verdict (four numbers, whatever the length of the curve:
    :data:`CURVE_MEASUREMENTS`) and may judge :attr:`growth`.
    """

    def __init__(self, memory: MemoryProbe | None, interval: float = DEFAULT_INTERVAL) -> None:
        self.memory = memory
        self.interval = interval
        self.samples: list[int] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        """Readings were taken (the target has a probe)."""
        return bool(self.samples)

    @property
    def growth(self) -> int:
        """Peak memory minus the first reading, in bytes (0 without readings)."""
        return max(self.samples) - self.samples[0] if self.samples else 0

    async def _read(self) -> int | None:
        if self.memory is None:
            return None
        try:
            return await asyncio.to_thread(self.memory)
        except Exception:  # a probe that fails (engine busy, /proc race) only means: no reading
            return None

    def _keep(self, value: int) -> None:
        self.samples.append(value)
        if len(self.samples) > MAX_SAMPLES:
            self.samples = [*self.samples[:-1:2], self.samples[-1]]
            self.interval *= 2

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            value = await self._read()
            if value is None:
                return
            self._keep(value)

    async def __aenter__(self) -> Curve:
        first = await self._read()
        if first is not None:
            self.samples.append(first)
            self._task = asyncio.ensure_future(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        last = await self._read()
        if last is not None:
            self._keep(last)

    def measurements(self) -> tuple[Measurement, ...]:
        """The curve as numbers in MiB (:data:`CURVE_MEASUREMENTS`), or () without readings."""
        if not self.samples:
            return ()
        values = {"rss_peak_mib": max(self.samples), "rss_growth_mib": self.growth,
                  "rss_start_mib": self.samples[0], "rss_end_mib": self.samples[-1]}
        return tuple(Measurement(name, values[name] / 2**20, "MiB") for name, _ in CURVE_MEASUREMENTS)

    def __str__(self) -> str:
        if not self.samples:
            return "target memory: not sampled (no probe for this target)"
        mib = [m / 2**20 for m in self.samples]
        return (f"target memory {mib[0]:.1f} -> {mib[-1]:.1f} MiB (peak {max(mib):.1f}, growth "
                f"{self.growth / 2**20:.1f} MiB), {len(self.samples)} samples")


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading: ``t`` seconds after sampling started, memory in bytes, cumulative CPU seconds."""

    t: float
    mem_bytes: int
    cpu_s: float

    def to_json(self) -> dict[str, Any]:
        """``{"t", "mem_bytes", "cpu_s"}``."""
        return {"t": round(self.t, 3), "mem_bytes": self.mem_bytes, "cpu_s": round(self.cpu_s, 4)}


class ProcProbe:
    """RSS and CPU time of every process in the given sessions (the target's processes and their children).

    Started targets run in their own session (``start_new_session``), so a ``--cmd`` shell and the server
    it forks are both counted. Reads ``/proc/<pid>/stat`` (proc(5)): field 6 session, 14-17 utime, stime,
    cutime, cstime in clock ticks, 24 rss in pages. Linux only; elsewhere it returns None.
    """

    def __init__(self, *sessions: int, proc_root: str = "/proc") -> None:
        self.sessions = frozenset(sessions)
        self.root = proc_root
        self.tick = float(os.sysconf("SC_CLK_TCK"))
        self.page = os.sysconf("SC_PAGE_SIZE")

    def _stat_fields(self, pid: str) -> list[str] | None:
        try:
            with open(f"{self.root}/{pid}/stat", "rb") as f:
                raw = f.read().decode("ascii", "replace")
        except OSError:  # the process ended while we listed /proc
            return None
        # The command name (field 2) is in parentheses and may hold spaces: split after the last ")".
        return raw[raw.rfind(")") + 2:].split()

    def __call__(self) -> tuple[int, float] | None:
        """Sum over the session's processes, or None when none is left."""
        try:
            pids = [p for p in os.listdir(self.root) if p.isdigit()]
        except OSError:
            return None
        rss = ticks = found = 0
        for pid in pids:
            fields = self._stat_fields(pid)
            # Fields after the name start at field 3 (state): field N is fields[N - 3].
            if fields is None or len(fields) < 22 or int(fields[3]) not in self.sessions:
                continue
            found += 1
            ticks += sum(int(x) for x in fields[11:15])
            rss += int(fields[21])
        if not found:
            return None
        return rss * self.page, ticks / self.tick


class PsutilProbe:
    """RSS and CPU time of the given processes and all their descendants, read with psutil.

    For systems without /proc (macOS; psutil is a dependency there). A ``--cmd`` shell and the server it
    forks are both counted, as long as the server does not detach from its parent. CPU time includes the
    children already reaped where the OS reports it (Linux; macOS reports 0 for them).
    """

    def __init__(self, *pids: int) -> None:
        import psutil  # type: ignore[import-untyped,import-not-found,unused-ignore]  # declared for systems without /proc

        self.psutil: Any = psutil
        self.pids = pids

    def __call__(self) -> tuple[int, float] | None:
        """Sum over the processes alive now, or None when none is left."""
        ps = self.psutil
        procs: dict[int, Any] = {}
        for pid in self.pids:
            try:
                top = ps.Process(pid)
                family = [top, *top.children(recursive=True)]
            except ps.Error:  # gone (or a zombie), or not ours to read
                continue
            procs.update((p.pid, p) for p in family)
        rss, cpu, found = 0, 0.0, 0
        for proc in procs.values():
            try:
                with proc.oneshot():
                    if proc.status() == ps.STATUS_ZOMBIE:
                        continue
                    mem, times = proc.memory_info().rss, proc.cpu_times()
            except ps.Error:
                continue
            found += 1
            rss += mem
            cpu += times.user + times.system + getattr(times, "children_user", 0.0) + getattr(
                times, "children_system", 0.0)
        return (rss, cpu) if found else None


def local_probe(*pids: int, proc_root: str = "/proc") -> tuple[Probe, str, str] | None:
    """A probe for local processes started in their own sessions, with its source and what it
    measures: /proc where it exists (Linux), else psutil when it is installed; None otherwise."""
    if os.path.isdir(f"{proc_root}/self"):
        return (ProcProbe(*pids, proc_root=proc_root), "proc",
                "rss and user+system cpu of the started processes and their sessions (/proc)")
    try:
        return (PsutilProbe(*pids), "psutil",
                "rss and user+system cpu of the started processes and their descendants (psutil)")
    except ImportError:
        return None


class Sampler:
    """Runs a probe periodically in the background; bounded (see :data:`MAX_SAMPLES`)."""

    def __init__(self, probe: Probe, source: str, what: str, interval: float = DEFAULT_INTERVAL) -> None:
        self.probe = probe
        self.source = source
        self.what = what
        self.interval = interval
        self.first_interval = interval
        self.samples: list[Sample] = []
        self.errors = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Event | None = None
        self._t0 = 0.0

    def start(self) -> None:
        """Start sampling (the first sample is taken at once)."""
        self._t0 = asyncio.get_running_loop().time()
        self._stopping = asyncio.Event()
        self._task = asyncio.ensure_future(self._loop(self._stopping))

    async def _read(self) -> bool:
        try:
            value = await asyncio.to_thread(self.probe)
        except Exception:  # a probe that fails once (engine busy, /proc race) must not end the run
            self.errors += 1
            return True
        if value is None:
            return False
        now = asyncio.get_running_loop().time() - self._t0
        self.samples.append(Sample(now, value[0], value[1]))
        if len(self.samples) > MAX_SAMPLES:
            self.samples = self.samples[::2]
            self.interval *= 2
        return True

    async def _loop(self, stopping: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            began = loop.time()
            if not await self._read():
                return
            # A slow probe (the engine answers stats about once a second) is not made slower by a sleep.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), max(0.0, self.interval - (loop.time() - began)))

    async def stop(self) -> None:
        """Let a reading under way finish, take a last one (the target still runs) and stop sampling."""
        task, self._task = self._task, None
        if task is None or self._stopping is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 5.0)
        except asyncio.TimeoutError:  # a probe that hangs: give up on it
            task.cancel()
        await self._read()

    def usage(self) -> dict[str, Any]:
        """The JSON form stored as ``target.resources``."""
        samples = self.samples
        return {
            "source": self.source, "what": self.what, "interval_s": self.first_interval,
            "peak_mem_bytes": max((s.mem_bytes for s in samples), default=None),
            "cpu_s": round(samples[-1].cpu_s - samples[0].cpu_s, 4) if samples else None,
            "probe_errors": self.errors, "samples": [s.to_json() for s in samples],
        }
