"""Product rule: every conformance case must be shown able to fail.

Each proof puts one mutation (``tests/fixtures/mutations_*.py``) in front of the reference server and
runs its selection of cases through it: exactly the IDs in ``red`` must come out ``failed``, and the
other selected cases (the controls) must not fail or error. All proofs run at once (``harness.run_all``).
"""

from __future__ import annotations

import pytest

from conformance.model import Level, Outcome
from conformance.registry import Registry
from mutation.harness import Proof, Results, run_all, summary
from mutation.proofs import PROOFS


@pytest.fixture(scope="module")
def proof_results(reference: tuple[str, int], registry: Registry) -> dict[str, Results]:
    return run_all(reference, PROOFS, registry)


def test_proof_names_are_unique() -> None:
    names = [p.name for p in PROOFS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("proof", PROOFS, ids=lambda p: p.name)
def test_mutation_turns_exactly_its_cases_red(proof: Proof, proof_results: dict[str, Results]) -> None:
    results = proof_results[proof.name]
    assert proof.red <= results.keys(), (
        f"red cases not selected/registered: {sorted(proof.red - results.keys())}"
    )
    failed = {i for i, r in results.items() if r.outcome is Outcome.FAILED}
    errored = {i for i, r in results.items() if r.outcome is Outcome.ERRORED}
    report = summary(results)
    assert not errored, f"{proof.name}: errored instead of a verdict:\n{report}"
    assert sorted(proof.red - failed) == [], f"{proof.name}: should be red but are not:\n{report}"
    assert sorted(failed - proof.red) == [], f"{proof.name}: controls that went red:\n{report}"


def test_every_must_case_has_a_proof(registry: Registry) -> None:
    proven = set().union(*(p.red for p in PROOFS))
    missing = sorted(c.id for c in registry.cases if c.level is Level.MUST and c.id not in proven)
    assert missing == [], f"{len(missing)} MUST cases have no proof that they can fail:\n" + "\n".join(
        missing
    )


def test_proofs_name_only_registered_cases(registry: Registry) -> None:
    unknown = sorted(set().union(*(p.red for p in PROOFS)) - registry.by_id.keys())
    assert unknown == [], f"proofs name cases the registry does not have: {unknown}"
