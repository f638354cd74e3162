"""Inline SVG charts drawn from numbers: step lines (latency CDF, connections over time) and grouped bars.

No script, no external resource; every text is escaped (names and labels may come from a user's URL), and
every number is formatted by this module, so nothing from the data can become markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["COLORS", "Series", "bar_chart", "step_chart"]

#: One color per protocol, in report order (distinguishable in grey scale too: dark, mid, light).
COLORS = {"ws": "#1f4e9c", "sse": "#d9711c", "poll": "#2e8b57", "sio": "#8a2be2"}
_W, _H = 560, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 120, 16, 44


@dataclass(frozen=True, slots=True)
class Series:
    """A named line: (x, y) points, x ascending."""

    name: str
    color: str
    points: Sequence[tuple[float, float]]


def _num(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.3g}"
    return f"{v:.2g}"


def _ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


@dataclass(frozen=True, slots=True)
class _Axis:
    """Tick values and where a value falls (0..1 along the axis), linear from 0 or logarithmic."""

    ticks: list[float]
    log: bool = False

    @classmethod
    def linear(cls, top: float) -> _Axis:
        return cls(_ticks(top))

    @classmethod
    def logarithmic(cls, low: float, high: float) -> _Axis:
        """Powers of ten around ``low`` .. ``high`` (both > 0)."""
        first = math.floor(math.log10(max(low, 1e-6)))
        last = max(first + 1, math.ceil(math.log10(max(high, low, 1e-6))))
        return cls([10.0 ** k for k in range(first, last + 1)], log=True)

    def at(self, v: float) -> float:
        lo, hi = self.ticks[0], self.ticks[-1]
        if self.log:
            v = min(max(v, lo), hi)
            return (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return min(max(v, 0.0), hi) / hi


def _frame(title: str, x_label: str, y_label: str, xa: _Axis, ya: _Axis) -> list[str]:
    pw, ph = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" '
           f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
           f'<rect x="{_LEFT}" y="{_TOP}" width="{pw}" height="{ph}" fill="#fff" stroke="#999"/>']
    for v in xa.ticks:
        x = _LEFT + pw * xa.at(v)
        out.append(f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_TOP + ph}" stroke="#eee"/>'
                   f'<text x="{x:.1f}" y="{_TOP + ph + 14}" font-size="11" text-anchor="middle">'
                   f'{_num(v)}</text>')
    for v in ya.ticks:
        y = _TOP + ph - ph * ya.at(v)
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + pw}" y2="{y:.1f}" stroke="#eee"/>'
                   f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_num(v)}</text>')
    out.append(f'<text x="{_LEFT + pw / 2}" y="{_H - 8}" font-size="12" text-anchor="middle">'
               f'{escape(x_label)}</text>')
    out.append(f'<text x="14" y="{_TOP + ph / 2}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 14 {_TOP + ph / 2})">{escape(y_label)}</text>')
    return out


def _legend(names: Sequence[tuple[str, str]]) -> list[str]:
    x = _W - _RIGHT + 12
    return [f'<rect x="{x}" y="{_TOP + 8 + 18 * i}" width="12" height="12" fill="{escape(color)}"/>'
            f'<text x="{x + 18}" y="{_TOP + 18 + 18 * i}" font-size="12">{escape(name)}</text>'
            for i, (name, color) in enumerate(names)]


def step_chart(title: str, series: Sequence[Series], x_label: str, y_label: str, *,
               y_max: float | None = None, log_x: bool = False) -> str:
    """Step lines (each point holds until the next), one per series; an empty series draws no line.

    ``log_x``: a logarithmic x axis (powers of ten), for values spanning orders of magnitude, such as
    latencies of a LAN and of a 5 s stall in one chart.
    """
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    positive = [x for x in xs if x > 0]
    if log_x and positive:
        xa = _Axis.logarithmic(min(positive), max(positive))
    else:
        xa = _Axis.linear(max(xs, default=1.0))
    ya = _Axis.linear(y_max if y_max is not None else max(ys, default=1.0))
    pw, ph = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    out = _frame(title, x_label, y_label, xa, ya)
    for s in series:
        if not s.points:
            continue
        path: list[str] = []
        for x, y in s.points:
            px = _LEFT + pw * xa.at(x)
            py = _TOP + ph - ph * ya.at(y)
            path.append(f"H{px:.1f}V{py:.1f}" if path else f"M{px:.1f},{py:.1f}")
        out.append(f'<path d="{"".join(path)}" fill="none" stroke="{escape(s.color)}" stroke-width="2">'
                   f'<title>{escape(s.name)}</title></path>')
    out += _legend([(s.name, s.color) for s in series])
    out.append("</svg>")
    return "".join(out)


def bar_chart(title: str, groups: Sequence[str], bars: Sequence[tuple[str, str, Sequence[float | None]]],
              y_label: str) -> str:
    """Grouped bars: for each group (a protocol), one bar per ``bars`` entry (name, color, value per group;
    None draws no bar). Each bar is labelled with its value."""
    values = [v for _, _, vs in bars for v in vs if v is not None]
    yt = _ticks(max(values, default=1.0))
    pw, ph = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    out = _frame(title, "", y_label, _Axis([1.0]), _Axis(yt))[:2]  # the box; the x axis is the groups
    for v in yt:
        y = _TOP + ph - ph * v / yt[-1]
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + pw}" y2="{y:.1f}" stroke="#eee"/>'
                   f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_num(v)}</text>')
    out.append(f'<text x="14" y="{_TOP + ph / 2}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 14 {_TOP + ph / 2})">{escape(y_label)}</text>')
    slot = pw / max(1, len(groups))
    width = slot * 0.8 / max(1, len(bars))
    for g, group in enumerate(groups):
        out.append(f'<text x="{_LEFT + slot * (g + 0.5):.1f}" y="{_TOP + ph + 16}" font-size="12" '
                   f'text-anchor="middle">{escape(group)}</text>')
        for b, (name, color, vs) in enumerate(bars):
            value = vs[g] if g < len(vs) else None
            if value is None:
                continue
            v = value
            h = ph * v / yt[-1]
            x = _LEFT + slot * g + slot * 0.1 + width * b
            out.append(f'<rect x="{x:.1f}" y="{_TOP + ph - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                       f'fill="{escape(color)}"><title>{escape(f"{group} {name}: {_num(v)}")}</title></rect>'
                       f'<text x="{x + width / 2:.1f}" y="{_TOP + ph - h - 3:.1f}" font-size="10" '
                       f'text-anchor="middle">{_num(v)}</text>')
    out += _legend([(name, color) for name, color, _ in bars])
    out.append("</svg>")
    return "".join(out)
