"""The HTML page of ``rtconform compare``: drawn from compare.json alone, one self-contained file.

The page has the findings (:mod:`conformance.compare.findings`), one table of headline numbers, and three
inline SVG charts (:mod:`conformance.compare.svg`): the latency CDF per protocol, bytes per delivered
message, and open connections over time. It loads nothing (a Content-Security-Policy forbids it) and runs
no script; every text from the data is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from conformance.compare.findings import LABELS, findings
from conformance.compare.svg import COLORS, Series, bar_chart, step_chart

__all__ = ["render_compare_page"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.sub{color:#555;margin:0 0 16px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
td{white-space:nowrap}th:first-child,td:first-child{text-align:left}
thead th{background:#f3f3f3}.failed{color:#a00}
.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{color:#555;font-size:12px;max-width:560px}
ul.findings li{margin:4px 0}code{background:#f3f3f3;padding:0 3px}
"""


def _cell(v: Any, digits: int = 1) -> str:
    """A number formatted (or "-" for none), escaped."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return escape(f"{v:,.{digits}f}")
    if isinstance(v, int):
        return escape(f"{v:,}")
    return escape(str(v))


def _table(protocols: dict[str, dict[str, Any]]) -> str:
    head = ("protocol", "latency p50 / p95 / p99 / max (ms)", "delivered / expected", "lost", "dup.",
            "bytes down / up per msg", "bytes per publish", "TCP conns", "requests per msg", "reconnects",
            "server CPU ms per 1,000 msgs", "client loop lag p99 ms")
    rows = []
    for p, r in protocols.items():
        lat, m, b = r["latency_ms"], r["messages"], r["bytes"]
        cpu = r["server"]["cpu_seconds_per_1000"] if r["server"] else None
        name = LABELS.get(p, p) + ("" if r["status"] == "ok" else f" ({r['status']})")
        cells = [escape(name), " / ".join(_cell(lat[k]) for k in ("p50", "p95", "p99", "max")),
                 f"{_cell(m['delivered'])} / {_cell(m['expected'])}", _cell(m["lost"]),
                 _cell(m["duplicated"]),
                 f"{_cell(b['down_per_message'], 0)} / {_cell(b['up_per_message'], 0)}",
                 _cell(b["publish_per_message"], 0),
                 _cell(r["connections"]["opened"] + r["connections"]["publish_opened"]),
                 _cell(r["requests"]["subscriber_per_message"], 3), _cell(r["reconnections"]["count"]),
                 _cell(None if cpu is None else cpu * 1000, 0),
                 _cell((r.get("load_client") or {}).get("loop_lag_ms", {}).get("p99"))]
        klass = "" if r["status"] == "ok" else ' class="failed"'
        rows.append(f"<tr{klass}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _charts(protocols: dict[str, dict[str, Any]]) -> str:
    names = list(protocols)
    color = {p: COLORS.get(p, "#555") for p in names}
    lows = [r["latency_cdf_ms"][0][0] for r in protocols.values() if r["latency_cdf_ms"]]
    highs = [r["latency_cdf_ms"][-1][0] for r in protocols.values() if r["latency_cdf_ms"]]
    wide = bool(lows) and max(highs) > 50 * max(min(lows), 0.1)  # orders of magnitude: a log axis
    cdf = step_chart("Latency CDF, publish to receipt",
                     [Series(LABELS.get(p, p), color[p], [(x, y) for x, y in r["latency_cdf_ms"]])
                      for p, r in protocols.items()],
                     "latency (ms, log scale)" if wide else "latency (ms)", "fraction of deliveries",
                     y_max=1.0, log_x=wide)
    over_time = step_chart("Worst latency by publish time",
                           [Series(LABELS.get(p, p), color[p],
                                   [(t, v) for t, v in r.get("latency_timeline_ms", ())])
                            for p, r in protocols.items()],
                           "seconds since publishing started", "worst latency (ms)")
    bars = bar_chart("Bytes on the wire per delivered message", [LABELS.get(p, p) for p in names],
                     [(label, shade, [protocols[p]["bytes"][key] for p in names])
                      for label, shade, key in (("down", "#1f4e9c", "down_per_message"),
                                                ("up", "#d9711c", "up_per_message"),
                                                ("per publish", "#999999", "publish_per_message"))],
                     "bytes")
    conns = step_chart("Open TCP connections (subscribers)",
                       [Series(LABELS.get(p, p), color[p],
                               [(max(0.0, t), n) for t, n in r["connections"]["timeline"]])
                        for p, r in protocols.items()],
                       "seconds since publishing started", "open connections")
    captions = ("Fraction of deliveries at or below each latency.",
                "The slowest delivery of the messages published in each slice of time: stalls and "
                "reconnections show as peaks.",
                "TCP payload counted at the relay: HTTP heads, frames, bodies. A publish (SSE, polling) is "
                "one POST from the backend's side.",
                "Connections through the impairment relay; drops show resets, idle timeouts, reconnections.")
    figures = zip((cdf, over_time, bars, conns), captions, strict=True)
    return ('<div class="charts">' + "".join(f"<figure>{svg}<figcaption>{escape(c)}</figcaption></figure>"
                                             for svg, c in figures) + "</div>")


def _details(protocols: dict[str, dict[str, Any]]) -> str:
    out = []
    for p, r in protocols.items():
        items = [f"target <code>{escape(str(r['url']))}</code>"]
        if r.get("publish_url"):
            items.append(f"publish <code>{escape(str(r['publish_url']))}</code>")
        rec = r["reconnections"]
        items.append(f"{rec['refused']} attempts refused, {rec['resets_by_network']} resets and "
                     f"{rec['idle_closes_by_network']} idle closes by the network")
        items += [f"stall {s['start_s']:.1f} to {s['end_s']:.1f} s: fresh messages everywhere after "
                  f"{_cell(s['recovered_after_s'], 2)} s" for s in r["stalls"]]
        items += [f"error: {escape(e)}" for e in r["errors"]]
        out.append(f"<h3>{escape(LABELS.get(p, p))}</h3><ul>" + "".join(f"<li>{i}</li>" for i in items)
                   + "</ul>")
    return "".join(out)


def render_compare_page(doc: dict[str, Any]) -> str:
    """The page for a compare.json document."""
    protocols: dict[str, dict[str, Any]] = doc["protocols"]
    w = doc["workload"]
    sub = (f"network: {doc['network']['description']} · workload: {w['rate']:g} msg/s, {w['size']} B, "
           f"{w['subscribers']} subscribers, {w['duration']:g} s · {doc['created']} · "
           f"rtconform {doc['tool_version']}")
    sentences = "".join(f"<li>{escape(s)}</li>" for s in doc.get("findings") or findings(protocols))
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\"><title>rtconform compare</title>"
            f"<style>{_CSS}</style></head><body><h1>WebSocket vs SSE vs long polling</h1>"
            f"<p class=\"sub\">{escape(sub)}</p><h2>What the numbers show</h2>"
            f"<ul class=\"findings\">{sentences}</ul><h2>Headline numbers</h2>{_table(protocols)}"
            f"<h2>Charts</h2>{_charts(protocols)}<h2>Details</h2>{_details(protocols)}"
            "<h2>Method</h2><p>Latency runs from the moment a message is written by its publisher to its "
            "arrival at a subscriber, on one clock. SSE and polling messages are published by a backend "
            "client over the same delays (no stalls or resets on that path); the WebSocket server is an echo "
            "server, so every WebSocket message is published by its own subscriber and crosses the link both "
            "ways. Messages carry their ids: a message received twice by one subscriber is a duplicate, one "
            "never received is lost.</p></body></html>\n")
