"""Every long-polling case can fail: each broken server (broken_poll.py) turns the listed cases red, and
the reference server passes the whole catalog."""

from __future__ import annotations

import asyncio

import broken_poll as b
import pytest
from can_fail_checks import check_every_case_has_a_mutation, check_reference_passes, check_turns_red

from conformance.model import Outcome
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from reference.servers.poll import PollServer, PollSettings

MUTATIONS: dict[str, tuple[type[PollServer], list[str]]] = {
    "text-answer": (b.TextAnswer, ["poll/5.4/answer-json-shape"]),
    "no-hold": (b.NoHold, ["poll/5.4/held-until-news", "poll/5.5/timeout-answer-empty"]),
    "cursor-zero-on-timeout": (b.CursorZeroOnTimeout, ["poll/5.5/timeout-answer-empty"]),
    "timeout-is-408": (b.TimeoutIs408, ["poll/5.5/hold-at-most-30s", "poll/5.5/timeout-answer-empty"]),
    "latest-only": (b.LatestOnly, ["poll/2.2/batched-in-order"]),
    "wakes-one": (b.WakesOne, ["poll/2.2/many-held-polls"]),
    "forgets-while-away": (b.ForgetsWhileAway, ["poll/2.1/cursor-survives-gap",
                                                "poll/2.1/no-loss-across-polls"]),
    "strict-query": (b.StrictQuery, ["poll/2.2/cache-buster-accepted"]),
    "no-cache-control": (b.NoCacheControl, ["poll/2.2/no-caching"]),
    "serialized": (b.Serialized, ["poll/5.2/publish-while-held"]),
    "ignores-client": (b.IgnoresClient, ["poll/5.1/duplicate-poll-released"]),
    "one-read": (b.OneRead, ["poll/3.2/request-rechunked"]),
    "lax-cursor": (b.LaxCursor, ["poll/6/malformed-cursor-400"]),
    "unbounded": (b.Unbounded, ["poll/6/oversized-publish-refused"]),
    "queues-held-polls": (b.QueuesHeldPolls, ["poll/2.2/held-polls-bounded"]),
    "leaks-vanished-slot": (b.LeaksVanishedSlot, ["poll/2.2/vanished-poller-freed"]),
    "holds-forever": (b.HoldsForever, ["poll/2.2/blackholed-poller-freed"]),
}
NEVER_RED = {"poll/2.2/header-overhead"}
HOLD = 0.5
#: Polls the servers hold at once (declared in the profile): above the 50 of poll/2.2/many-held-polls.
MAX_HELD = 64
PROFILE = (("hold-timeout", str(HOLD)), ("max-held-polls", str(MAX_HELD)))


async def run_against(server: PollServer, ids: list[str]) -> list[CaseResult]:
    await server.start("127.0.0.1", 0)
    try:
        cases = load().select(ids, strict=True)
        endpoint = parse_url(server.url, ALL_SCHEMES).with_options(profile=PROFILE)
        results, _ = await run_cases(cases, endpoint, RunSettings(jobs=16, timeout=8.0))
        return results
    finally:
        await server.shutdown()


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, CaseResult]]:
    async def main() -> dict[str, dict[str, CaseResult]]:
        names = list(MUTATIONS)
        settings = PollSettings(hold_timeout=HOLD, max_held_polls=MAX_HELD)
        servers = [MUTATIONS[n][0](settings) for n in names]
        runs = await asyncio.gather(*(run_against(s, MUTATIONS[n][1]) for s, n in zip(servers, names,
                                                                                       strict=True)))
        # the reference runs on its own: its hold-timing cases (a 0.5 s hold) are not judged in the same
        # event loop as 17 other servers and their cases (CI on Python 3.12 saw a reference case go red in
        # the shared run, once, not reproduced in 6 runs here; the log kept no case id)
        runs.append(await run_against(PollServer(settings), ["poll"]))
        pairs = zip([*names, "reference"], runs, strict=True)
        return {name: {r.id: r for r in results} for name, results in pairs}

    return asyncio.run(main())


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_broken_server_turns_the_cases_red(mutation: str, outcomes: dict[str, dict[str, CaseResult]]) -> None:
    check_turns_red(MUTATIONS, mutation, outcomes)


def test_reference_passes_every_case(outcomes: dict[str, dict[str, CaseResult]]) -> None:
    check_reference_passes(outcomes, NEVER_RED)


def test_every_case_has_a_mutation() -> None:
    check_every_case_has_a_mutation("poll", MUTATIONS, NEVER_RED)


#: the cases that follow the cursor for messages published between polls
LOSS_CASES = ("poll/2.1/no-loss-across-polls", "poll/2.1/cursor-survives-gap", "poll/2.2/batched-in-order")


def test_a_lost_message_is_reported_lost_before_the_case_timeout() -> None:
    """A target that holds polls for 25 s and loses what is published between polls, run with a 3 s case
    timeout: each case says which message was lost (it does not time out)."""
    async def one(case_id: str) -> CaseResult:
        server = b.ForgetsWhileAway(PollSettings(hold_timeout=25.0))
        await server.start("127.0.0.1", 0)
        try:
            endpoint = parse_url(server.url, ALL_SCHEMES).with_options(profile=(("hold-timeout", "25"),))
            (result,), _ = await run_cases(load().select([case_id], strict=True), endpoint,
                                           RunSettings(timeout=3.0))
            return result
        finally:
            await server.shutdown()

    async def main() -> list[CaseResult]:
        return await asyncio.gather(*(one(c) for c in LOSS_CASES))

    for result in asyncio.run(main()):
        assert result.outcome is Outcome.FAILED, (result.id, result.outcome, result.error)
        assert result.actual.startswith("message lost: published 'rt"), (result.id, result.actual)


def test_poll_cases_run_exclusive_and_the_oversized_publish_last() -> None:
    """One history and one cursor space for every client: each poll case runs alone; the case that may
    leave an 8 MiB message in the history comes last, so no case of the same run reads after it."""
    cases = load().select(["poll"], strict=True)
    assert [c.id for c in cases if not c.exclusive] == []
    assert cases[-1].id == "poll/6/oversized-publish-refused"
