"""Every SSE case can fail: each deliberately broken server (broken_sse.py) turns the listed cases red,
and the reference server passes the whole catalog (SHOULD and MAY included)."""

from __future__ import annotations

import asyncio

import broken_sse as b
import pytest
from can_fail_checks import check_every_case_has_a_mutation, check_reference_passes, check_turns_red

from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from reference.servers.sse import SseServer, SseSettings

P = "sse/9.2.5/"
MUTATIONS: dict[str, tuple[type[SseServer], list[str]]] = {
    "wrong-content-type": (b.WrongContentType, ["sse/9.2.3/content-type-event-stream"]),
    "no-cache-control": (b.NoCacheControl, ["sse/9.2.3/no-caching"]),
    "content-length": (b.ContentLength, ["sse/9.2.3/streamed-not-length-delimited"]),
    "buffered": (b.Buffered, ["sse/9.2.3/event-flushed-promptly"]),
    "one-read": (b.OneRead, ["sse/9.2.3/request-rechunked"]),
    "no-space": (b.NoSpace, [P + "data-leading-space", P + "data-leading-spaces-lines"]),
    "lf-only-split": (b.LfOnlySplit, [P + "data-cr"]),
    "escape-cr": (b.EscapeCr, [P + "data-cr", P + "data-crlf"]),
    "no-split": (b.NoSplit, [P + "data-multi-line-lf", P + "data-trailing-newline", P + "data-empty-lines",
                             P + "data-field-lookalike", P + "data-many-lines"]),
    "latin-1": (b.Latin1, [P + "data-unicode"]),
    "strip-bom": (b.StripBom, [P + "data-bom-inside"]),
    "strip-nul": (b.StripNul, [P + "data-nul"]),
    "truncate": (b.Truncate, [P + "data-64kib"]),
    "skip-empty": (b.SkipEmpty, [P + "data-empty"]),
    "no-broadcast": (b.NoBroadcast, [P + "data-single-line"]),
    "colon-is-comment": (b.ColonIsComment, [P + "data-colon"]),
    "bad-retry": (b.BadRetry, ["sse/9.2.6/stream-well-formed"]),
    "no-type": (b.NoType, ["sse/9.2.6/event-type-named"]),
    "sticky-type": (b.StickyType, ["sse/9.2.6/event-type-default-message"]),
    "no-id": (b.NoId, ["sse/9.2.6/fresh-id-per-event"]),
    "id-after": (b.IdAfter, ["sse/9.2.6/id-persists-as-last-event-id"]),
    "off-by-one": (b.OffByOne, ["sse/9.2.4/resume-after-last-event-id"]),
    "no-replay": (b.NoReplay, ["sse/9.2.4/resume-published-while-away"]),
    "no-resume-point": (b.NoResumePoint, ["sse/9.2.4/resume-point-before-first-event"]),
    "reject-unknown-id": (b.RejectUnknownId, ["sse/9.2.4/last-event-id-non-ascii"]),
    "no-heartbeat": (b.NoHeartbeat, ["sse/9.2.7/heartbeat-while-idle",
                                     "sse/9.2.7/heartbeat-through-idle-proxy"]),
    "mid-line-heartbeat": (b.MidLineHeartbeat, ["sse/9.2.7/heartbeat-between-events"]),
    "blocking-publish": (b.BlockingPublish, ["sse/delivery/slow-subscriber-isolated"]),
    "skip-when-full": (b.SkipWhenFull, ["sse/delivery/slow-reader-order-kept"]),
    "no-cors": (b.NoCors, ["sse/cors/allow-origin", "sse/cors/preflight-last-event-id"]),
    "star-origin": (b.StarOrigin, ["sse/cors/credentials-echo-origin"]),
    "unbounded-queue": (b.UnboundedQueue, ["sse/lifecycle/non-reader-bounded"]),
    "leaks-slot-on-reset": (b.LeaksSlotOnReset, ["sse/lifecycle/subscriber-churn"]),
}
#: Cases that only record (MAY, informational): they cannot go red by design.
NEVER_RED = {"sse/9.2.3/content-coding"}
#: Subscribers churned: more than the 16 places of ``LeaksSlotOnReset``.
CHURN = 24
#: What the reference server of this test may hold for a subscriber (``queue_bytes``).
QUEUE_BYTES = 1 << 20
PROFILE = (("heartbeat-interval", "0.3"), ("buffer-limit", str(QUEUE_BYTES)),
           ("churn-count", str(CHURN)))

REFERENCE = SseSettings(heartbeat_interval=0.3, queue_bytes=QUEUE_BYTES)


async def run_against(server: SseServer, ids: list[str]) -> list[CaseResult]:
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
        runs = await asyncio.gather(*(run_against(MUTATIONS[n][0](), MUTATIONS[n][1]) for n in names),
                                    run_against(SseServer(REFERENCE), ["sse"]))
        pairs = zip([*names, "reference"], runs, strict=True)
        return {name: {r.id: r for r in results} for name, results in pairs}

    return asyncio.run(main())


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_broken_server_turns_the_cases_red(mutation: str, outcomes: dict[str, dict[str, CaseResult]]) -> None:
    check_turns_red(MUTATIONS, mutation, outcomes)


def test_reference_passes_every_case(outcomes: dict[str, dict[str, CaseResult]]) -> None:
    check_reference_passes(outcomes, NEVER_RED)


def test_every_case_has_a_mutation() -> None:
    check_every_case_has_a_mutation("sse", MUTATIONS, NEVER_RED)
