"""The other half of the proof: conforming servers must pass every MUST case.

The full catalog runs against (a) the reference server, directly and through the proxy (transparent,
so the proxy's own codec provably changes no verdict), and (b) the ``websockets`` library server, whose
known deviations are listed with a reason in ``conformance/expectations/websockets.toml``.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
from mutating_proxy import Mutation, Transparent
from mutation_harness import must_not_pass, run_direct, run_proxied, summary

from conformance import expectfile
from conformance.registry import Registry

EXPECTATIONS = Path(__file__).resolve().parents[2] / "conformance" / "expectations"


def test_reference_server_passes_every_must_case(reference: tuple[str, int], registry: Registry) -> None:
    results = run_direct(reference, registry)
    assert len(results) == len(registry.select(("ws",)))
    assert must_not_pass(results) == {}, summary(must_not_pass(results))


@pytest.mark.parametrize("mutation", [Mutation, Transparent], ids=lambda m: m.name)
def test_proxy_without_mutation_changes_no_verdict(
    mutation: type[Mutation], reference: tuple[str, int], registry: Registry
) -> None:
    results = run_proxied(reference, mutation, registry.select(("ws",)))
    assert len(results) == len(registry.select(("ws",)))
    assert must_not_pass(results) == {}, summary(must_not_pass(results))


def test_websockets_server_passes_every_must_case_but_its_known_deviations(
    websockets_target: tuple[str, int], registry: Registry
) -> None:
    known = expectfile.load(EXPECTATIONS / "websockets.toml")
    installed, listed = version("websockets").split(".")[0], known.meta.get("version")
    if installed != listed:
        pytest.skip(f"websockets.toml is for websockets {listed}, {installed} is installed")
    assert expectfile.unknown_ids(known, registry.by_id.keys()) == []
    bad = must_not_pass(run_direct(websockets_target, registry))
    unexpected = {i: r for i, r in bad.items() if (e := known.get(i)) is None or not e.matches(r.outcome)}
    assert unexpected == {}, summary(unexpected)
    fixed = sorted(known.cases.keys() - bad.keys())
    assert fixed == [], f"listed in websockets.toml but passing now, remove them: {fixed}"
