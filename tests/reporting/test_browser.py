"""The report in a real browser: headless Chromium over the DevTools protocol, asserting on the DOM.

Multi-target report (reference, websockets, aiohttp): the summary numbers match run.json, filters and
ordering work, a link to one case reveals it, and without JavaScript everything is still there. The
hostile target's report: a failing case's transcript is one click away and no script from the target
ran. Leaves a screenshot of the multi-target report in ``reports/report.png``.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main

from .cdp import Browser, Page, chromium
from .conftest import REPO, Ran
from .hostile_server import REASON, SCRIPT

pytestmark = pytest.mark.skipif(chromium() is None,
                                reason="chromium is not installed (apt-get install chromium)")

NAMES = ("reference", "websockets", "aiohttp")
VISIBLE = "Array.from(document.querySelectorAll('tr.case')).filter((r) => !r.hidden).map((r) => r.id)"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser.start(tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


@pytest.fixture(scope="module")
def multi(targets: dict[str, Ran], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("multi")
    labels = [arg for n in NAMES for arg in ("-l", n)]
    websockets_toml = REPO / "conformance" / "expectations" / "websockets.toml"
    expects = ["--expect", "", "--expect", str(websockets_toml), "--expect", ""]
    runs = [str(targets[n].run_json) for n in NAMES]
    assert main(["report", *runs, "-o", str(out), *labels, *expects]) == 0
    return out


def runs(targets: dict[str, Ran]) -> list[dict[str, Any]]:
    return [json.loads(targets[n].run_json.read_text()) for n in NAMES]


def set_filter(page: Page, script: str) -> list[str]:
    """Change the filter form with ``script`` (``f`` is the form), fire its input event; the visible ids."""
    page.eval(f"(() => {{ const f = document.getElementById('filters'); {script}; "
              "f.dispatchEvent(new Event('input', {bubbles: true})); })()")
    return list(page.eval(VISIBLE))


def test_summary_numbers_match_run_json(browser: Browser, multi: Path, targets: dict[str, Ran]) -> None:
    page = browser.open((multi / "index.html").as_uri())
    for i, doc in enumerate(runs(targets), 1):
        card = f"#summary-{i}"
        assert page.eval(f"document.querySelector('{card} h2').textContent") == NAMES[i - 1]
        count = "document.querySelector('{} [data-count=\"{}\"]').textContent"
        assert page.eval(count.format(card, "total")) == str(len(doc["cases"]))
        for outcome, n in doc["summary"].items():
            assert page.eval(count.format(card, outcome)) == str(n)
    headers = page.eval("Array.from(document.querySelectorAll('th.run-col')).map((th) => th.textContent)")
    assert headers == list(NAMES)
    assert page.eval("document.querySelectorAll('tr.case')[0].querySelectorAll('td.cell').length") == 3


def test_filters_order_and_links_to_one_case(browser: Browser, multi: Path, targets: dict[str, Ran]) -> None:
    docs = runs(targets)
    ids = [c["id"] for c in docs[0]["cases"]]
    page = browser.open((multi / "index.html").as_uri())
    assert page.eval("document.getElementById('filters').hidden") is False
    assert page.eval("document.getElementById('shown').value") == f"showing {len(ids)} of {len(ids)} cases"
    assert sorted(page.eval(VISIBLE)) == sorted(ids)

    passed_everywhere = {i for i in ids if all(c["outcome"] == "passed" for d in docs for c in d["cases"]
                                               if c["id"] == i)}
    only_passed = set_filter(page, "f.querySelectorAll('input[name=outcome]').forEach((i) => { "
                                   "i.checked = i.value === 'passed'; })")
    assert set(only_passed) >= passed_everywhere
    none_checked = set_filter(page, "f.querySelectorAll('input[name=outcome]').forEach((i) => { "
                                    "i.checked = false; })")
    assert none_checked == []
    assert page.eval("Array.from(document.querySelectorAll('tbody.group')).every((g) => g.hidden)")

    target = ids[len(ids) // 2]
    found = set_filter(page, f"f.reset(); f.elements.q.value = {json.dumps(target.upper())}")
    assert target in found
    assert len(found) < len(ids)
    group = page.eval(f"document.getElementById({json.dumps(target)}).parentElement.dataset.group")
    in_group = set_filter(page, f"f.reset(); f.elements.group.value = {json.dumps(group)}")
    assert target in in_group
    assert all(page.eval(f"document.getElementById({json.dumps(i)}).parentElement.dataset.group") == group
               for i in in_group)
    levels = page.eval("Array.from(document.querySelector('#filters select[name=level]').options, "
                       "(o) => o.value)")
    assert levels == ["", "MUST"], "only the levels present in the runs are offered"
    assert sorted(set_filter(page, "f.reset(); f.elements.level.value = 'MUST'")) == sorted(ids)

    set_filter(page, "f.reset(); f.elements.order.value = 'catalog'; "
                     "f.elements.order.dispatchEvent(new Event('change', {bubbles: true}))")
    shown = page.eval(VISIBLE)
    assert shown[0] == ids[0]
    assert sorted(shown) == sorted(ids)
    orders = page.eval("Array.from(document.querySelectorAll('tbody.group'), (g) => ["
                       "Number(g.dataset.order), "
                       "Array.from(g.querySelectorAll('tr.case'), (r) => Number(r.dataset.order))])")
    assert [g for g, _ in orders] == sorted(g for g, _ in orders), "groups by their first case in the catalog"
    assert all(rows == sorted(rows) for _, rows in orders), "cases in catalog order within their group"

    set_filter(page, f"f.elements.q.value = {json.dumps(ids[0])}")
    page.eval(f"location.hash = {json.dumps('#' + ids[-1])}")
    page.wait(f"!document.getElementById({json.dumps(ids[-1])}).hidden")


def test_report_reads_without_javascript(browser: Browser, multi: Path, targets: dict[str, Ran]) -> None:
    page = browser.open("about:blank")
    page.send("Emulation.setScriptExecutionDisabled", value=True)
    page.goto((multi / "index.html").as_uri())
    n = len(runs(targets)[0]["cases"])
    assert page.eval("document.getElementById('filters').hidden") is True
    assert page.eval("document.querySelectorAll('tr.case:not([hidden])').length") == n
    assert "conform" in page.eval("document.querySelector('#summary-1 .verdict').textContent")
    assert page.eval("document.querySelectorAll('#failures li').length") == page.eval(
        "document.querySelectorAll('#failures a[href^=\"cases/\"]').length")


def test_failing_transcript_is_one_click_away_and_target_script_never_runs(
    browser: Browser, hostile: Ran
) -> None:
    page = browser.open((hostile.folder / "index.html").as_uri())
    first = page.eval("document.querySelector('#failures a').href")
    page.eval("document.querySelector('#failures a').click()")
    page.wait(f"location.href === {json.dumps(first)} && document.readyState === 'complete'")
    rows = page.eval("document.querySelectorAll('#run-1 table.transcript tbody tr').length")
    assert rows > 2
    text = page.eval("document.getElementById('run-1').innerText")
    assert "target → runner" in text
    assert REASON in text or SCRIPT in text
    page.eval("document.querySelector('#run-1 details.hex').open = true")
    assert page.eval("document.querySelector('#run-1 details.hex pre').getBoundingClientRect().height") > 0
    for url in ((hostile.folder / "index.html").as_uri(), first):
        page.goto(url)
        assert page.eval("typeof window.__pwned") == "undefined"
        assert page.eval("document.querySelectorAll('img, svg:not(.spark), iframe').length") == 0
        assert page.eval("Array.from(document.scripts).map((s) => s.getAttribute('src'))") in (
            ["report.js"], ["../report.js"])


def test_screenshot_of_the_multi_target_report(browser: Browser, multi: Path) -> None:
    page = browser.open((multi / "index.html").as_uri())
    out = REPO / "reports" / "report.png"
    out.parent.mkdir(exist_ok=True)
    page.screenshot(out, width=1400, height=1500)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_passing_case_is_one_click_away_on_the_page_of_passed_cases(browser: Browser, multi: Path) -> None:
    page = browser.open((multi / "index.html").as_uri())
    href = page.eval("document.querySelector('td.cell a[href*=\"passed.html#\"]').href")
    anchor = urllib.parse.unquote(href.split("#", 1)[1])
    page.goto(href)
    page.wait("document.readyState === 'complete'")
    section = f"document.getElementById({json.dumps(anchor)})"
    assert page.eval(f"{section}.querySelectorAll('table.transcript tbody tr').length") > 2
    assert "target → runner" in page.eval(f"{section}.innerText")
    top = page.eval(f"{section}.getBoundingClientRect().top")
    # scrolled to the anchor: its top at the viewport's top, give or take a pixel of sub-pixel layout
    assert -1 <= top < page.eval("window.innerHeight"), "the link scrolls to the case's run"
