"""``rtconform clients --browser chromium``: Chromium's WebSocket through the driver page, one tab per case;
the page server answers only its own routes and bounds what a page posts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.clients.browser import DRIVER_PAGES, BrowserLauncher, _PageRun, chromium_path
from conformance.clients.process import CUT_MARK, MAX_LINE, MAX_OUTPUT, LaunchError


@pytest.mark.slow
def test_chromium_runs_cases_in_tabs(tmp_path: Path) -> None:
    if chromium_path() is None:
        pytest.skip("chromium is not installed")
    code = main(["clients", "--suite", "wsclient", "--browser", "chromium", "-q", "--out", str(tmp_path),
                 "--close-timeout", "5", "--timeout", "20",
                 "--case", "wsclient/5.5.2", "--case", "wsclient/4.1/wrong-accept-key", "--case", "1.2.8"])
    run = json.loads((tmp_path / "run.json").read_text())
    assert {c["id"]: c["outcome"] for c in run["cases"]} == {
        "wsclient/5.5.2/ping-empty": "passed", "wsclient/4.1/wrong-accept-key": "passed",
        "wsclient/5.2/echo-binary-65536-in-997-octet-chops": "passed"}, [c["actual"] for c in run["cases"]]
    assert code == 0
    assert run["target"]["name"] == "chromium"


def test_page_output_is_bounded_and_ends_at_exit() -> None:
    async def main_() -> None:
        run = _PageRun()
        run.post_line(b"x" * (MAX_LINE + 10))
        assert await run.readline(1) == b"x" * MAX_LINE + CUT_MARK
        for _ in range(MAX_OUTPUT // MAX_LINE + 4):
            run.post_line(b"y" * MAX_LINE)
        run.post_exit(0)
        run.post_line(b"after exit")
        kept = 0
        while (line := await run.readline(1)) is not None:
            kept += len(line)
        assert kept <= MAX_OUTPUT
        assert await run.wait(0) == 0
    asyncio.run(main_())


def test_routes_and_refusals() -> None:
    launcher = BrowserLauncher("wsclient", executable="/nonexistent")
    assert launcher._route("GET", "/wsclient/abc?ws%3A%2F%2Fx", b"")[0] == "200 OK"
    assert launcher._route("POST", "/line/unknown-token", b"x")[0].startswith("404")
    assert launcher._route("GET", "/etc/passwd", b"")[0].startswith("404")
    assert set(DRIVER_PAGES) == {"wsclient", "sseclient"}
    with pytest.raises(LaunchError):
        BrowserLauncher("ws")
