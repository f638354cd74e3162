"""Issue 12: the embedded run (no ``--target``, no ``--strict``) runs the connection-lifecycle cases as well,
since the reference servers declare the promises they judge (``Suite.profile_cases``); their level stays
STRICT, so they gate only with ``--fail-on strict``. A run against another target keeps MUST only."""

from __future__ import annotations

from conformance.app import RunOptions, plan
from conformance.catalog.ws import LIFECYCLE_MODULES, PROFILE_CASES, REFERENCE_PROFILE
from conformance.model import Level
from conformance.registry import load, suites
from conformance.targets.base import TargetSpec
from conformance.wire.endpoint import parse_address


def _ids(**options: object) -> list[str]:
    _, cases = plan(RunOptions(**options), load())  # type: ignore[arg-type]
    return [c.id for c in cases]


def test_the_embedded_run_adds_the_declared_lifecycle_cases_in_catalog_order() -> None:
    declared = {s for suite in suites() for s in suite.profile_cases}
    plain = _ids(target=TargetSpec())
    assert declared <= set(plain)
    registry = load()
    assert {registry.by_id[i].level for i in declared} == {Level.STRICT}  # levels unchanged
    above_must = {i for i in plain if registry.by_id[i].level is not Level.MUST}
    assert above_must == declared
    order = [c.id for c in registry.cases]
    assert plain == sorted(plain, key=order.index)


def test_selectors_and_strict_still_apply() -> None:
    assert _ids(target=TargetSpec(), include=("ws/7.4.1/r*",)) == ["ws/7.4.1/rate-limit-enforced"]
    must = _ids(target=TargetSpec(), include=("ws/7.4.1",))
    assert "ws/7.4.1/rate-limit-enforced" in must
    assert "ws/7.4.1/close-code-1000" in must
    assert "ws/10.4/flood-order-intact" not in _ids(target=TargetSpec(), exclude=("ws/10.4/flood-*",))
    strict = _ids(target=TargetSpec(), strict=True)
    assert strict.count("ws/10.4/flood-order-intact") == 1


def test_another_target_runs_must_cases_only() -> None:
    ids = _ids(target=TargetSpec(address=parse_address("ws://127.0.0.1:9/")))
    registry = load()
    assert {registry.by_id[i].level for i in ids} == {Level.MUST}


def test_the_ws_profile_cases_are_the_lifecycle_cases_of_declared_promises() -> None:
    lifecycle = {c.id for c in load().cases if c.run.__module__ in LIFECYCLE_MODULES}
    assert "idle-timeout" not in dict(REFERENCE_PROFILE)  # so its case is left out
    assert set(PROFILE_CASES) == lifecycle - {"ws/7.1.2/idle-timeout-closes-silent-peer"}
    assert len(PROFILE_CASES) == len(set(PROFILE_CASES))
