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

from conformance.catalog.sio import SUITE
from conformance.model import Outcome
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from reference.servers.cli import build_parser
from reference.servers.sio import SioServer
from reference.servers.sio_cli import sio_settings_from

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))
from broken_sio import EIO_MUTATIONS, RECOVERY_MUTATIONS, BrokenSio  # tests/fixtures, on sys.path above
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
    # with connection state recovery on (RECOVERY_MUTATIONS)
    "recovery-replays-seen": both(C + "recovery-missed-events-once"),
    "recovery-loses-missed": both(C + "recovery-missed-events-once"),
    "recovery-replays-twice": both(C + "recovery-missed-events-once"),
}.items()}
#: the broken server's connect timeout and maxPayload, as its profile promises them
PROFILE = (("connect-timeout", "1000"), ("max-payload", "100000"))


#: the recovery cases, which run only against a server with recovery on (declared by RECOVERY_PROFILE)
RECOVERY = both(C + "recovery-missed-events-once")
RECOVERY_PROFILE = (*PROFILE, ("recovery-window", "30000"))


async def run_against(mutation: str | None, ids: list[str], *, recovery: bool = False) -> list[CaseResult]:
    server = BrokenSio(mutation, recovery=recovery)
    url = await server.start()
    try:
        cases = load().select(ids, strict=True)
        endpoint = parse_url(url, ALL_SCHEMES).with_options(profile=RECOVERY_PROFILE if recovery else PROFILE)
        results, _ = await run_cases(cases, endpoint, RunSettings(jobs=16, timeout=8.0))
        return results
    finally:
        await server.stop()


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, CaseResult]]:
    async def main() -> dict[str, dict[str, CaseResult]]:
        names = list(MUTATIONS)
        others = [c.id for c in load().select(["sio"], strict=True) if c.id not in RECOVERY]
        runs = await asyncio.gather(*(run_against(n, MUTATIONS[n][1], recovery=n in RECOVERY_MUTATIONS)
                                      for n in names),
                                    run_against(None, others), run_against(None, RECOVERY, recovery=True))
        *broken, reference, recovered = runs
        pairs = zip([*names, "reference"], [*broken, reference + recovered], strict=True)
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
    # recovery is off in the embedded server (it would add offsets the official suite's cases do not expect)
    assert {c["id"]: c["outcome"] for c in run["cases"]} == {
        c.id: "skipped" if c.id in RECOVERY else "passed" for c in load().select(["sio"], strict=True)}


def test_the_reference_server_with_recovery_on_passes_the_recovery_cases() -> None:
    """``rtconform serve sio --recovery-window 30`` (the reference, recovery on) passes what the embedded one
    skips."""
    async def main() -> list[CaseResult]:
        args = build_parser().parse_args([*SUITE.reference, "--recovery-window", "30"])
        server = SioServer(sio_settings_from(args))
        await server.start("127.0.0.1", 0)
        try:
            endpoint = parse_url(server.url, ALL_SCHEMES).with_options(
                profile=(*SUITE.reference_profile, ("recovery-window", "30000")))
            results, _ = await run_cases(load().select(RECOVERY, strict=True), endpoint,
                                         RunSettings(jobs=4, timeout=20.0))
            return results
        finally:
            await server.shutdown()

    results = asyncio.run(main())
    assert {r.id: (r.outcome, r.actual) for r in results if r.outcome is not Outcome.PASSED} == {}
    assert {r.id for r in results} == set(RECOVERY)
