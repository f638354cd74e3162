"""The catalog against a broken server that shares no code with the reference: ``lax_server.py``
validates nothing and never fails a connection, so exactly the cases that demand a refusal, a failure
or a specific error code must go red, and every other MUST case must stay green.
"""

from __future__ import annotations

import pytest
from mutation_harness import Results, summary
from mutation_proofs import MUST_FAIL

from conformance.model import Level, Outcome
from conformance.registry import Registry

pytestmark = pytest.mark.slow  # the whole catalog against the lax server

#: what a server that validates nothing must be caught at
LAX_RED = (
    "ws/4.2.1",  # every malformed request is upgraded
    "ws/4.4/unsupported-version-9",  # any version is upgraded
    "ws/4.4/unsupported-version-14",
    *MUST_FAIL,  # RSV bits, reserved opcodes, bad control frames, stray continuations, invalid UTF-8
    "ws/5.1/unmasked-*",
    "ws/5.2/length-64-bit-msb-set",
    "7.3.2",  # 1-byte close payload answered with 1000
    "7.3.6",  # 126-byte close payload answered with 1000
    "7.5.1",  # invalid UTF-8 close reason answered with 1000
    "7.9",  # invalid close codes answered with 1000
    "ws/7.4.1/invalid-close-code-1015",
)


def test_lax_server_fails_exactly_the_cases_that_demand_a_rejection(
    catalog_runs: dict[str, Results], registry: Registry
) -> None:
    results = catalog_runs["lax"]
    red = {c.id for c in registry.select(LAX_RED)}
    failed = {i for i, r in results.items() if r.outcome is Outcome.FAILED}
    must = {i for i, r in results.items() if r.level is Level.MUST}
    report = summary(results)
    assert red <= must
    assert sorted(red - failed) == [], f"should be red against the lax server:\n{report}"
    assert sorted(failed - red) == [], f"went red against the lax server, which does these right:\n{report}"
    assert [i for i, r in results.items() if r.outcome is Outcome.ERRORED] == [], report
