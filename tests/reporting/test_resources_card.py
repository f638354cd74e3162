"""The summary card's resource line: peak memory, CPU seconds, sample count and a sparkline, from
``target.resources`` in run.json (hand-built, hand-edited and from a real run)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from conformance.reporting.html import render
from conformance.reporting.resview import SPARK_POINTS, human_bytes, resource_view
from conformance.results import RunResult

from .builders import case, run
from .conftest import Ran
from .htmlscan import scan

MIB = 2**20


def usage(mems: list[int], *, cpu_step: float = 0.01, **extra: object) -> dict[str, object]:
    samples = [{"t": i * 0.25, "mem_bytes": m, "cpu_s": 0.5 + i * cpu_step} for i, m in enumerate(mems)]
    doc: dict[str, object] = {"source": "proc", "what": "RSS of the target's session", "interval_s": 0.25,
                              "peak_mem_bytes": max(mems), "cpu_s": round(cpu_step * (len(mems) - 1), 4),
                              "probe_errors": 0, "samples": samples}
    doc.update(extra)
    return doc


def sampled(resources: object, name: str = "sampled") -> RunResult:
    base = run(case("ws/1.1/echo-text"), name=name)
    return replace(base, target=replace(base.target, kind="command", resources=resources))


def card(html: str, index: int = 1) -> str:
    match = re.search(rf'<article class="run-card [^"]*" id="summary-{index}".*?</article>', html, re.S)
    assert match, f"no summary card {index}"
    return match.group(0)


def test_view_numbers_come_from_the_samples() -> None:
    view = resource_view(usage([40 * MIB, 42 * MIB, 41 * MIB], cpu_step=0.2))
    assert view is not None
    assert (view.peak, view.cpu, view.samples, view.probe_errors) == ("42.0 MiB", "0.40 s", 3, 0)
    assert (view.low, view.high, view.span_s) == (40 * MIB, 42 * MIB, 0.5)
    xs_ys = [tuple(map(float, p.split(","))) for p in view.points.split()]
    assert [x for x, _ in xs_ys] == [0.0, 50.0, 100.0]
    assert xs_ys[1][1] < xs_ys[2][1] < xs_ys[0][1], "higher memory is drawn higher (smaller y)"
    assert "40.0 MiB to 42.0 MiB over 0.5 s, 3 samples" in view.caption


def test_long_runs_are_thinned_but_keep_their_peak() -> None:
    mems = [10 * MIB] * 3000
    mems[1777] = 99 * MIB
    view = resource_view(usage(mems))
    assert view is not None
    assert view.samples == 3000
    assert len(view.points.split()) == SPARK_POINTS
    assert view.high == 99 * MIB, "the peak survives the thinning"
    assert min(float(p.split(",")[1]) for p in view.points.split()) == 2.0


def test_missing_or_malformed_resources_are_not_an_error() -> None:
    assert resource_view(None) is None
    assert resource_view("lots") is None
    assert resource_view({"samples": []}) is None
    view = resource_view({"samples": [{"t": 0, "mem_bytes": 5 * MIB, "cpu_s": 1.0}, "junk",
                                      {"t": "x", "mem_bytes": 1}, {"t": 1, "mem_bytes": True},
                                      {"t": 2, "mem_bytes": 6 * MIB, "cpu_s": 1.5}],
                          "peak_mem_bytes": "huge", "cpu_s": None, "probe_errors": [1]})
    assert view is not None
    assert (view.samples, view.peak, view.cpu, view.probe_errors) == (2, "6.0 MiB", "0.50 s", 0)
    only_numbers = resource_view({"peak_mem_bytes": 2048, "cpu_s": None, "samples": None})
    assert only_numbers is not None
    assert (only_numbers.peak, only_numbers.cpu, only_numbers.points) == ("2.0 KiB", "not measured", "")


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 1023, 1024, 5 * MIB + MIB // 2, 3 * 2**30, 5 * 2**40)] == [
        "0 B", "1023 B", "1.0 KiB", "5.5 MiB", "3.0 GiB", "5120.0 GiB"]


def test_summary_card_shows_the_resource_line_and_a_sparkline() -> None:
    runs = [sampled(usage([40 * MIB, 44 * MIB, 41 * MIB], cpu_step=0.5)), run(case("ws/1.1/echo-text"))]
    html = render(runs)["index.html"]
    first, second = card(html, 1), card(html, 2)
    doc = scan(first)
    assert doc.problems() == []
    assert 'data-res="peak">44.0 MiB<' in first
    assert 'data-res="cpu">1.00 s<' in first
    assert 'data-res="samples">3<' in first
    assert "every 0.25 s" in first
    (svg,) = doc.all("svg")
    assert svg["class"] == "spark"
    (line,) = doc.all("polyline")
    assert len(str(line["points"]).split()) == 3
    assert "proc: RSS of the target" in doc.text
    assert "resources" not in second, "a url target samples nothing and shows no line"


def test_hand_edited_resource_strings_stay_text() -> None:
    evil = '<script>alert(1)</script>"><svg onload=alert(2)>'
    html = render([sampled(usage([MIB, 2 * MIB], source=evil, what=evil, probe_errors=3))])["index.html"]
    doc = scan(html)
    assert doc.problems() == []
    assert evil in doc.text
    assert "<script>alert(1)" not in html
    assert "3 failed" in card(html)


def test_real_run_card_matches_run_json(targets: dict[str, Ran]) -> None:
    ran = targets["reference"]
    resources = json.loads(ran.run_json.read_text())["target"]["resources"]
    assert resources, "the runner sampled the reference server"
    assert resources["samples"]
    html = (ran.folder / "index.html").read_text()
    text = scan(card(html)).text
    assert f"peak memory {human_bytes(resources['peak_mem_bytes'])}" in text
    assert f"{len(resources['samples'])} samples" in text
