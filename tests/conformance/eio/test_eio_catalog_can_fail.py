"""Every Engine.IO case can fail: each mutation of the broken server (tests/fixtures/broken_eio.py) turns
the listed cases red, and the unmutated server passes the whole catalog."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from can_fail_checks import check_every_case_has_a_mutation, check_reference_passes, check_turns_red

from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))
from broken_eio import MUTATIONS as DESCRIBED  # tests/fixtures, put on sys.path above
from broken_eio import BrokenEio

MUTATIONS: dict[str, tuple[None, list[str]]] = {name: (None, ids) for name, ids in {
    "wrong-open-packet": ["eio/handshake/polling-open-packet", "eio/handshake/websocket-open-packet"],
    "no-eio-check": ["eio/query-parameters/polling-missing-eio-400", "eio/websocket/missing-eio-closed"],
    "no-transport-check": ["eio/query-parameters/polling-missing-transport-400",
                           "eio/websocket/missing-transport-closed"],
    "put-allowed": ["eio/query-parameters/invalid-values-400"],
    "any-version": ["eio/query-parameters/unsupported-version-400"],
    "post-handshake": ["eio/query-parameters/post-without-sid-400"],
    "ok-uppercase": ["eio/sending-data/post-ok-then-echo"],
    "no-batching": ["eio/receiving-data/batched-echo"],
    "binary-raw": ["eio/packet-encoding/binary-base64-polling"],
    "keeps-session-on-bad-packet": ["eio/packet-encoding/invalid-packet-closes",
                                    "eio/message/websocket-invalid-packet-closes"],
    "duplicate-get-allowed": ["eio/receiving-data/duplicate-get-400"],
    "duplicate-post-allowed": ["eio/sending-data/duplicate-post-400"],
    "accepts-bad-sid": ["eio/sending-data/unknown-sid-post-400", "eio/receiving-data/unknown-sid-get-400"],
    "no-hold": ["eio/receiving-data/get-held"],
    "ignores-max-payload": ["eio/sending-data/max-payload-enforced"],
    "ws-text-unprefixed": ["eio/message/websocket-text-echo"],
    "ws-binary-as-text": ["eio/message/websocket-binary-echo"],
    "no-ping": ["eio/heartbeat/polling-ping-pong", "eio/heartbeat/websocket-ping-pong",
                "eio/heartbeat/ping-period"],
    "fast-ping": ["eio/heartbeat/ping-period"],
    "never-times-out": ["eio/heartbeat/polling-ping-timeout-closes",
                        "eio/heartbeat/websocket-ping-timeout-closes"],
    "ignores-close-packet": ["eio/protocol/polling-close-packet", "eio/protocol/websocket-close-packet"],
    "no-noop": ["eio/upgrade/polling-to-websocket"],
    "no-probe-answer": ["eio/upgrade/polling-to-websocket", "eio/upgrade/polling-refused-after-upgrade",
                        "eio/websocket/second-websocket-closed"],
    "polling-after-upgrade": ["eio/upgrade/polling-refused-after-upgrade"],
    "second-ws-kept": ["eio/websocket/second-websocket-closed"],
}.items()}
#: recorded, never judged (the README is ambiguous about Content-Type since v4 always uses base64)
NEVER_RED = {"eio/headers/binary-content-type"}


async def run_against(mutation: str | None, ids: list[str]) -> list[CaseResult]:
    server = BrokenEio(mutation)
    url = await server.start()
    try:
        cases = load().select(ids, strict=True)
        results, _ = await run_cases(cases, parse_url(url, ALL_SCHEMES), RunSettings(jobs=16, timeout=8.0))
        return results
    finally:
        await server.stop()


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, CaseResult]]:
    async def main() -> dict[str, dict[str, CaseResult]]:
        names = list(MUTATIONS)
        runs = await asyncio.gather(*(run_against(n, MUTATIONS[n][1]) for n in names),
                                    run_against(None, ["eio"]))
        pairs = zip([*names, "reference"], runs, strict=True)
        return {name: {r.id: r for r in results} for name, results in pairs}

    return asyncio.run(main())


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_broken_server_turns_the_cases_red(mutation: str, outcomes: dict[str, dict[str, CaseResult]]) -> None:
    check_turns_red(MUTATIONS, mutation, outcomes)


def test_the_unmutated_server_passes_every_case(outcomes: dict[str, dict[str, CaseResult]]) -> None:
    check_reference_passes(outcomes, NEVER_RED)


def test_every_case_has_a_mutation() -> None:
    check_every_case_has_a_mutation("eio", MUTATIONS, NEVER_RED)


def test_every_mutation_of_the_server_is_used() -> None:
    assert set(MUTATIONS) == set(DESCRIBED)
