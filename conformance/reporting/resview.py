"""The target's resource samples (``target.resources`` in run.json) as the summary card shows them:
peak RSS, CPU seconds, the number of samples, and the memory curve as the points of an SVG sparkline.

A pure function of the JSON object. run.json may be hand-edited, so every field is checked: a value of
the wrong type counts as missing, never as an error; strings go through the autoescaping templates and
the sparkline points are numbers formatted here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SPARK_HEIGHT", "SPARK_POINTS", "SPARK_WIDTH", "ResourceView", "human_bytes", "resource_view"]

#: The sparkline's viewBox (the CSS scales it) and the most points it draws.
SPARK_WIDTH, SPARK_HEIGHT, SPARK_POINTS = 100.0, 24.0, 120
_MARGIN = 2.0


@dataclass(frozen=True, slots=True)
class ResourceView:
    """One run's resource use, ready for the template.

    Attributes:
        source, what: where the numbers come from (``proc`` or ``docker``) and what they measure.
        peak_mem_bytes, cpu_s: the numbers (None: not measured).
        samples: samples recorded; probe_errors: samples that failed.
        interval_s: the sampling interval at the start; span_s: seconds from the first to the last sample.
        low, high: the smallest and largest memory reading drawn.
        points: the memory curve as SVG polyline points in a ``SPARK_WIDTH`` x ``SPARK_HEIGHT`` box, or "".
    """

    source: str
    what: str
    peak_mem_bytes: int | None
    cpu_s: float | None
    samples: int
    probe_errors: int
    interval_s: float | None
    span_s: float
    low: int
    high: int
    points: str

    @property
    def peak(self) -> str:
        """The peak memory, human-readable, or "not measured"."""
        return "not measured" if self.peak_mem_bytes is None else human_bytes(self.peak_mem_bytes)

    @property
    def cpu(self) -> str:
        """The CPU seconds used, or "not measured"."""
        return "not measured" if self.cpu_s is None else f"{self.cpu_s:.2f} s"

    @property
    def caption(self) -> str:
        """What the sparkline shows, in words (its title)."""
        return (f"memory from {human_bytes(self.low)} to {human_bytes(self.high)} over {self.span_s:.1f} s, "
                f"{self.samples} samples")


def human_bytes(n: int) -> str:
    """``n`` bytes as B, KiB, MiB or GiB with one decimal."""
    size, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            break
        size /= 1024
    return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"


def _number(value: object) -> float | None:
    """A JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _samples(raw: object) -> list[tuple[float, int, float | None]]:
    """(t, mem_bytes, cpu_s) of each well-formed sample, in order."""
    out = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        t, mem = _number(item.get("t")), _number(item.get("mem_bytes"))
        if t is not None and mem is not None:
            out.append((t, int(mem), _number(item.get("cpu_s"))))
    return out


def _bucket_peaks(values: Sequence[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
    """At most ``limit`` points: the largest reading of each run of neighbours (peaks survive)."""
    if len(values) <= limit:
        return list(values)
    size = len(values) / limit
    return [max(values[int(i * size):int((i + 1) * size)], key=lambda v: v[1]) for i in range(limit)]


def _points(values: Sequence[tuple[float, int]]) -> str:
    """SVG polyline points for (t, mem) readings, time on x and memory (low to high) on y."""
    if len(values) < 2:
        return ""
    drawn = _bucket_peaks(values, SPARK_POINTS)
    t0, t1 = drawn[0][0], drawn[-1][0]
    low, high = min(v[1] for v in drawn), max(v[1] for v in drawn)
    usable = SPARK_HEIGHT - 2 * _MARGIN
    coords = []
    for i, (t, mem) in enumerate(drawn):
        x = (t - t0) / (t1 - t0) if t1 > t0 else i / (len(drawn) - 1)
        y = (mem - low) / (high - low) if high > low else 0.5
        coords.append(f"{x * SPARK_WIDTH:.1f},{SPARK_HEIGHT - _MARGIN - y * usable:.1f}")
    return " ".join(coords)


def resource_view(resources: object) -> ResourceView | None:
    """The view of a run's ``target.resources``; None when nothing was sampled (absent, null, not an
    object, or no sample and no number)."""
    if not isinstance(resources, dict):
        return None
    samples = _samples(resources.get("samples"))
    peak = _number(resources.get("peak_mem_bytes"))
    if peak is None and samples:
        peak = max(s[1] for s in samples)
    cpu = _number(resources.get("cpu_s"))
    if cpu is None and len(samples) > 1 and samples[0][2] is not None and samples[-1][2] is not None:
        cpu = samples[-1][2] - samples[0][2]
    if not samples and peak is None and cpu is None:
        return None
    errors = _number(resources.get("probe_errors"))
    mems = [(t, mem) for t, mem, _ in samples]
    return ResourceView(
        source=str(resources.get("source", "")), what=str(resources.get("what", "")),
        peak_mem_bytes=None if peak is None else int(peak), cpu_s=cpu, samples=len(samples),
        probe_errors=int(errors or 0), interval_s=_number(resources.get("interval_s")),
        span_s=mems[-1][0] - mems[0][0] if mems else 0.0, low=min((m for _, m in mems), default=0),
        high=max((m for _, m in mems), default=0), points=_points(mems))
