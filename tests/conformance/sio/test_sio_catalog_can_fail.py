"""Every Socket.IO case can fail: each mutation of the broken server (tests/fixtures/broken_sio.py) turns
the listed cases red, and the unmutated server passes the whole catalog, as does the embedded reference
server (``rtconform run --suite sio`` without a target)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from can_fail_checks import check_every_case_has_a_mutation, check_reference_passes, check_turns_red

from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))
from broken_sio import EIO_MUTATIONS, BrokenSio  # tests/fixtures, put on sys.path above
from broken_sio import MUTATIONS as DESCRIBED

E = "sio/engine-io/"
C = "sio/connection-to-a-namespace/"
D = "sio/disconnection-from-a-namespace/"
S = "sio/sending-and-receiving-data/"
A = "sio/acknowledgement/"
P = "sio/packet-encoding/"


def both(*ids: str) -> list[str]:
    return [f"{i}-{t}" for i in ids for t in ("ws", "polling")]


MUTATIONS: dict[str, tuple[None, list[str]]] = {name: (None, ids) for name, ids in {
    # the Engine.IO half, with broken_eio's mutations under the Socket.IO layer
    "wrong-open-packet": [E + "polling-open-packet", E + "websocket-open-packet"],
    "no-eio-check": [E + "polling-missing-eio-400", E + "missing-eio-closed"],
    "no-transport-check": [E + "polling-missing-transport-400", E + "missing-transport-closed"],
    "post-handshake": [E + "post-without-sid-400"],
    "no-ping": [E + "polling-ping-pong", E + "websocket-ping-pong"],
    "never-times-out": [E + "polling-ping-timeout-closes", E + "websocket-ping-timeout-closes"],
    "ignores-close-packet": [E + "polling-close-packet", E + "websocket-close-packet"],
    "no-noop": [E + "polling-to-websocket"],
    "no-probe-answer": [E + "polling-to-websocket", E + "polling-refused-after-upgrade",
                        E + "second-websocket-closed"],
    "polling-after-upgrade": [E + "polling-refused-after-upgrade"],
    "second-ws-kept": [E + "second-websocket-closed"],
    "ignores-max-payload": both(P + "max-payload-over-limit-refused"),
    # the Socket.IO half
    "connect-no-sid": both(C + "main-namespace", C + "custom-namespace"),
    "auth-ignored": both(C + "main-namespace-payload", C + "custom-namespace-payload"),
    "unknown-namespace-accepted": both(C + "unknown-namespace"),
    "connect-error-string": both(C + "connect-error-object"),
    "no-close-before-connect": both(C + "invalid-handshake-closes"),
    "no-connect-timeout": both(C + "no-handshake-closes"),
    "closes-on-disconnect": both(D + "main-namespace", D + "custom-then-main"),
    "replies-on-main": both(C + "multiplexed-namespaces"),
    "no-server-disconnect": both(D + "server-disconnect"),
    "event-args-dropped": both(S + "plain-text-event"),
    "binary-as-base64": both(S + "binary-event", A + "binary-event-with-ack"),
    "ack-wrong-id": both(A + "event-with-ack", A + "binary-event-with-ack"),
    "ignores-unknown-type": both(P + "unknown-type-closes"),
    "accepts-object-payload": both(S + "object-payload-closes"),
    "ignores-bad-ack-id": both(P + "invalid-ack-id-closes"),
    "attachment-mismatch-kept": both(P + "missing-attachment-closes"),
    "no-ack-request-id": both(A + "server-ack-request", A + "server-ack-request-binary"),
    "binary-ack-ignored": both(A + "server-ack-request-binary"),
    "broadcast-to-namespace": both(S + "room-broadcast-members-only"),
    "broadcast-to-sender": both(S + "room-broadcast-members-only"),
    "broadcast-across-namespaces": both(S + "room-broadcast-members-only"),
    "broadcast-twice": both(S + "room-broadcast-members-only"),
    "leave-ignored": both(S + "room-leave-stops-broadcast"),
    "max-payload-off-by-one": both(P + "max-payload-at-limit-served"),
}.items()}
#: the broken server's connect timeout and maxPayload, as its profile promises them
PROFILE = (("connect-timeout", "1000"), ("max-payload", "100000"))


async def run_against(mutation: str | None, ids: list[str]) -> list[CaseResult]:
    server = BrokenSio(mutation)
    url = await server.start()
    try:
        cases = load().select(ids, strict=True)
        endpoint = parse_url(url, ALL_SCHEMES).with_options(profile=PROFILE)
        results, _ = await run_cases(cases, endpoint, RunSettings(jobs=16, timeout=8.0))
        return results
    finally:
        await server.stop()


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, CaseResult]]:
    async def main() -> dict[str, dict[str, CaseResult]]:
        names = list(MUTATIONS)
        runs = await asyncio.gather(*(run_against(n, MUTATIONS[n][1]) for n in names),
                                    run_against(None, ["sio"]))
        pairs = zip([*names, "reference"], runs, strict=True)
        return {name: {r.id: r for r in results} for name, results in pairs}

    return asyncio.run(main())


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_broken_server_turns_the_cases_red(mutation: str, outcomes: dict[str, dict[str, CaseResult]]) -> None:
    check_turns_red(MUTATIONS, mutation, outcomes)


def test_the_unmutated_server_passes_every_case(outcomes: dict[str, dict[str, CaseResult]]) -> None:
    check_reference_passes(outcomes, ())


def test_every_case_has_a_mutation() -> None:
    check_every_case_has_a_mutation("sio", MUTATIONS, ())


def test_every_mutation_of_the_server_is_used() -> None:
    assert set(MUTATIONS) == set(DESCRIBED) | set(EIO_MUTATIONS)


@pytest.mark.slow
def test_the_embedded_reference_server_passes_every_case(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", "--suite", "sio", "--strict", "-q",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = json.loads((tmp_path / "run.json").read_text())
    assert {c["id"]: c["outcome"] for c in run["cases"]} == {
        c.id: "passed" for c in load().select(["sio"], strict=True)}
