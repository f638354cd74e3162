"""``rtconform compare``: usage errors, the page's escaping, a short run against the embedded reference
servers (compare.json and the page rendered in headless Chromium), and WebSocket through the proxy that
strips Upgrade."""

from __future__ import annotations

import asyncio
import copy
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.compare.findings import findings
from conformance.compare.impairment import parse_impairment
from conformance.compare.runner import run_protocol
from conformance.compare.workload import Server, Workload
from conformance.reporting.compare_page import render_compare_page
from conformance.targets.process import ReferenceTarget


@pytest.mark.parametrize("argv", [
    ["compare", "--network", "warp-speed"],
    ["compare", "--network", "stall=2s/3s"],
    ["compare", "--url", "ws=http://127.0.0.1:1/"],
    ["compare", "--url", "mqtt=tcp://x"],
    ["compare", "--url", "sse=https://example.test/events"],
    ["compare", "--publish-url", "ws=http://127.0.0.1:1/publish"],
    ["compare", "--size", "4"],
    ["compare", "--rate", "-1"],
])
def test_compare_rejects_bad_options_in_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rtconform: error: ")
    assert err.count("\n") == 1


def _result(protocol: str, **over: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "protocol": protocol, "url": "ws://127.0.0.1:1/", "publish_url": None, "status": "ok", "errors": [],
        "messages": {"published": 10, "expected": 10, "delivered": 10, "lost": 0, "duplicated": 0,
                     "unexpected": 0, "misrouted": 0, "publish_skipped": 0, "publish_failed": 0},
        "latency_ms": {"p50": 5.0, "p95": 9.0, "p99": 9.5, "max": 10.0, "mean": 6.0},
        "latency_cdf_ms": [[1.0, 0.1], [5.0, 0.5], [10.0, 1.0]],
        "bytes": {"down_per_message": 100.0, "up_per_message": 10.0, "publish_per_message": None},
        "connections": {"opened": 2, "publish_opened": 0, "timeline": [[-0.1, 1], [0.0, 2], [1.0, 0]]},
        "requests": {"subscriber": 2, "publish": 0, "subscriber_per_message": 0.2},
        "reconnections": {"count": 0, "refused": 0, "recover_s_median": None, "recover_s_max": None,
                          "resets_by_network": 0, "idle_closes_by_network": 0},
        "stalls": [], "server": None,
    }
    result.update(over)
    return result


def _doc(protocols: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"schema": "rtconform-compare/1", "tool_version": "0", "created": "2026-12-02T00:00:00Z",
            "workload": Workload().to_json(), "network": {"description": "lan"}, "protocols": protocols,
            "findings": findings(protocols)}


def test_page_escapes_everything_from_the_data() -> None:
    evil = "<script>alert(1)</script>"
    failed = _result("ws", status="failed", errors=[f"handshake refused: {evil}"], url=f"ws://h/{evil}",
                     latency_cdf_ms=[], messages={**_result("ws")["messages"], "delivered": 0, "lost": 10})
    doc = _doc({"ws": failed, "sse": _result("sse")})
    doc["network"]["description"] = evil
    page = render_compare_page(doc)
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "WebSocket delivered nothing: handshake refused: &lt;script&gt;" in page
    assert page.count("<svg") == 4


def test_findings_compare_long_polling_with_the_others() -> None:
    results = {"ws": _result("ws"), "sse": _result("sse"),
               "poll": _result("poll", latency_ms={"p50": 25.0, "p95": 40.0, "p99": 60.5, "max": 70.0,
                                                   "mean": 30.0})}
    results["sse"]["load_client"] = {"loop_lag_ms": {"p50": 0.5, "p99": 12.25, "max": 30.0}}
    lines = findings(copy.deepcopy(results))
    assert "Long polling's median is +20.0 ms against SSE (p99 +51.0 ms)." in lines
    assert any(line.startswith("The load client's event loop woke up to 12.2 ms late") for line in lines)
    assert "Every expected message arrived exactly once over WebSocket, SSE, long polling." in lines


def test_websocket_fails_through_the_upgrade_stripping_proxy() -> None:
    async def main_() -> dict[str, Any]:
        target = ReferenceTarget(["ws"])
        await target.start()
        assert target.url is not None
        try:
            return await run_protocol(Server("ws", target.url), Workload(duration=0.5, subscribers=2),
                                      parse_impairment("strip-upgrade"))
        finally:
            await target.stop()

    result = asyncio.run(main_())
    assert result["status"] == "failed"
    assert result["messages"]["delivered"] == 0
    assert result["reconnections"]["refused"] >= 2
    assert any(e.startswith("handshake refused: status 4") for e in result["errors"]), result["errors"]


@pytest.mark.slow
def test_compare_runs_every_protocol_and_the_page_renders(tmp_path: Path) -> None:
    code = main(["compare", "--duration", "1", "--subscribers", "2", "--rate", "10", "--network", "rtt=20ms",
                 "--out", str(tmp_path), "--quiet"])
    doc = json.loads((tmp_path / "compare.json").read_text())
    assert code == 0, doc
    assert doc["schema"] == "rtconform-compare/1"
    assert list(doc["protocols"]) == ["ws", "sse", "poll", "sio"]
    for protocol, result in doc["protocols"].items():
        m = result["messages"]
        assert (result["status"], m["lost"], m["duplicated"]) == ("ok", 0, 0), (protocol, result)
        assert m["delivered"] == m["expected"] > 0
        assert result["latency_ms"]["p50"] >= 20.0  # the relay's 20 ms round trip (one way each leg)
        assert result["server"]["cpu_seconds"] >= 0
        assert result["load_client"]["loop_lag_ms"]["p99"] >= 0
    assert doc["protocols"]["poll"]["requests"]["subscriber_per_message"] >= 0.9  # one poll per message
    _render_in_chromium((tmp_path / "compare.html").read_bytes())


def _render_in_chromium(html: bytes) -> None:
    from devtools_page import Page, browser, serve_pages
    from websockets.asyncio.client import connect

    with serve_pages({"/": ("text/html; charset=utf-8", html)}) as origin, browser() as devtools:
        async def check() -> dict[str, Any]:
            async with connect(devtools, max_size=2**24) as ws:
                page = Page(ws)
                await page.call("Page.navigate", url=origin + "/")
                await page.until("document.readyState === 'complete'")
                value: dict[str, Any] = await page.value(
                    "({svgs: document.querySelectorAll('svg').length,"
                    " paths: document.querySelectorAll('svg path').length,"
                    " rows: document.querySelectorAll('tbody tr').length,"
                    " findings: document.querySelectorAll('ul.findings li').length,"
                    " width: document.querySelector('svg').getBoundingClientRect().width,"
                    " scripts: document.scripts.length})")
                return value

        seen = asyncio.run(check())
    assert seen["svgs"] == 4
    assert seen["paths"] >= 12  # a CDF, a latency-over-time and a connections line per protocol
    assert seen["rows"] == 4
    assert seen["findings"] >= 3
    assert seen["width"] > 100
    assert seen["scripts"] == 0


def test_compare_says_why_an_unreachable_server_delivered_nothing(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["compare", "--protocol", "ws", "--url", f"ws=ws://127.0.0.1:{port}/", "--duration", "0.3",
                 "--subscribers", "1", "--out", str(tmp_path), "--quiet"])
    doc = json.loads((tmp_path / "compare.json").read_text())
    assert code == 1
    assert doc["protocols"]["ws"]["status"] == "failed"
    assert doc["findings"][0].startswith(f"WebSocket delivered nothing: the relay could not connect to "
                                         f"127.0.0.1:{port}")
