"""Measurements: numbers a case records next to its verdict (throughput, latency), never judged.

A case that measures (the Autobahn 9.x performance cases, :mod:`conformance.catalog.ws.ab09_performance`)
returns them on its :class:`~conformance.model.Verdict`; they travel into ``run.json`` (``measurements``
of a case, docs/run-json-schema.md), the report's performance table and the ``--baseline`` comparison
(:mod:`conformance.baseline`). A measurement never changes an outcome: the verdict is decided before
the numbers are attached, and reports show them as information.

The first measurement of a case is its *primary* one: the number ``--baseline`` compares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Measurement", "percentile", "show_value"]


@dataclass(frozen=True, slots=True)
class Measurement:
    """One number a case measured.

    Attributes:
        name: what it is, a short snake_case word ("seconds", "mib_per_s", "rtt_p99_ms").
        value: the number (finite).
        unit: how reports label it ("s", "MiB/s", "msg/s", "ms").
        lower_is_better: a smaller value is an improvement (a time); False for a rate.
    """

    name: str
    value: float
    unit: str
    lower_is_better: bool = True

    def __post_init__(self) -> None:
        if not self.name or not math.isfinite(self.value):
            raise ValueError(f"a measurement needs a name and a finite value: {self.name!r}={self.value!r}")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (docs/run-json-schema.md)."""
        return {"name": self.name, "value": round(self.value, 6), "unit": self.unit,
                "lower_is_better": self.lower_is_better}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Measurement:
        """Inverse of :meth:`to_json`."""
        return cls(str(obj["name"]), float(obj["value"]), str(obj.get("unit", "")),
                   bool(obj.get("lower_is_better", True)))

    def shown(self) -> str:
        """The value with its unit, to three significant digits: ``12.3 ms``, ``81.2 MiB/s``."""
        return show_value(self.value, self.unit)


def show_value(value: float, unit: str) -> str:
    """``value`` in ``unit`` to three significant digits (whole numbers from 100 up, never an exponent);
    seconds under one as milliseconds."""
    if unit == "s" and abs(value) < 1:
        value, unit = value * 1000, "ms"
    number = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{number} {unit}".strip()


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0 < p <= 100) of ``values`` by the nearest-rank method.

    Raises:
        ValueError: ``values`` is empty or ``p`` is out of range.
    """
    if not values or not 0 < p <= 100:
        raise ValueError(f"percentile {p} of {len(values)} values")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]
