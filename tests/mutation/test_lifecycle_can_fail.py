"""Every connection-lifecycle case (``ws/5.5.2/keepalive-*``, ``ws/7.1.2/idle-*``, ``ws/10.4/*``) can fail,
and the reference server passes them all when it keeps what the profile declares.

The lifecycle cases judge a target against its declared profile, so a *server variant* is the reference
server started without the promise the profile still declares (no keepalive, no pong timeout, a larger
message limit, no connection limit, a long handshake timeout, no idle timeout), and a *proxy mutation*
(``tests/fixtures/mutations_lifecycle.py``) breaks what no flag can (buffering without bound, one slow peer
stalling the others, a lost message). Each variant runs on its own server process, so connection limits
and timers never mix; all runs share one event loop, except the isolation runs, which measure round-trip
times and run afterwards, alone.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from mutating_proxy import MutatingProxy, Mutation
from mutation_harness import SETTINGS, Results, run_together, summary
from mutations_lifecycle import AnyPongCounts, BufferWithoutBound, DropOneEcho, GlobalWriteLock
from target_servers import spawn_server

from conformance.model import Outcome
from conformance.registry import Registry
from conformance.resources import MemoryProbe
from conformance.runner import run_cases
from conformance.wire.endpoint import ConnectOptions, Endpoint, parse_address

pytestmark = pytest.mark.slow  # 45-85 s on a loaded 2-core machine: 20 servers, 0.5-1 s timers, floods

#: What every variant's profile declares (the idle variants add idle-timeout and drop the keepalive).
PROFILE = {"keepalive-interval": "0.5", "pong-timeout": "0.5", "handshake-timeout": "1",
           "max-message-size": "65536", "max-connections": "64", "buffer-limit": str(2**20),
           "flood-messages": "5000", "max-head-size": "4096"}
#: The reference server keeping all of it.
KEEPS = {"--keepalive-interval": "0.5", "--pong-timeout": "0.5", "--handshake-timeout": "1",
         "--max-message-size": "65536", "--max-connections": "64", "--max-head-size": "4096"}
IDLE_PROFILE = {"idle-timeout": "1"}
#: The message-rate limit: declared only by the rate variants (the flood and buffer cases send more).
RATE_PROFILE = {"rate-limit": "10", "rate-burst": "50"}
KEEPALIVE_FLAGS = ("--keepalive-interval", "--pong-timeout")

KEEPALIVE = ("ws/5.5.2/keepalive-pings-idle-peer",)
DEAD_PEERS = ("ws/5.5.2/keepalive-drops-silent-peer", "ws/5.5.2/keepalive-drops-half-open-peer")
IDLE = ("ws/7.1.2/idle-timeout-closes-silent-peer",)
UNSOLICITED = ("ws/5.5.3/unsolicited-pong-not-liveness",)
RATE = ("ws/7.4.1/rate-limit-enforced",)
OVER_LIMIT = ("ws/10.4/message-over-limit-1009", "ws/10.4/fragments-over-limit-1009",
              "ws/10.4/header-over-limit-1009")
AT_LIMIT = ("ws/10.4/message-at-limit-echoed",)
CONNECTIONS = ("ws/10.4/max-connections-refused-then-freed",)
HEAD = ("ws/10.4/head-field-over-limit-431", "ws/10.4/many-header-fields-431")
SLOWLORIS = ("ws/10.4/dribbled-handshake-timeout", "ws/10.4/silent-connection-timeout")
BOUNDED = ("ws/10.4/non-reader-bounded",)
ISOLATION = ("ws/10.4/non-reader-isolation",)
FLOOD = ("ws/10.4/flood-order-intact",)
LIFECYCLE = (*KEEPALIVE, *DEAD_PEERS, *UNSOLICITED, *IDLE, *AT_LIMIT, *OVER_LIMIT, *HEAD, *CONNECTIONS,
             *SLOWLORIS, *BOUNDED, *ISOLATION, *FLOOD, *RATE)


@dataclass(frozen=True)
class Variant:
    """A server (the reference with ``flags``) or a mutation in front of the keeping one, the profile it
    is judged against, the cases that must fail, and the controls that must not."""

    name: str
    red: tuple[str, ...]
    controls: tuple[str, ...]
    flags: tuple[tuple[str, str], ...] = tuple(KEEPS.items())
    profile: tuple[tuple[str, str], ...] = tuple(PROFILE.items())
    mutation: type[Mutation] | None = None
    probe: MemoryProbe | None = None


class GrowingMemory:
    """A target probe reporting 2 MiB more memory at every reading: what the runner would see from a
    server that buffers a non-reading peer's input without bound (its kernel window kept closing anyway)."""

    def __init__(self) -> None:
        self.readings = 0

    def __call__(self) -> int:
        self.readings += 1
        return 30 * 2**20 + self.readings * 2 * 2**20


def _without(*flags: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in KEEPS.items() if k not in flags)


def _flags(profile: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((f"--{k}", v) for k, v in profile.items())


def _with(**changes: str) -> tuple[tuple[str, str], ...]:
    return tuple({**KEEPS, **{f"--{k.replace('_', '-')}": v for k, v in changes.items()}}.items())


_NO_KEEPALIVE = tuple((k, v) for k, v in PROFILE.items() if k not in ("keepalive-interval", "pong-timeout"))
_RATE_DECLARED = (*PROFILE.items(), *RATE_PROFILE.items())

VARIANTS = (
    Variant("keeps-everything", red=(),
            controls=tuple(c for c in LIFECYCLE if c not in (*ISOLATION, *IDLE, *BOUNDED, *RATE))),
    # A keepalive drops the non-reader (it never reads a ping), and the server then drains its input while
    # it lingers: the buffer cases run on servers without keepalive (see non-reader-bounded's requirement).
    Variant("bounded-buffers", red=(), controls=BOUNDED, flags=_without(*KEEPALIVE_FLAGS),
            profile=_NO_KEEPALIVE),
    Variant("never-pings", red=(*KEEPALIVE, *DEAD_PEERS), controls=AT_LIMIT,
            flags=_without(*KEEPALIVE_FLAGS)),
    Variant("never-drops-dead-peers", red=(*DEAD_PEERS, *UNSOLICITED), controls=KEEPALIVE,
            flags=_without("--pong-timeout")),
    Variant("any-pong-counts", red=UNSOLICITED, controls=DEAD_PEERS[:1], mutation=AnyPongCounts),
    Variant("rate-limited", red=(), controls=RATE, flags=(*KEEPS.items(), *_flags(RATE_PROFILE)),
            profile=_RATE_DECLARED),
    Variant("ignores-rate-limit", red=RATE, controls=AT_LIMIT, profile=_RATE_DECLARED),
    Variant("rate-limit-below-burst", red=RATE, controls=AT_LIMIT,
            flags=(*KEEPS.items(), *_flags({**RATE_PROFILE, "rate-burst": "10"})), profile=_RATE_DECLARED),
    Variant("idles-out", red=(), controls=IDLE, flags=(("--idle-timeout", "1"),),
            profile=(*_NO_KEEPALIVE, *IDLE_PROFILE.items())),
    Variant("never-idles-out", red=IDLE, controls=AT_LIMIT, flags=(),
            profile=(*_NO_KEEPALIVE, *IDLE_PROFILE.items())),
    Variant("ignores-size-limit", red=OVER_LIMIT, controls=AT_LIMIT,
            flags=_with(max_message_size=str(2**20))),
    Variant("refuses-below-size-limit", red=AT_LIMIT, controls=OVER_LIMIT,
            flags=_with(max_message_size=str(2**15))),
    Variant("ignores-head-limit", red=HEAD, controls=AT_LIMIT, flags=_with(max_head_size=str(2**20))),
    Variant("unlimited-connections", red=CONNECTIONS, controls=AT_LIMIT, flags=_without("--max-connections")),
    Variant("slow-handshake-kept", red=SLOWLORIS, controls=AT_LIMIT, flags=_with(handshake_timeout="60")),
    Variant("buffer-without-bound", red=BOUNDED, controls=AT_LIMIT, mutation=BufferWithoutBound,
            flags=_without(*KEEPALIVE_FLAGS), profile=_NO_KEEPALIVE),
    Variant("memory-grows", red=BOUNDED, controls=(), flags=_without(*KEEPALIVE_FLAGS), profile=_NO_KEEPALIVE,
            probe=GrowingMemory()),
    Variant("drop-one-echo", red=FLOOD, controls=AT_LIMIT, mutation=DropOneEcho),
)
#: Measured alone, after the others: round-trip times must not share the machine with other runs.
ISOLATION_VARIANTS = (
    Variant("isolated", red=(), controls=ISOLATION, flags=_without(*KEEPALIVE_FLAGS), profile=_NO_KEEPALIVE),
    Variant("global-write-lock", red=ISOLATION, controls=(), mutation=GlobalWriteLock,
            flags=_without(*KEEPALIVE_FLAGS), profile=_NO_KEEPALIVE),
)


@contextlib.contextmanager
def _server(flags: Sequence[tuple[str, str]]) -> Iterator[tuple[str, int]]:
    argv = [sys.executable, "-m", "reference.servers", "ws", "--host", "127.0.0.1", "--port", "0"]
    with spawn_server([*argv, *(x for pair in flags for x in pair)]) as address:
        yield address


async def _run(variant: Variant, upstream: tuple[str, int], registry: Registry) -> Results:
    cases = registry.select((*variant.red, *variant.controls), strict=True)
    proxy = MutatingProxy(upstream, variant.mutation) if variant.mutation is not None else None
    port = await proxy.start() if proxy is not None else upstream[1]
    endpoint = Endpoint(parse_address(f"ws://127.0.0.1:{port}/"), ConnectOptions(profile=variant.profile))
    try:
        results, _ = await run_cases(cases, endpoint, SETTINGS, memory=variant.probe)
    finally:
        if proxy is not None:
            await proxy.stop()
    return {r.id: r for r in results}


def _run_all(variants: Sequence[Variant], registry: Registry) -> dict[str, Results]:
    with contextlib.ExitStack() as stack:
        runs: dict[str, Coroutine[Any, Any, Results]] = {
            v.name: _run(v, stack.enter_context(_server(v.flags)), registry) for v in variants}
        return run_together(runs)


@pytest.fixture(scope="module")
def lifecycle_results(registry: Registry) -> dict[str, Results]:
    results = _run_all(VARIANTS, registry)
    for variant in ISOLATION_VARIANTS:
        results.update(_run_all((variant,), registry))
    return results


@pytest.mark.parametrize("variant", [*VARIANTS, *ISOLATION_VARIANTS], ids=lambda v: v.name)
def test_variant_turns_exactly_its_cases_red(variant: Variant, lifecycle_results: dict[str, Results]) -> None:
    results = lifecycle_results[variant.name]
    report = summary(results)
    assert set(results) == {*variant.red, *variant.controls}, report
    failed = {i for i, r in results.items() if r.outcome is Outcome.FAILED}
    errored = {i for i, r in results.items() if r.outcome is Outcome.ERRORED}
    assert not errored, f"{variant.name}: errored instead of a verdict:\n{report}"
    assert sorted(set(variant.red) - failed) == [], f"{variant.name}: should be red but are not:\n{report}"
    assert sorted(failed - set(variant.red)) == [], f"{variant.name}: controls that went red:\n{report}"


def test_the_keeping_server_passes_every_judged_case(lifecycle_results: dict[str, Results]) -> None:
    results = {**lifecycle_results["keeps-everything"], **lifecycle_results["isolated"],
               **lifecycle_results["idles-out"], **lifecycle_results["bounded-buffers"],
               **lifecycle_results["rate-limited"]}
    assert set(results) == set(LIFECYCLE)
    not_passed = {i: r.outcome.value for i, r in results.items() if r.outcome is not Outcome.PASSED}
    assert not_passed == {}, summary(results)


def test_every_lifecycle_case_is_red_somewhere(registry: Registry) -> None:
    lifecycle = {c.id for c in registry.select(LIFECYCLE, strict=True)}
    red = {c for v in (*VARIANTS, *ISOLATION_VARIANTS) for c in v.red}
    assert sorted(lifecycle - red) == [], "lifecycle cases no variant turns red"
    assert len(lifecycle) == len(LIFECYCLE)
