"""Run conformance cases through mutating proxies: every proof at once, on one event loop.

The runner's Python API is used (not a subprocess per proof) so that dozens of proofs share one
interpreter: each proof gets its own ``MutatingProxy`` on its own port in front of the same upstream
server, and ``run_cases`` drives the selected cases through it. Proofs run concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mutating_proxy import MutatingProxy, Mutation

from conformance.model import Case, Level, Outcome
from conformance.registry import Registry
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import parse_url

__all__ = [
    "CLEAN_EXCLUDE",
    "SETTINGS",
    "Proof",
    "Results",
    "direct",
    "must_not_pass",
    "proxied",
    "run_all",
    "run_together",
    "summary",
]

#: Every selected case at once (most proofs select fewer), and a close timeout long enough for a loaded
#: 2-core machine: a control must not go red because the reference server answered late.
SETTINGS = RunSettings(jobs=160, timeout=10.0, close_timeout=2.0)

Results = dict[str, CaseResult]
#: what the clean catalog runs leave out (``conftest.catalog_runs``): Autobahn's 216 compressed echoes
CLEAN_EXCLUDE = ("12.*", "13.*")


@dataclass(frozen=True)
class Proof:
    """One mutation, the cases it is run against, and the cases that must fail (all other cases of the
    selection are controls: they must not fail or error).

    Selectors use the ``--case`` grammar (exact IDs, ID prefixes, globs, Autobahn ids), resolved against
    the registry; every ``red`` selector must match at least one case.

    Attributes:
        mutation: the ``Mutation`` subclass put in front of the upstream.
        select: what to run (never empty: an empty selection would mean the whole catalog).
        red: what must come out ``failed``; always run, so ``select`` only needs to name the controls.
        strict: also run (and expect red) SHOULD/MAY cases.
        upstream: the server behind the proxy: "reference", or another name given to :func:`run_all`
            (``"deflate"``: a server speaking permessage-deflate, which the reference server does not yet).
        profile: ``--profile`` pairs for the run (what the upstream promises, e.g. its max message size).
    """

    mutation: type[Mutation]
    red: tuple[str, ...]
    select: tuple[str, ...] = ()
    strict: bool = False
    upstream: str = "reference"
    profile: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.red:
            raise ValueError(f"proof {self.mutation.name!r} names no red case")

    @property
    def name(self) -> str:
        return self.mutation.name

    def cases(self, registry: Registry) -> list[Case]:
        return registry.select((*self.red, *self.select), strict=self.strict)

    def red_ids(self, registry: Registry) -> frozenset[str]:
        return frozenset(c.id for c in registry.select(self.red, strict=self.strict))


async def _through_proxy(
    upstream: tuple[str, int],
    mutation: type[Mutation],
    cases: Sequence[Case],
    settings: RunSettings,
    profile: tuple[tuple[str, str], ...] = (),
) -> Results:
    proxy = MutatingProxy(upstream, mutation)
    port = await proxy.start()
    try:
        endpoint = parse_url(f"ws://127.0.0.1:{port}/").with_options(profile=profile)
        results, _ = await run_cases(cases, endpoint, settings)
    finally:
        await proxy.stop()
    return {r.id: r for r in results}


def run_all(
    upstream: tuple[str, int],
    proofs: Sequence[Proof],
    registry: Registry,
    settings: RunSettings = SETTINGS,
    upstreams: Mapping[str, tuple[str, int]] | None = None,
) -> dict[str, Results]:
    """Run every proof concurrently; results keyed by mutation name. ``upstream`` is the reference
    server; ``upstreams`` the other servers proofs name (``Proof.upstream``)."""
    servers = {"reference": upstream, **(upstreams or {})}
    runs = {
        p.name: _through_proxy(servers[p.upstream], p.mutation, p.cases(registry), settings, p.profile)
        for p in proofs
    }
    return run_together(runs)


def run_together(runs: Mapping[str, Coroutine[Any, Any, Results]]) -> dict[str, Results]:
    """Await every run concurrently on one event loop; results under the same keys."""

    async def main() -> list[Results]:
        return await asyncio.gather(*runs.values())

    return dict(zip(runs.keys(), asyncio.run(main()), strict=True))


def proxied(
    upstream: tuple[str, int],
    mutation: type[Mutation],
    cases: Sequence[Case],
    settings: RunSettings = SETTINGS,
) -> Coroutine[Any, Any, Results]:
    """A run of ``cases`` through a proxy applying ``mutation`` (await it or give it to ``run_together``)."""
    return _through_proxy(upstream, mutation, cases, settings)


async def direct(
    target: tuple[str, int],
    registry: Registry,
    *,
    strict: bool = False,
    settings: RunSettings = SETTINGS,
    exclude: Sequence[str] = (),
) -> Results:
    """A run of the whole WebSocket catalog (but ``exclude``) straight against ``target`` (no proxy)."""
    cases = registry.select(("ws",), exclude, strict=strict)
    results, _ = await run_cases(cases, parse_url(f"ws://{target[0]}:{target[1]}/"), settings)
    return {r.id: r for r in results}


def must_not_pass(results: Results) -> dict[str, CaseResult]:
    """The MUST cases whose outcome is neither passed, non-strict, informational nor unimplemented (an
    optional extension the server does not offer, Autobahn's UNIMPLEMENTED: permessage-deflate)."""
    fine = {Outcome.PASSED, Outcome.NON_STRICT, Outcome.INFORMATIONAL, Outcome.UNIMPLEMENTED}
    return {i: r for i, r in results.items() if r.level is Level.MUST and r.outcome not in fine}


def summary(results: Results) -> str:
    """One line per case that did not pass: id, outcome, what was expected and what happened."""
    return "\n".join(
        f"{r.id} [{r.outcome.value}] {r.error or r.actual} (expected: {' | '.join(r.expected)})"
        for r in results.values()
        if r.outcome is not Outcome.PASSED
    )
