"""An Engine.IO case's verdict does not depend on the company it runs in (the rule test_isolation.py proves
for WebSocket, SSE and long-polling, here for the eio catalog).

Every eio case run alone (one ``run_cases`` call with that case only, on a server of its own) must come out
exactly as it does in a full run of the catalog at ``--jobs 16``, against the reference Engine.IO server as
``rtconform run --suite eio`` embeds it (the suite's ``reference`` arguments and ``reference_profile``) and
against the broken servers of :data:`BROKEN` (tests/fixtures/broken_eio.py), one per kind of defect: not
all of the can-fail proof's, whose other mutations break one answer each as ``binary-raw`` does.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))
from broken_eio import BrokenEio  # tests/fixtures and tests/conformance, on sys.path above
from test_eio_catalog_can_fail import MUTATIONS
from test_isolation import Outcomes, assert_same_alone_and_full, compare_on_servers

from conformance.catalog.eio import SUITE
from conformance.model import Case, Outcome
from conformance.registry import load
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from reference.servers.cli import build_parser
from reference.servers.eio import EioServer
from reference.servers.eio_cli import settings_from

#: mutation -> the kind of defect it stands for
BROKEN = {
    "wrong-open-packet": "the handshake is wrong: nearly every case fails at its first step",
    "accepts-bad-sid": "sessions are not told apart: any sid is served",
    "duplicate-get-allowed": "concurrent requests of one session are not refused",
    "no-hold": "a timing promise is broken: a poll is answered at once",
    "no-ping": "a server timer is missing: the heartbeat cases wait out their deadline",
    "fast-ping": "a server timer runs at the wrong rate (a measured period)",
    "keeps-session-on-bad-packet": "a session outlives the input that should end it",
    "binary-raw": "one answer's content is wrong",
    "no-probe-answer": "the upgrade from polling to WebSocket",
}
assert set(BROKEN) <= set(MUTATIONS)


async def on_reference(cases: Sequence[Case], settings: RunSettings) -> Outcomes:
    """Run ``cases`` against a reference server of their own, configured as the embedded one."""
    server = EioServer(settings_from(build_parser().parse_args(SUITE.reference)))
    await server.start("127.0.0.1", 0)
    try:
        endpoint = parse_url(server.url, ALL_SCHEMES).with_options(profile=SUITE.reference_profile)
        results, _ = await run_cases(cases, endpoint, settings)
    finally:
        await server.shutdown()
    return {r.id: r for r in results}


async def on_broken(mutation: str, cases: Sequence[Case], settings: RunSettings) -> Outcomes:
    """Run ``cases`` against a broken server of their own with ``mutation``."""
    server = BrokenEio(mutation)
    url = await server.start()
    try:
        results, _ = await run_cases(cases, parse_url(url, ALL_SCHEMES), settings)
    finally:
        await server.stop()
    return {r.id: r for r in results}


@pytest.fixture(scope="module")
def comparisons() -> dict[str, tuple[Outcomes, Outcomes]]:
    return compare_on_servers(load().select(["eio"], strict=True), on_reference, on_broken, BROKEN)


@pytest.mark.slow
# measured 14-30 s on a loaded 2-core machine (10 servers, the 33 cases alone and in a full run on each)
@pytest.mark.timeout(240)
def test_every_eio_verdict_is_the_same_alone_and_in_a_full_run(
        comparisons: dict[str, tuple[Outcomes, Outcomes]]) -> None:
    assert_same_alone_and_full(comparisons, {c.id for c in load().select(["eio"], strict=True)})


@pytest.mark.slow
def test_the_comparison_is_made_on_broken_servers(comparisons: dict[str, tuple[Outcomes, Outcomes]]) -> None:
    """The broken servers are broken in both runs (the cases of their proof are red) and the reference is not,
    so the verdicts compared are not all green."""
    for name, (alone, full) in comparisons.items():
        red = {i for run in (alone, full) for i, r in run.items()
               if r.outcome not in (Outcome.PASSED, Outcome.INFORMATIONAL)}
        assert red == set() if name == "reference" else red >= set(MUTATIONS[name][1]), name


#: the cases that need a GET still pending at their next step, which a ping may answer first
HELD = ["eio/receiving-data/duplicate-get-400", "eio/upgrade/polling-to-websocket"]


@pytest.mark.slow
def test_a_ping_answering_the_held_get_first_never_fails_a_conforming_server() -> None:
    """With a heartbeat faster than the case's steps (20 ms), a ping answers the held GET before the second
    GET or the probe meets it (unless the server's task runs late: it shares this loop): the cases retry on
    fresh sessions and end errored (no verdict) or passed, never failed, where they failed the conforming
    server; with a 500 ms heartbeat they pass it and fail the broken ones."""
    async def main() -> dict[tuple[str | None, float], Outcomes]:
        async def one(mutation: str | None, interval: float) -> Outcomes:
            server = BrokenEio(mutation, ping_interval=interval, ping_timeout=0.5)
            url = await server.start()
            try:
                results, _ = await run_cases(load().select(HELD, strict=True), parse_url(url, ALL_SCHEMES),
                                             RunSettings(jobs=2, timeout=8.0))
            finally:
                await server.stop()
            return {r.id: r for r in results}

        keys = [(None, 0.02), (None, 0.5), ("duplicate-get-allowed", 0.5), ("no-noop", 0.5)]
        return dict(zip(keys, await asyncio.gather(*(one(*k) for k in keys)), strict=True))

    runs = asyncio.run(main())
    fast = runs[None, 0.02]
    assert set(fast) == set(HELD)
    assert all(r.outcome is Outcome.PASSED or "3 sessions in a row" in r.error for r in fast.values()), fast
    assert {i: r.outcome for i, r in runs[None, 0.5].items()} == dict.fromkeys(HELD, Outcome.PASSED)
    assert runs["duplicate-get-allowed", 0.5][HELD[0]].outcome is Outcome.FAILED
    assert runs["no-noop", 0.5][HELD[1]].outcome is Outcome.FAILED
