"""A Socket.IO case's verdict does not depend on the company it runs in (the rule test_isolation.py proves for
WebSocket, SSE and long-polling, here for the sio catalog).

Every sio case run alone (one ``run_cases`` call with that case only, on a server of its own) must come out
exactly as it does in a full run of the catalog at ``--jobs 16``, against the reference Socket.IO server as
``rtconform run --suite sio`` embeds it (the suite's ``reference`` arguments and ``reference_profile``) and
against the broken servers of :data:`BROKEN` (tests/fixtures/broken_sio.py), one per kind of defect: not
all of the can-fail proof's, whose other mutations break one answer each as ``ack-wrong-id`` does.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))
from broken_sio import BrokenSio  # tests/fixtures and tests/conformance, on sys.path above
from test_isolation import Outcomes, assert_same_alone_and_full, compare_on_servers
from test_sio_catalog_can_fail import MUTATIONS, RECOVERY
from test_sio_catalog_can_fail import PROFILE as BROKEN_PROFILE

from conformance.catalog.sio import SUITE
from conformance.model import Case, Outcome
from conformance.registry import load
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from reference.servers.cli import build_parser
from reference.servers.sio import SioServer
from reference.servers.sio_cli import sio_settings_from

#: mutation -> the kind of defect it stands for
BROKEN = {
    "connect-no-sid": "the Socket.IO handshake is wrong: every case past the Engine.IO open fails",
    "no-connect-timeout": "a server timer is missing: the no-handshake cases wait out their deadline",
    "closes-on-disconnect": "one namespace's end ends the session (state shared by namespaces)",
    "ack-wrong-id": "one answer's content is wrong",
    "attachment-mismatch-kept": "the binary reassembly state is kept across packets",
    "no-server-disconnect": "an awaited packet never comes: the case waits out its deadline",
    "never-times-out": "Engine.IO heartbeat timing under the Socket.IO layer",
    "no-probe-answer": "the Engine.IO upgrade under the Socket.IO layer",
    "broadcast-to-namespace": "a broadcast reaches every socket of the namespace (the room cases' company)",
}
assert set(BROKEN) <= set(MUTATIONS)


async def on_reference(cases: Sequence[Case], settings: RunSettings) -> Outcomes:
    """Run ``cases`` against a reference server of their own, configured as the embedded one."""
    server = SioServer(sio_settings_from(build_parser().parse_args(SUITE.reference)))
    await server.start("127.0.0.1", 0)
    try:
        endpoint = parse_url(server.url, ALL_SCHEMES).with_options(profile=SUITE.reference_profile)
        results, _ = await run_cases(cases, endpoint, settings)
    finally:
        await server.shutdown()
    return {r.id: r for r in results}


async def on_broken(mutation: str, cases: Sequence[Case], settings: RunSettings) -> Outcomes:
    """Run ``cases`` against a broken server of their own with ``mutation``."""
    server = BrokenSio(mutation)
    url = await server.start()
    try:
        endpoint = parse_url(url, ALL_SCHEMES).with_options(profile=BROKEN_PROFILE)
        results, _ = await run_cases(cases, endpoint, settings)
    finally:
        await server.stop()
    return {r.id: r for r in results}


@pytest.fixture(scope="module")
def comparisons() -> dict[str, tuple[Outcomes, Outcomes]]:
    return compare_on_servers(load().select(["sio"], strict=True), on_reference, on_broken, BROKEN)


@pytest.mark.slow
# measured 19-37 s on a loaded 2-core machine (9 servers, the 60 cases alone and in a full run on each);
# 25 s with 10 servers and 70 cases (2 Dec 2026, lightly loaded)
@pytest.mark.timeout(240)
def test_every_sio_verdict_is_the_same_alone_and_in_a_full_run(
        comparisons: dict[str, tuple[Outcomes, Outcomes]]) -> None:
    assert_same_alone_and_full(comparisons, {c.id for c in load().select(["sio"], strict=True)})


@pytest.mark.slow
def test_the_comparison_is_made_on_broken_servers(comparisons: dict[str, tuple[Outcomes, Outcomes]]) -> None:
    """The broken servers are broken in both runs (the cases of their proof are red) and the reference is not,
    so the verdicts compared are not all green. (The recovery cases are skipped on every server here: none
    declares recovery.)"""
    for name, (alone, full) in comparisons.items():
        red = {i for run in (alone, full) for i, r in run.items()
               if r.outcome is not Outcome.PASSED and i not in RECOVERY}
        assert red == set() if name == "reference" else red >= set(MUTATIONS[name][1]), name
