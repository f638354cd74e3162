"""The runner's two phases: exclusive cases run after the others, one at a time, with nothing else running."""

from __future__ import annotations

import asyncio
from typing import Any

from conformance.model import MUST, Case, Verdict
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import parse_url


def _cases(running: set[str], seen: dict[str, set[str]], exclusive: set[str]) -> list[Case]:
    def body(slug: str) -> Any:
        async def run(_: object) -> Verdict:
            running.add(slug)
            await asyncio.sleep(0.02)
            seen[slug] = set(running)  # who ran at the same time, this one included
            await asyncio.sleep(0.02)
            running.discard(slug)
            return Verdict()
        return run

    slugs = ["a", "b", "x", "c", "y", "d"]
    return [Case(id=f"ws/1/{s}", spec="ws", section="1", slug=s, level=MUST, desc="d", requirement="r",
                 quote="q", run=body(s), exclusive=s in exclusive) for s in slugs]


def test_exclusive_cases_run_alone_after_the_others() -> None:
    running: set[str] = set()
    seen: dict[str, set[str]] = {}
    cases = _cases(running, seen, {"x", "y"})
    results, timed_out = asyncio.run(run_cases(cases, parse_url("ws://127.0.0.1:9/"), RunSettings(jobs=16)))
    assert not timed_out
    assert [r.id for r in results] == [c.id for c in cases]  # reported in catalog order
    assert seen["x"] == {"x"}
    assert seen["y"] == {"y"}
    assert seen["a"] == {"a", "b", "c", "d"}  # the others ran together
    by_id = {r.id: r for r in results}
    last_shared = max(by_id[f"ws/1/{s}"].started for s in "abcd")
    assert by_id["ws/1/x"].started > last_shared
    assert by_id["ws/1/y"].started > by_id["ws/1/x"].started


def test_the_run_timeout_covers_the_exclusive_phase() -> None:
    running: set[str] = set()
    seen: dict[str, set[str]] = {}
    cases = _cases(running, seen, {"x", "y"})
    settings = RunSettings(jobs=16, run_timeout=0.07)
    results, timed_out = asyncio.run(run_cases(cases, parse_url("ws://127.0.0.1:9/"), settings))
    assert timed_out
    assert "run timeout" in {r.id: r for r in results}["ws/1/y"].error
