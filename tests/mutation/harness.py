"""Run conformance cases through mutating proxies: every proof at once, on one event loop.

The runner's Python API is used (not a subprocess per proof) so that dozens of proofs share one
interpreter: each proof gets its own ``MutatingProxy`` on its own port in front of the same upstream
server, and ``run_cases`` drives the selected cases through it. Proofs run concurrently.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from fixtures.mutating_proxy import MutatingProxy, Mutation

from conformance.model import Level, Outcome
from conformance.registry import Registry
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import parse_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest depends on tomli on 3.10
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

__all__ = [
    "SETTINGS",
    "Proof",
    "Results",
    "known_deviations",
    "must_not_pass",
    "run_all",
    "run_direct",
    "summary",
]

#: Short close timeout: a mutated target that goes silent must not cost the suite seconds per case.
SETTINGS = RunSettings(jobs=16, timeout=5.0, close_timeout=1.0)

Results = dict[str, CaseResult]


@dataclass(frozen=True)
class Proof:
    """One mutation, the cases it is run against, and the case IDs that must fail (all others in the
    selection must not fail or error).

    Attributes:
        mutation: the ``Mutation`` subclass put in front of the upstream.
        select: ``--case`` selectors (never empty: an empty selection would mean the whole catalog).
        red: the IDs that must come out ``failed``.
        strict: also run SHOULD/MAY cases.
    """

    mutation: type[Mutation]
    select: tuple[str, ...]
    red: frozenset[str]
    strict: bool = False

    def __post_init__(self) -> None:
        if not self.select:
            raise ValueError(f"proof {self.mutation.name!r} has an empty selection")

    @property
    def name(self) -> str:
        return self.mutation.name


async def _through_proxy(
    upstream: tuple[str, int], proof: Proof, registry: Registry, settings: RunSettings
) -> Results:
    proxy = MutatingProxy(upstream, proof.mutation)
    port = await proxy.start()
    try:
        cases = registry.select(proof.select, strict=proof.strict)
        results, _ = await run_cases(cases, parse_url(f"ws://127.0.0.1:{port}/"), settings)
    finally:
        await proxy.stop()
    return {r.id: r for r in results}


def run_all(
    upstream: tuple[str, int], proofs: Sequence[Proof], registry: Registry, settings: RunSettings = SETTINGS
) -> dict[str, Results]:
    """Run every proof concurrently; results keyed by mutation name."""

    async def main() -> list[Results]:
        return await asyncio.gather(*(_through_proxy(upstream, p, registry, settings) for p in proofs))

    return dict(zip([p.name for p in proofs], asyncio.run(main()), strict=True))


def run_direct(
    upstream: tuple[str, int], registry: Registry, *, strict: bool = False, settings: RunSettings = SETTINGS
) -> Results:
    """The whole catalog straight against ``upstream`` (no proxy)."""

    async def main() -> Results:
        cases = registry.select((), strict=strict)
        results, _ = await run_cases(cases, parse_url(f"ws://{upstream[0]}:{upstream[1]}/"), settings)
        return {r.id: r for r in results}

    return asyncio.run(main())


def must_not_pass(results: Results) -> dict[str, CaseResult]:
    """The MUST cases whose outcome is neither passed, non-strict nor informational."""
    fine = {Outcome.PASSED, Outcome.NON_STRICT, Outcome.INFORMATIONAL}
    return {i: r for i, r in results.items() if r.level is Level.MUST and r.outcome not in fine}


def summary(results: Results) -> str:
    """One line per case that did not pass: id, outcome, what was expected and what happened."""
    return "\n".join(
        f"{r.id} [{r.outcome.value}] {r.error or r.actual} (expected: {' | '.join(r.expected)})"
        for r in results.values()
        if r.outcome is not Outcome.PASSED
    )


def known_deviations(path: str) -> dict[str, str]:
    """The ``[cases]`` table of an expectations file: case ID -> reason."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    cases = data.get("cases", {})
    if not all(isinstance(v, str) and v.strip() for v in cases.values()):
        raise ValueError(f"{path}: every deviation needs a non-empty reason")
    return dict(cases)
