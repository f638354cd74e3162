"""What the impairment relay does to a link: one frozen record, its presets and its command-line form.

An :class:`Impairment` describes a path between a client and a server as a user-space relay can shape it
(no root, no kernel queueing discipline): a one-way delay per direction with jitter, a bandwidth cap per
direction, periodic stalls (how a lost segment looks to the application over TCP: nothing arrives until the
retransmission, then everything at once), connection resets, an idle timeout, and a proxy that removes the
hop-by-hop ``Upgrade`` header (RFC 9110 §7.6.1), so a WebSocket handshake cannot succeed through it.

Times are seconds, bandwidth bytes per second. :func:`parse_impairment` reads ``lan``, ``3g``,
``lossy-wifi``, ``corporate-proxy``, ``none``, or a comma list of ``key=value`` (``rtt=50ms``,
``up=10ms``, ``down=40ms``, ``jitter=5ms``, ``bw=1mbit``, ``bw-up=...``, ``bw-down=...``,
``stall=5s/1s`` (every 5 s, for 1 s), ``reset=10s``, ``idle=30s``, ``strip-upgrade``), optionally after a
preset: ``3g,stall=8s/5s``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["PRESETS", "Impairment", "parse_duration", "parse_impairment", "parse_rate"]


@dataclass(frozen=True, slots=True)
class Impairment:
    """How the relay shapes each connection (see the module docstring).

    Attributes:
        delay_up: one-way delay added client -> server (seconds).
        delay_down: one-way delay added server -> client (seconds).
        jitter: up to this much more delay per chunk, uniformly drawn (order is kept, as TCP keeps it).
        bandwidth_up, bandwidth_down: bytes per second per connection and direction; None: no cap.
        stall_every: every this many seconds (first at ``stall_every`` after the relay starts), nothing is
            delivered either way for ``stall_for`` seconds; what was held is delivered when it ends.
        stall_for: the length of each stall.
        reset_every: every this many seconds, every open connection is reset (RST) on both sides.
        idle_timeout: a connection with no byte either way for this long is closed on both sides (FIN).
        strip_upgrade: remove ``Upgrade`` and ``Connection`` (and what it names) from every request, as an
            HTTP/1.1 proxy that does not support upgrades forwards it.
        name: the preset it came from, for reports ("" for explicit values).
    """

    delay_up: float = 0.0
    delay_down: float = 0.0
    jitter: float = 0.0
    bandwidth_up: float | None = None
    bandwidth_down: float | None = None
    stall_every: float | None = None
    stall_for: float = 0.0
    reset_every: float | None = None
    idle_timeout: float | None = None
    strip_upgrade: bool = False
    name: str = ""

    @property
    def rtt(self) -> float:
        """The round-trip delay the relay adds (without jitter)."""
        return self.delay_up + self.delay_down

    def delay_only(self) -> Impairment:
        """The same delays, jitter and bandwidth, nothing that breaks a connection (the publishers' path)."""
        return Impairment(self.delay_up, self.delay_down, self.jitter, self.bandwidth_up, self.bandwidth_down,
                          name=self.name)

    def describe(self) -> str:
        """One line for reports: the non-default settings."""
        parts = [f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                 if f.name != "name" and getattr(self, f.name) != f.default]
        label = self.name or "explicit"
        return f"{label} ({', '.join(parts) or 'no impairment'})"

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON (seconds, bytes per second)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: The named presets. Figures are typical published ones, rounded; they are starting points, not models.
PRESETS: dict[str, Impairment] = {
    "none": Impairment(name="none"),
    # a switched LAN: about 1 ms round trip
    "lan": Impairment(delay_up=0.0005, delay_down=0.0005, name="lan"),
    # a 3G (HSPA) mobile link: ~200 ms RTT, jitter, 1.6 Mbit/s down, 768 kbit/s up
    "3g": Impairment(delay_up=0.1, delay_down=0.1, jitter=0.02, bandwidth_up=96_000, bandwidth_down=200_000,
                     name="3g"),
    # busy Wi-Fi with loss: 30 ms RTT, jitter, a 400 ms stall (a retransmission timeout) every 3 s
    "lossy-wifi": Impairment(delay_up=0.015, delay_down=0.015, jitter=0.01, stall_every=3.0, stall_for=0.4,
                             name="lossy-wifi"),
    # an office proxy without upgrade support: 20 ms RTT, Upgrade removed, idle connections cut after 30 s
    "corporate-proxy": Impairment(delay_up=0.01, delay_down=0.01, idle_timeout=30.0, strip_upgrade=True,
                                  name="corporate-proxy"),
}

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*$")
_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(bps|kbit|mbit|gbit|b|kb|mb|kib|mib)?\s*$", re.IGNORECASE)
_RATE_UNITS = {None: 1.0, "b": 1.0, "bps": 1 / 8, "kbit": 1000 / 8, "mbit": 1e6 / 8, "gbit": 1e9 / 8,
               "kb": 1000.0, "mb": 1e6, "kib": 1024.0, "mib": 1024.0 * 1024}


def parse_duration(text: str) -> float:
    """``50ms``, ``2s`` or ``0.5`` (seconds) -> seconds.

    Raises:
        ValueError: not a non-negative duration (the message shows the text).
    """
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use 50ms or 2s)")
    value = float(match.group(1))
    return value / 1000 if match.group(2) == "ms" else value


def parse_rate(text: str) -> float:
    """``1mbit``, ``768kbit``, ``200kb`` (bytes) or ``5000`` (bytes per second) -> bytes per second.

    Raises:
        ValueError: not a positive rate.
    """
    match = _RATE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"not a positive rate: {text!r} (use 1mbit, 768kbit, 200kb or bytes per second)")
    unit = match.group(2).lower() if match.group(2) else None
    return float(match.group(1)) * _RATE_UNITS[unit]


def _stall(text: str) -> tuple[float, float]:
    every, sep, length = text.partition("/")
    if not sep:
        raise ValueError(f"stall wants EVERY/FOR, like 5s/1s, not {text!r}")
    period, span = parse_duration(every), parse_duration(length)
    if period <= 0 or span <= 0 or span >= period:
        raise ValueError(f"stall wants 0 < FOR < EVERY, not {text!r}")
    return period, span


def _positive(text: str) -> float:
    value = parse_duration(text)
    if value <= 0:
        raise ValueError(f"must be more than 0: {text!r}")
    return value


def _apply(imp: Impairment, key: str, value: str) -> Impairment:
    """One ``key=value`` setting applied to ``imp``."""
    if key == "rtt":
        half = parse_duration(value) / 2
        return replace(imp, delay_up=half, delay_down=half)
    simple: dict[str, tuple[str, Any]] = {
        "up": ("delay_up", parse_duration), "down": ("delay_down", parse_duration),
        "jitter": ("jitter", parse_duration), "bw-up": ("bandwidth_up", parse_rate),
        "bw-down": ("bandwidth_down", parse_rate), "reset": ("reset_every", _positive),
        "idle": ("idle_timeout", _positive),
    }
    if key in simple:
        name, convert = simple[key]
        return replace(imp, **{name: convert(value)})
    if key == "bw":
        rate = parse_rate(value)
        return replace(imp, bandwidth_up=rate, bandwidth_down=rate)
    if key == "stall":
        every, span = _stall(value)
        return replace(imp, stall_every=every, stall_for=span)
    raise ValueError(f"unknown impairment setting {key!r} (known: rtt, up, down, jitter, bw, bw-up, bw-down, "
                     "stall, reset, idle, strip-upgrade)")


def parse_impairment(text: str) -> Impairment:
    """A preset name, ``key=value`` settings, or a preset followed by settings (see the module docstring).

    Raises:
        ValueError: an unknown preset or setting, or a bad value (the message shows it).
    """
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError("empty impairment (use a preset: " + ", ".join(PRESETS) + ")")
    imp = Impairment(name="explicit")
    if "=" not in items[0] and items[0] != "strip-upgrade":
        if items[0] not in PRESETS:
            raise ValueError(f"unknown preset {items[0]!r} (known: {', '.join(PRESETS)})")
        imp = PRESETS[items[0]]
        items = items[1:]
        if items:
            imp = replace(imp, name=f"{imp.name}+")
    for item in items:
        if item == "strip-upgrade":
            imp = replace(imp, strip_upgrade=True)
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"expected key=value, got {item!r}")
        imp = _apply(imp, key.strip(), value.strip())
    return imp
