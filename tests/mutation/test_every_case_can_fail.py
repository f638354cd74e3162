"""Product rule: every conformance case must be shown able to fail.

Each proof puts one mutation (``tests/fixtures/mutations_*.py``) in front of the reference server and
runs its selection of cases through it: exactly the IDs in ``red`` must come out ``failed``, and the
other selected cases (the controls) must not fail or error. All proofs run at once (``harness.run_all``).
"""

from __future__ import annotations

import pytest
from mutation_harness import Proof, Results, run_all, summary
from mutation_proofs import CANNOT_FAIL, PROOFS, PROVEN_SPECS

from conformance.model import Level, Outcome
from conformance.registry import Registry

pytestmark = pytest.mark.slow  # every mutation proof: the catalog through ~40 proxies


@pytest.fixture(scope="module")
def proof_results(
    reference: tuple[str, int], deflate_upstream: tuple[str, int], registry: Registry
) -> dict[str, Results]:
    # The permessage-deflate proofs run after the others, not among them: their 216 compressed echoes at once
    # would hold the event loop long enough to starve the other proofs' octet-chop controls.
    plain = [p for p in PROOFS if p.upstream == "reference"]
    results = run_all(reference, plain, registry)
    others = [p for p in PROOFS if p.upstream != "reference"]
    return {**results, **run_all(reference, others, registry, upstreams={"deflate": deflate_upstream})}


def test_proof_names_are_unique() -> None:
    names = [p.name for p in PROOFS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("proof", PROOFS, ids=lambda p: p.name)
def test_mutation_turns_exactly_its_cases_red(
    proof: Proof, proof_results: dict[str, Results], registry: Registry
) -> None:
    results = proof_results[proof.name]
    red = proof.red_ids(registry)
    failed = {i for i, r in results.items() if r.outcome is Outcome.FAILED}
    errored = {i for i, r in results.items() if r.outcome is Outcome.ERRORED}
    report = summary(results)
    assert not errored, f"{proof.name}: errored instead of a verdict:\n{report}"
    assert sorted(red - failed) == [], f"{proof.name}: should be red but are not:\n{report}"
    assert sorted(failed - red) == [], f"{proof.name}: controls that went red:\n{report}"


@pytest.mark.parametrize("proof", PROOFS, ids=lambda p: p.name)
def test_every_selector_of_a_proof_matches_a_case(proof: Proof, registry: Registry) -> None:
    for selector in (*proof.red, *proof.select):
        assert registry.select((selector,), strict=True), f"{proof.name}: {selector!r} matches no case"


def test_every_must_case_has_a_proof(registry: Registry) -> None:
    proven = set().union(*(p.red_ids(registry) for p in PROOFS))
    missing = sorted(
        c.id
        for c in registry.cases
        if c.spec in PROVEN_SPECS and c.level is Level.MUST and c.id not in proven and c.id not in CANNOT_FAIL
    )
    assert missing == [], f"{len(missing)} MUST cases have no proof that they can fail:\n" + "\n".join(
        missing
    )


def test_cases_listed_as_unable_to_fail_really_are(registry: Registry) -> None:
    stale = sorted(CANNOT_FAIL.keys() & set().union(*(p.red_ids(registry) for p in PROOFS)))
    assert stale == [], f"proven red, remove them from CANNOT_FAIL: {stale}"
    unknown = sorted(CANNOT_FAIL.keys() - registry.by_id.keys())
    assert unknown == [], f"CANNOT_FAIL names cases the registry does not have: {unknown}"
    controls = {c.id for p in PROOFS for c in p.cases(registry)}
    unexercised = sorted(CANNOT_FAIL.keys() - controls)
    assert unexercised == [], f"run these as controls under some mutation: {unexercised}"
