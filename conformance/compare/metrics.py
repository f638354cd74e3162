"""What one protocol's run measured, as its section of ``compare.json`` (documented in docs/compare.md).

Per delivered message means per distinct delivery (one message to one subscriber). Bytes are counted at
the relays, in TCP payload: ``down`` and ``up`` on the subscribers' connections (for polling, ``up`` is the
poll requests; for WebSocket, the messages sent up), ``publish`` on the publisher's connections (request and
answer, per published message; WebSocket publishes on the subscriber's own connection, so it has none).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from conformance.compare.impair import ImpairRelay
from conformance.compare.impairment import Impairment
from conformance.compare.publisher import Publisher
from conformance.compare.resources import LoopLag, ServerUsage
from conformance.compare.socketio import SioPublisher
from conformance.compare.subscribers import ClientStats, Subscriber
from conformance.compare.tally import Tally, cdf_points, percentile
from conformance.compare.workload import Server, Workload

__all__ = ["MAX_TIMELINE_POINTS", "Observed", "summarise"]

#: Points of the connections-over-time series kept in compare.json.
MAX_TIMELINE_POINTS = 400
#: Buckets of the latency-over-time series (each at least 100 ms of publish time).
LATENCY_BUCKETS = 200


@dataclass
class Observed:
    """Everything a run leaves behind, before it is summarised."""

    server: Server
    workload: Workload
    impairment: Impairment
    tally: Tally
    relay: ImpairRelay
    pub_relay: ImpairRelay | None
    subscribers: list[Subscriber]
    publisher: Publisher | SioPublisher | None
    usage: ServerUsage | None
    ready: int
    ready_time: float
    lag: LoopLag
    publish_start: float
    publish_end: float


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def _per(total: float, count: int, digits: int = 1) -> float | None:
    return round(total / count, digits) if count else None


def _latency(tally: Tally) -> tuple[dict[str, float | None], list[list[float]]]:
    lat = tally.latencies()
    summary = {name: _ms(percentile(lat, q)) for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    summary["max"] = _ms(lat[-1] if lat else None)
    summary["mean"] = _ms(statistics.fmean(lat) if lat else None)
    return summary, [[_ms(v) or 0.0, round(f, 5)] for v, f in cdf_points(lat)]


def _latency_timeline(obs: Observed) -> list[list[float]]:
    """``[seconds since publishing started, worst latency in ms]`` per bucket of publish time (at most
    :data:`LATENCY_BUCKETS` buckets): where stalls and reconnections show."""
    span = max(obs.publish_end - obs.publish_start, 1e-3)
    width = max(0.1, span / LATENCY_BUCKETS)
    worst: dict[int, float] = {}
    for pairs in obs.tally.receipts.values():
        for sent, got in pairs:
            bucket = int((sent - obs.publish_start) // width)
            worst[bucket] = max(worst.get(bucket, 0.0), got - sent)
    return [[round(b * width, 3), _ms(v) or 0.0] for b, v in sorted(worst.items())]


def _timeline(relay: ImpairRelay, offset: float) -> list[list[float]]:
    points = relay.timeline
    step = max(1, len(points) // MAX_TIMELINE_POINTS)
    kept = points[::step]
    if kept[-1] != points[-1]:
        kept.append(points[-1])
    return [[round(t - offset, 3), n] for t, n in kept]


def _server(usage: ServerUsage | None, delivered: int) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        "cpu_seconds": round(usage.cpu_seconds, 4),
        "cpu_seconds_per_1000": _per(usage.cpu_seconds * 1000, delivered, 4),
        "rss_start_bytes": usage.rss_start,
        "rss_peak_bytes": usage.rss_peak,
        "rss_growth_per_1000_bytes": _per((usage.rss_end - usage.rss_start) * 1000, delivered, 0),
    }


def _stalls(obs: Observed) -> list[dict[str, Any]]:
    t0 = obs.relay.t0
    until = obs.publish_end - t0
    out = []
    for start, end in obs.relay.stall_windows(until):
        if t0 + start < obs.publish_start or t0 + end > obs.publish_end:
            continue  # only stalls wholly inside the publishing window can show a recovery
        recovered = obs.tally.recovery_after(t0 + end)
        out.append({"start_s": round(start - (obs.publish_start - t0), 3),
                    "end_s": round(end - (obs.publish_start - t0), 3),
                    "recovered_after_s": None if recovered is None else round(recovered, 3)})
    return out


def summarise(obs: Observed) -> dict[str, Any]:
    """The protocol's section of compare.json."""
    tally, relay = obs.tally, obs.relay
    delivered = tally.delivered()
    latency, cdf = _latency(tally)
    stats = [sub.stats for sub in obs.subscribers]
    recoveries = sorted(r for s in stats for r in s.recoveries)
    errors: list[str] = list(relay.dial_errors)
    if isinstance(obs.publisher, SioPublisher) and obs.publisher.problem:
        errors.append(obs.publisher.problem)
    for s in stats:
        errors += [e for e in s.errors if e not in errors]
    pub = obs.publisher.stats if obs.publisher is not None else None
    publish_bytes = (obs.pub_relay.bytes_up + obs.pub_relay.bytes_down) if obs.pub_relay is not None else 0
    sub_requests = sum(s.requests for s in stats)
    offset = obs.publish_start - relay.t0
    return {
        "protocol": obs.server.protocol,
        "url": obs.server.url,
        "publish_url": obs.server.publish_url or None,
        "status": "ok" if delivered else "failed",
        "errors": errors[:10],
        "subscribed": obs.ready,
        "subscribe_seconds": round(obs.ready_time, 3),
        "publish_window_s": [0.0, round(obs.publish_end - obs.publish_start, 3)],
        "messages": {
            "published": len(tally.sent),
            "expected": tally.expected(),
            "delivered": delivered,
            "lost": tally.lost(),
            "duplicated": tally.duplicates,
            "unexpected": tally.unexpected,
            "misrouted": tally.misrouted,
            "publish_skipped": pub.skipped if pub else 0,
            "publish_failed": pub.failed if pub else 0,
        },
        "latency_ms": latency,
        "latency_cdf_ms": cdf,
        "latency_timeline_ms": _latency_timeline(obs),
        "bytes": {
            "down_per_message": _per(relay.bytes_down, delivered),
            "up_per_message": _per(relay.bytes_up, delivered),
            "publish_per_message": _per(publish_bytes, len(tally.sent)) if pub else None,
            "down_total": relay.bytes_down,
            "up_total": relay.bytes_up,
            "publish_total": publish_bytes,
        },
        "connections": {
            "opened": relay.connections_opened,
            "publish_opened": pub.connections if pub else 0,
            "timeline": _timeline(relay, offset),
        },
        "requests": {
            "subscriber": sub_requests,
            "publish": pub.sent if pub else 0,
            "subscriber_per_message": _per(sub_requests, delivered, 3),
        },
        "reconnections": {
            "count": sum(s.reconnections for s in stats),
            "refused": sum(s.refused for s in stats),
            "recover_s_median": round(statistics.median(recoveries), 3) if recoveries else None,
            "recover_s_max": round(recoveries[-1], 3) if recoveries else None,
            "resets_by_network": relay.resets,
            "idle_closes_by_network": relay.idle_closes,
        },
        "upgrade": _upgrade(obs.server.protocol, stats),
        "stalls": _stalls(obs),
        "server": _server(obs.usage, delivered),
        "load_client": _load_client(obs.lag, delivered),
    }


def _upgrade(protocol: str, stats: list[ClientStats]) -> dict[str, int] | None:
    """Socket.IO's sessions that moved to WebSocket and those whose upgrade failed (None for the others)."""
    if protocol != "sio":
        return None
    return {"upgraded": sum(s.upgraded for s in stats), "failed": sum(s.upgrade_failed for s in stats)}


def _load_client(lag: LoopLag, delivered: int) -> dict[str, Any]:
    """This process (clients and relays): how late its loop ran, and its CPU per 1,000 messages."""
    ordered = sorted(lag.samples)
    return {
        "loop_lag_ms": {"p50": _ms(percentile(ordered, 0.5)), "p99": _ms(percentile(ordered, 0.99)),
                        "max": _ms(ordered[-1] if ordered else None)},
        "cpu_seconds": round(lag.cpu_seconds, 3),
        "cpu_seconds_per_1000": _per(lag.cpu_seconds * 1000, delivered, 4),
    }
