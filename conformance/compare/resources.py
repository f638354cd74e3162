"""CPU and memory of a server process on this machine, with psutil (the ``compare`` extra)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["LoopLag", "ServerMeter", "ServerUsage"]

#: Seconds between RSS samples.
SAMPLE_EVERY = 0.25
#: The loop-lag probe's sleep, and the most samples it keeps.
LAG_PERIOD = 0.01
MAX_LAG_SAMPLES = 100_000


@dataclass(frozen=True, slots=True)
class ServerUsage:
    """CPU seconds used and RSS (start, peak, end, bytes) of the server over a measured window."""

    cpu_seconds: float
    rss_start: int
    rss_peak: int
    rss_end: int


class LoopLag:
    """How late this process's event loop wakes up: a 10 ms sleep, over and over, and how much longer it took.

    The clients and relays share this loop, so its lateness is added to every latency measured; a
    difference between protocols smaller than its p99 is noise. Also this process's CPU seconds (the load
    client's cost). At most :data:`MAX_LAG_SAMPLES` samples.
    """

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._cpu0 = 0.0
        self.cpu_seconds = 0.0

    def start(self) -> None:
        self._cpu0 = time.process_time()
        self._task = asyncio.ensure_future(self._probe())

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while len(self.samples) < MAX_LAG_SAMPLES:
            before = loop.time()
            await asyncio.sleep(LAG_PERIOD)
            self.samples.append(loop.time() - before - LAG_PERIOD)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.cpu_seconds = time.process_time() - self._cpu0


class ServerMeter:
    """Samples process ``pid`` between :meth:`start` and :meth:`stop`; does nothing without psutil."""

    def __init__(self, pid: int | None) -> None:
        self.process: Any = None
        if pid is not None:
            with contextlib.suppress(ImportError, Exception):
                import psutil  # type: ignore[import-untyped,import-not-found,unused-ignore]

                self.process = psutil.Process(pid)
        self._cpu0 = 0.0
        self._rss0 = 0
        self._peak = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        """The process can be measured."""
        return self.process is not None

    def _cpu(self) -> float:
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def _rss(self) -> int:
        return int(self.process.memory_info().rss)

    def start(self) -> None:
        """Start the window."""
        if self.process is None:
            return
        try:
            self._cpu0, self._rss0 = self._cpu(), self._rss()
        except Exception:  # the process is gone: nothing to measure
            self.process = None
            return
        self._peak = self._rss0
        self._task = asyncio.ensure_future(self._sample())

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(SAMPLE_EVERY)
            with contextlib.suppress(Exception):
                self._peak = max(self._peak, self._rss())

    def stop(self) -> ServerUsage | None:
        """End the window; the usage, or None when the process could not be measured."""
        if self._task is not None:
            self._task.cancel()
        if self.process is None:
            return None
        try:
            cpu, rss = self._cpu(), self._rss()
        except Exception:
            return None
        return ServerUsage(cpu - self._cpu0, self._rss0, max(self._peak, rss), rss)
