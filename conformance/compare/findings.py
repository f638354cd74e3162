"""A few plain sentences of what a comparison's numbers show, derived from compare.json only.

Each sentence states a measured number (or a ratio of two) and names the protocols; nothing is said about a
protocol whose run failed except why it failed. Protocol names are the fixed ones (``ws``, ``sse``,
``poll``, ``sio``); error texts are quoted as data (the page escapes them).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LABELS", "findings"]

#: How the sentences name each protocol.
LABELS = {"ws": "WebSocket", "sse": "SSE", "poll": "long polling", "sio": "Socket.IO"}


def _label(protocol: str) -> str:
    return LABELS.get(protocol, protocol)


def _ms(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f} ms"


def _latency(ok: dict[str, dict[str, Any]]) -> list[str]:
    medians = {p: r["latency_ms"]["p50"] for p, r in ok.items() if r["latency_ms"]["p50"] is not None}
    if len(medians) < 2:
        return []
    parts = ", ".join(f"{_label(p)} {_ms(v)}" for p, v in medians.items())
    out = [f"Median publish-to-receipt latency: {parts}."]
    if "poll" in medians:
        for other in ("sse", "ws"):
            if other in medians:
                diff = medians["poll"] - medians[other]
                p99 = ok["poll"]["latency_ms"]["p99"] - ok[other]["latency_ms"]["p99"]
                out.append(f"Long polling's median is {diff:+.1f} ms against {_label(other)} "
                           f"(p99 {p99:+.1f} ms).")
    return out


def _bytes(ok: dict[str, dict[str, Any]]) -> list[str]:
    parts = []
    for p, r in ok.items():
        b = r["bytes"]
        if b["down_per_message"] is None:
            continue
        text = f"{_label(p)} {b['down_per_message']:.0f} B down and {b['up_per_message']:.0f} B up"
        if b["publish_per_message"] is not None:
            text += f" (plus {b['publish_per_message']:.0f} B per publish)"
        parts.append(text)
    return [f"On the wire, per delivered message: {'; '.join(parts)}."] if parts else []


def _delivery(results: dict[str, dict[str, Any]]) -> list[str]:
    out = []
    clean = []
    for p, r in results.items():
        m = r["messages"]
        rec = r["reconnections"]
        if r["status"] != "ok":
            why = r["errors"][0] if r["errors"] else "no message arrived"
            out.append(f"{_label(p)} delivered nothing: {why}.")
        elif m["lost"] or m["duplicated"]:
            out.append(f"{_label(p)} lost {m['lost']} and duplicated {m['duplicated']} of {m['expected']} "
                       f"expected deliveries, over {rec['count']} reconnections.")
        else:
            clean.append(_label(p))
    if clean:
        out.append(f"Every expected message arrived exactly once over {', '.join(clean)}.")
    return out


def _recovery(results: dict[str, dict[str, Any]]) -> list[str]:
    out = []
    for p, r in results.items():
        rec = r["reconnections"]
        if r["status"] == "ok" and rec["recover_s_median"] is not None:
            out.append(f"{_label(p)} reconnected {rec['count']} times, back in "
                       f"{rec['recover_s_median']:.2f} s (median; worst {rec['recover_s_max']:.2f} s).")
        stalls = [s["recovered_after_s"] for s in r["stalls"] if s["recovered_after_s"] is not None]
        if r["status"] == "ok" and stalls:
            out.append(f"After a stall, {_label(p)} delivered fresh messages to every subscriber within "
                       f"{max(stalls):.2f} s.")
    return out


def _transport(ok: dict[str, dict[str, Any]]) -> list[str]:
    """Where Socket.IO's sessions ran: upgraded to WebSocket, or left on long polling by a refused upgrade."""
    up = ok.get("sio", {}).get("upgrade")
    if not up:
        return []
    if up["failed"]:
        return [f"Socket.IO fell back: {up['failed']} upgrades to WebSocket were refused and those sessions "
                f"stayed on long polling ({up['upgraded']} upgraded)."]
    return [f"Socket.IO upgraded {up['upgraded']} sessions from long polling to WebSocket."]


def _cost(ok: dict[str, dict[str, Any]]) -> list[str]:
    cpu = {p: r["server"]["cpu_seconds_per_1000"] for p, r in ok.items()
           if r["server"] and r["server"]["cpu_seconds_per_1000"] is not None}
    if not cpu:
        return []
    parts = ", ".join(f"{_label(p)} {v * 1000:.0f} ms" for p, v in cpu.items())
    polls = [f"{_label(p)} opened {r['connections']['opened']} connections and sent "
             f"{r['requests']['subscriber_per_message']:.2f} requests per delivered message"
             for p, r in ok.items() if p == "poll" and r["requests"]["subscriber_per_message"] is not None]
    out = [f"Server CPU per 1,000 delivered messages: {parts}."]
    if polls:
        out.append(polls[0] + ".")
    return out


def _noise(results: dict[str, dict[str, Any]]) -> list[str]:
    lags = [r["load_client"]["loop_lag_ms"]["p99"] for r in results.values()
            if r.get("load_client") and r["load_client"]["loop_lag_ms"]["p99"] is not None]
    if not lags:
        return []
    return [f"The load client's event loop woke up to {max(lags):.1f} ms late (p99 of a 10 ms timer): "
            "latency differences smaller than that are this machine's noise, not the protocols'."]


def findings(results: dict[str, dict[str, Any]]) -> list[str]:
    """The sentences for a comparison's protocol results (compare.json ``protocols``)."""
    ok = {p: r for p, r in results.items() if r["status"] == "ok"}
    return (_latency(ok) + _bytes(ok) + _delivery(results) + _transport(ok) + _recovery(results) + _cost(ok)
            + _noise(results))
