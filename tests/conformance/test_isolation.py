"""A case's verdict does not depend on the company it runs in (issue 10).

For the SSE and long-polling catalogs, against the reference server and every broken server of their
can-fail proofs: each case run alone (one ``run_cases`` call with that case only, on a server of its own)
must come out exactly as it does in a full run of its catalog at ``--jobs 16``. For WebSocket, the same
comparison for the whole catalog against the reference server (through the identity proxy) and for every
mutation proof's selection (echo first then fail, fail fast, delayed pongs, close codes, ...).

Alone-runs of different cases use different servers, so they run concurrently (``ALONE_AT_ONCE`` at a
time) without seeing each other's traffic; the profile shortens heartbeats and holds as the can-fail
proofs do.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, Protocol

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "sse"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "poll"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mutation"))

from mutating_proxy import Mutation  # tests/fixtures and tests/mutation, on sys.path above
from mutation_harness import proxied
from mutation_proofs import PROOFS
from target_servers import reference_server
from test_poll_catalog_can_fail import MUTATIONS as POLL_MUTATIONS
from test_sse_catalog_can_fail import MUTATIONS as SSE_MUTATIONS
from test_sse_catalog_can_fail import PROFILE as SSE_PROFILE
from test_sse_catalog_can_fail import REFERENCE as SSE_REFERENCE

from conformance.model import Case
from conformance.registry import Registry, load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from reference.servers.poll import PollServer, PollSettings
from reference.servers.sse import SseServer

#: the full run: the CLI's default concurrency
FULL = RunSettings(jobs=16, timeout=8.0)
ALONE = RunSettings(jobs=1, timeout=8.0)
#: alone-runs in flight at once (each on its own server, so they cannot see each other)
ALONE_AT_ONCE = 24
#: the hold timeout of the poll servers (a timing verdict needs the hold well above the scheduling delays of
#: a loaded machine: here about 90 runs share one core)
HOLD = 2.0
POLL_PROFILE = (("hold-timeout", str(HOLD)),)
#: Cases that push megabytes through the target on every run (``sse/lifecycle/non-reader-bounded``: 7 MiB
#: to a reading subscriber, a stalled one behind it). They are exclusive (run alone even in a full run), and
#: on every broken server they would multiply this test's time by four on a loaded machine, so they are
#: compared on the reference server and on the broken servers whose proof they are.
HEAVY = frozenset({"sse/lifecycle/non-reader-bounded"})
#: Broken servers that never answer a poll without news: every hold-timing case waits for its whole case
#: timeout (140 s) on them, so only the cases whose proof they are are compared.
NEVER_ANSWER = frozenset({"holds-forever"})
#: Broken servers whose defect carries state from one connection to the next: ``leaks-slot-on-reset`` loses
#: one of its 16 places to every connection that ends in a reset, and a full catalog ends some of its
#: streams with one (an unread heartbeat in our receive buffer when we close turns the FIN into an RST), so
#: a full run ends with every place lost; ``sticky-type`` gives an untyped event the type of the last typed
#: event any stream published, so in a full run one case's events carry another case's type. Both are the
#: defect showing, as in a real run, not a dependence between cases: only the cases whose proof they are
#: are compared.
ACCUMULATES = frozenset({"leaks-slot-on-reset", "sticky-type"})

Outcomes = dict[str, CaseResult]


class Server(Protocol):
    url: str

    async def start(self, host: str, port: int) -> Any: ...

    async def shutdown(self) -> Any: ...


def _sse_server(cls: type[SseServer]) -> Callable[[], Server]:
    if inspect.signature(cls).parameters:  # the variant takes the reference's settings
        return lambda: cls(SSE_REFERENCE)
    return cls


def _poll_server(cls: type[PollServer]) -> Callable[[], Server]:
    if inspect.signature(cls).parameters:
        return lambda: cls(PollSettings(hold_timeout=HOLD))
    return cls


async def _run(make: Callable[[], Server], cases: Sequence[Case], profile: tuple[tuple[str, str], ...],
               settings: RunSettings) -> Outcomes:
    server = make()
    await server.start("127.0.0.1", 0)
    try:
        endpoint = parse_url(server.url, ALL_SCHEMES).with_options(profile=profile)
        results, _ = await run_cases(cases, endpoint, settings)
    finally:
        await server.shutdown()
    return {r.id: r for r in results}


async def _alone_and_full(run: Callable[[Sequence[Case], RunSettings], Coroutine[Any, Any, Outcomes]],
                          cases: Sequence[Case], gate: asyncio.Semaphore) -> tuple[Outcomes, Outcomes]:
    async def alone(case: Case) -> Outcomes:
        async with gate:
            return await run([case], ALONE)

    async def full() -> Outcomes:
        async with gate:
            return await run(cases, FULL)

    *alones, whole = await asyncio.gather(*(alone(c) for c in cases), full())
    return {i: r for one in alones for i, r in one.items()}, whole


def _differences(alone: Outcomes, full: Outcomes) -> list[str]:
    return [f"{i}: alone {a.outcome.value} ({a.error or a.actual}), full {full[i].outcome.value} "
            f"({full[i].error or full[i].actual})" for i, a in sorted(alone.items())
            if a.outcome is not full[i].outcome]


Run = Callable[[Sequence[Case], RunSettings], Coroutine[Any, Any, Outcomes]]


def compare_on_servers(cases: Sequence[Case], on_reference: Run,
                       on_broken: Callable[[str, Sequence[Case], RunSettings], Coroutine[Any, Any, Outcomes]],
                       broken: Sequence[str]) -> dict[str, tuple[Outcomes, Outcomes]]:
    """Each case alone and the full ``cases`` on the reference server and on each ``broken`` mutation
    (the eio and sio isolation tests): name -> (alone, full)."""
    async def main() -> dict[str, tuple[Outcomes, Outcomes]]:
        gate = asyncio.Semaphore(ALONE_AT_ONCE)
        runs = {"reference": _alone_and_full(on_reference, cases, gate)}
        for mutation in broken:
            async def run(some: Sequence[Case], settings: RunSettings, m: str = mutation) -> Outcomes:
                return await on_broken(m, some, settings)
            runs[mutation] = _alone_and_full(run, cases, gate)
        return dict(zip(runs, await asyncio.gather(*runs.values()), strict=True))

    return asyncio.run(main())


def assert_same_alone_and_full(comparisons: dict[str, tuple[Outcomes, Outcomes]], ids: set[str]) -> None:
    """Every server ran exactly ``ids`` both ways, and no outcome differs between the two."""
    assert all(set(alone) == set(full) == ids for alone, full in comparisons.values())
    differences = {name: diff for name, (alone, full) in comparisons.items()
                   if (diff := _differences(alone, full))}
    report = "\n".join(f"{name}:\n  " + "\n  ".join(diff) for name, diff in differences.items())
    assert not differences, f"verdicts that depend on the other cases running:\n{report}"


def _http_runs(registry: Registry) -> dict[str, Coroutine[Any, Any, tuple[Outcomes, Outcomes]]]:
    gate = asyncio.Semaphore(ALONE_AT_ONCE)
    sse = registry.select(("sse",), strict=True)
    poll = registry.select(("poll",), strict=True)
    sse_servers = {"reference": _sse_server(SseServer)}
    sse_servers |= {n: _sse_server(c) for n, (c, _) in SSE_MUTATIONS.items()}
    poll_servers = {"reference": _poll_server(PollServer)}
    poll_servers |= {n: _poll_server(c) for n, (c, _) in POLL_MUTATIONS.items()}

    def runner(make: Callable[[], Server], profile: tuple[tuple[str, str], ...]) -> Any:
        return lambda cases, settings: _run(make, cases, profile, settings)

    def sse_cases(name: str) -> list[Case]:
        proved = set(SSE_MUTATIONS[name][1]) if name in SSE_MUTATIONS else {c.id for c in sse}
        if name in ACCUMULATES:
            return [c for c in sse if c.id in proved]
        return [c for c in sse if c.id not in HEAVY or c.id in proved]

    runs = {f"sse {n}": _alone_and_full(runner(m, SSE_PROFILE), sse_cases(n), gate)
            for n, m in sse_servers.items()}
    def poll_cases(name: str) -> list[Case]:
        if name not in NEVER_ANSWER:
            return list(poll)
        return [c for c in poll if c.id in POLL_MUTATIONS[name][1]]

    runs |= {f"poll {n}": _alone_and_full(runner(m, POLL_PROFILE), poll_cases(n), gate)
             for n, m in poll_servers.items()}
    return runs


def _shared(cases: Sequence[Case]) -> list[Case]:
    """The cases that share the target with others. The exclusive ones (Autobahn 9.x: 16 MiB echoes,
    1000 round trips) already run alone in every run, after the rest; here every WebSocket run shares one
    upstream server, so dozens of them at once would load it as no real run does (its memory budget
    closes connections), and their verdicts are the same alone and in a full run by construction."""
    return [c for c in cases if not c.exclusive]


def _ws_runs(upstream: tuple[str, int], registry: Registry
             ) -> dict[str, Coroutine[Any, Any, tuple[Outcomes, Outcomes]]]:
    gate = asyncio.Semaphore(ALONE_AT_ONCE)
    runs = {}
    for proof in PROOFS:
        def run(cases: Sequence[Case], settings: RunSettings, m: type[Mutation] = proof.mutation) -> Any:
            return proxied(upstream, m, cases, settings)
        if cases := _shared(proof.cases(registry)):
            runs[f"ws {proof.name}"] = _alone_and_full(run, cases, gate)
    runs["ws reference"] = _alone_and_full(
        lambda cases, settings: proxied(upstream, Mutation, cases, settings),
        _shared(registry.select(("ws",), strict=True)), gate)
    return runs


@pytest.fixture(scope="module")
def comparisons() -> dict[str, tuple[Outcomes, Outcomes]]:
    registry = load()
    with reference_server() as ws_upstream:
        async def main() -> dict[str, tuple[Outcomes, Outcomes]]:
            runs = _http_runs(registry) | _ws_runs(ws_upstream, registry)
            return dict(zip(runs, await asyncio.gather(*runs.values()), strict=True))

        return asyncio.run(main())


@pytest.mark.slow
# The fixture runs every SSE and poll case alone and in a full run on ~55 servers, and the WebSocket
# proofs: measured 77-108 s before the lifecycle cases and 127 s with them on a loaded 2-core machine.
@pytest.mark.timeout(300)
def test_every_verdict_is_the_same_alone_and_in_a_full_run(
        comparisons: dict[str, tuple[Outcomes, Outcomes]]) -> None:
    differences = {name: diff for name, (alone, full) in comparisons.items()
                   if (diff := _differences(alone, full))}
    report = "\n".join(f"{name}:\n  " + "\n  ".join(diff) for name, diff in differences.items())
    assert not differences, f"verdicts that depend on the other cases running:\n{report}"
