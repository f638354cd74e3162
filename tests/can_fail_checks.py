"""The three checks every broken-server proof makes (SSE and long polling; WebSocket has tests/mutation).

A proof maps each mutation name to (how to start the broken server, the case ids it must turn red), runs
them all and the reference server, and hands the outcomes here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from conformance.model import Outcome
from conformance.registry import load
from conformance.results import CaseResult

Outcomes = Mapping[str, Mapping[str, CaseResult]]
Mutations = Mapping[str, tuple[Any, Sequence[str]]]


def check_turns_red(mutations: Mutations, mutation: str, outcomes: Outcomes) -> None:
    """Every case the mutation targets failed against the broken server."""
    for case_id in mutations[mutation][1]:
        result = outcomes[mutation][case_id]
        assert result.outcome is Outcome.FAILED, (case_id, result.outcome, result.actual, result.error)


def check_reference_passes(outcomes: Outcomes, never_red: Collection[str]) -> None:
    """The reference server passes every case but the measurements that are never judged."""
    bad = {i: (r.outcome.value, r.actual or r.error) for i, r in outcomes["reference"].items()
           if r.outcome is not Outcome.PASSED and i not in never_red}
    assert bad == {}, bad


def check_every_case_has_a_mutation(spec: str, mutations: Mutations, never_red: Collection[str]) -> None:
    """Each case of ``spec`` is turned red by some mutation, or is a listed measurement."""
    covered = {i for _, ids in mutations.values() for i in ids} | set(never_red)
    assert {c.id for c in load().select([spec], strict=True)} == covered
