"""Mutation proof of the wsclient suite: each case goes red against a deliberately broken client and green
against the correct one (tests/fixtures/broken_ws_clients.py, one flag per defect family).

Every defect runs only the cases it must turn red (all of them at once, concurrently with the correct
client's full run), so the proof costs about one catalog run.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from conformance.clients.process import command_launcher
from conformance.clients.run import run_client_cases
from conformance.model import Outcome
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings

CLIENT = str(Path(__file__).resolve().parents[1] / "fixtures" / "broken_ws_clients.py")
WS = "wsclient/"

#: Autobahn 1.1.x and 1.2.x: the echo cases (sections 5.2 and 5.6)
WSCLIENT = ("conformance.catalog.wsclient",)
ECHO_CASES = [c.id for c in load(WSCLIENT).cases if (c.autobahn or "").startswith("1.")]
#: Autobahn 12.x and 13.x: the compressed echo cases (RFC 7692)
DEFLATE_ECHO_CASES = [c.id for c in load(WSCLIENT).cases if (c.autobahn or "").startswith(("12.", "13."))]
DEFLATE_CASES = [c.id for c in load(WSCLIENT).cases if c.section.startswith("rfc7692")]
#: cases that need a client offering permessage-deflate without client_max_window_bits: run with that offer
PLAIN_OFFER_CASES = {f"{WS}rfc7692-7/unoffered-client-max-window-bits"}
PLAIN_OFFER = "permessage-deflate"
VALID_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999)
INVALID_CODES = (0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999)

#: defect -> the cases it must turn red (``failed``)
MUTATIONS: dict[str, list[str]] = {
    "bad-request": [f"{WS}4.1/request-is-an-upgrade"],
    "short-key": [f"{WS}4.1/key-is-16-byte-nonce"],
    "ignore-accept": [f"{WS}4.1/wrong-accept-key", f"{WS}4.1/missing-accept"],
    "ignore-upgrade": [f"{WS}4.1/missing-upgrade", f"{WS}4.1/wrong-upgrade", f"{WS}4.1/missing-connection",
                       f"{WS}4.1/status-200"],
    "ignore-negotiation": [f"{WS}4.1/unrequested-extension", f"{WS}4.1/unrequested-subprotocol"],
    "unmasked": [f"{WS}5.1/client-frames-masked"],
    "fixed-mask": [f"{WS}5.3/fresh-mask-keys"],
    "accept-masked": [f"{WS}5.1/masked-server-frame"],
    "bad-echo": [*ECHO_CASES, f"{WS}5.4/text-in-2-fragments", f"{WS}5.6/valid-utf8-text",
                 f"{WS}5.6/valid-utf8-octet-fragments", f"{WS}5.5.1/close-after-echo",
                 f"{WS}5.4/text-in-2-fragments-frame-writes", f"{WS}5.4/text-in-2-fragments-octet-writes",
                 f"{WS}5.6/empty-fragments", f"{WS}5.6/empty-first-and-last-fragment",
                 f"{WS}5.6/utf8-split-at-code-point"],
    "ignore-rsv": [f"{WS}5.2/rsv-{v}-on-{k}" for v, k in ((4, "text"), (2, "text"), (6, "text"), (1, "text"),
                                                          (5, "binary"), (3, "ping"), (7, "close"))],
    "ignore-opcode": [f"{WS}5.2/reserved-opcode-{op}" for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)],
    "no-pong": [f"{WS}5.5.2/ping-empty", f"{WS}5.5.3/ping-text-payload", f"{WS}5.5.3/ping-binary-payload",
                f"{WS}5.5.3/ping-125-bytes", f"{WS}5.5.3/ping-125-bytes-octet-chops",
                f"{WS}5.4/ping-between-fragments", f"{WS}5.4/ping-between-fragments-frame-writes",
                f"{WS}5.4/ping-between-fragments-octet-writes"],
    "lax-control": [f"{WS}5.5/ping-126-bytes", f"{WS}5.5/fragmented-ping", f"{WS}5.5/fragmented-pong",
                    f"{WS}5.5/close-payload-126-bytes"],
    "lax-fragments": [f"{WS}5.4/{slug}" for slug in (
        "continuation-without-start", "text-opcode-on-second-fragment",
        "continuation-without-start-frame-writes",
        "continuation-without-start-octet-writes", "open-continuation-without-start",
        "open-continuation-without-start-frames", "open-continuation-without-start-octets",
        "continuation-after-whole-message", "stray-continuation-then-fragments-twice",
        "stray-final-continuation-then-fragments")],
    "no-utf8": [f"{WS}8.1/invalid-utf8-text", f"{WS}8.1/invalid-utf8-octet-fragments",
                f"{WS}8.1/close-reason-invalid-utf8"],
    "lax-close": [f"{WS}5.5.1/close-1-byte-payload",
                  *(f"{WS}{'7.4.2' if c >= 1016 else '7.4.1'}/invalid-close-code-{c}"
                    for c in INVALID_CODES)],
    "no-close-reply": [f"{WS}5.5.1/close-empty-payload", f"{WS}5.5.1/close-code-only",
                       f"{WS}5.5.1/close-code-and-reason", f"{WS}5.5.1/close-reason-123-bytes",
                       *(f"{WS}{'7.4.2' if c >= 3000 else '7.4.1'}/close-code-{c}" for c in VALID_CODES)],
    "close-tcp-first": [f"{WS}7.1.1/waits-for-server-tcp-close"],
    "data-after-close": [f"{WS}5.5.1/text-after-close", f"{WS}5.5.1/fragment-close-fragment"],
    "keep-tcp-open": [f"{WS}5.5.1/closes-tcp-after-handshake"],
    "no-fail-fast": [f"{WS}8.1/utf8-fail-fast-{kind}"
                     for kind in ("frames", "cut-frame", "chops", "cut-chops")],
    "lax-deflate": [f"{WS}rfc7692-7/{slug}" for slug in (
        "server-max-window-bits-7", "server-max-window-bits-16", "unknown-parameter", "duplicate-parameter",
        "unoffered-client-max-window-bits")],
    "no-inflate": DEFLATE_ECHO_CASES,
    "bad-inflate": [f"{WS}rfc7692-7.2/server-context-takeover"],
}


def _launch(defect: str | None, offer: str | None = None):  # type: ignore[no-untyped-def]
    return command_launcher([sys.executable, CLIENT, *(["--defect", defect] if defect else []),
                             *([f"--offer={offer}"] if offer is not None else [])])


async def _all() -> dict[str, dict[str, CaseResult]]:
    registry = load(WSCLIENT)
    settings = RunSettings(jobs=12, timeout=15.0)

    async def one(defect: str | None, ids: Sequence[str], offer: str | None = None,
                  name: str | None = None) -> tuple[str, dict[str, CaseResult]]:
        cases = [registry.by_id[i] for i in ids if (i in PLAIN_OFFER_CASES) == (offer == PLAIN_OFFER)]
        results, _ = await run_client_cases(cases, _launch(defect, offer), defect or "correct", settings)
        return name or defect or "correct", {r.id: r for r in results}

    every = [c.id for c in registry.cases]
    runs = [one(None, every), one(None, every, PLAIN_OFFER, "correct, plain offer"),
            one(None, DEFLATE_CASES, "", "no offer"),
            *(one(d, ids) for d, ids in MUTATIONS.items()),
            *(one(d, ids, PLAIN_OFFER, f"{d}, plain offer") for d, ids in MUTATIONS.items()
              if PLAIN_OFFER_CASES & set(ids))]
    return dict(await asyncio.gather(*runs))


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, CaseResult]]:
    return asyncio.run(asyncio.wait_for(_all(), 240))


def test_every_case_has_a_defect_that_turns_it_red() -> None:
    every = {c.id for c in load(WSCLIENT).cases}
    covered = {i for ids in MUTATIONS.values() for i in ids}
    assert covered - every == set()  # no stale ids
    assert every - covered == set()


@pytest.mark.slow
def test_the_correct_client_passes_every_case(outcomes: dict[str, dict[str, CaseResult]]) -> None:
    got = {**outcomes["correct"], **outcomes["correct, plain offer"]}
    assert set(got) == {c.id for c in load(WSCLIENT).cases}
    bad = {i: (r.outcome.value, r.actual or r.error) for i, r in got.items()
           if r.outcome is not Outcome.PASSED}
    assert bad == {}


@pytest.mark.slow
def test_deflate_cases_skip_a_client_offering_none(outcomes: dict[str, dict[str, CaseResult]]) -> None:
    got = outcomes["no offer"]
    assert set(got) == {i for i in DEFLATE_CASES if i not in PLAIN_OFFER_CASES}
    not_skipped = {i: r.outcome.value for i, r in got.items()
                   if r.outcome is not Outcome.SKIPPED
                   or "offers no permessage-deflate" not in (r.error or r.actual)}
    assert not_skipped == {}


@pytest.mark.slow
@pytest.mark.parametrize("defect", sorted(MUTATIONS))
def test_the_defect_turns_its_cases_red(defect: str, outcomes: dict[str, dict[str, CaseResult]]) -> None:
    got = {**outcomes[defect], **outcomes.get(f"{defect}, plain offer", {})}
    assert set(got) == set(MUTATIONS[defect])
    not_red = {i: (r.outcome.value, r.actual or r.error) for i, r in got.items()
               if r.outcome is not Outcome.FAILED}
    assert not_red == {}
