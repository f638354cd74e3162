"""Every case's level is the keyword of its quoted spec sentence (issue 10): MUST only where the quote says
MUST, SHOULD where it says SHOULD, MAY where it says MAY; what the spec only describes (or gives as an
example, or what Autobahn expects beyond RFC 6455) is STRICT, which never claims a requirement.
"""

from __future__ import annotations

import re

from conformance.model import Case, Level
from conformance.registry import load

CASES = list(load().cases)
KEYWORDS = {
    Level.MUST: re.compile(r"\b(MUST|SHALL|REQUIRED)\b"),
    Level.SHOULD: re.compile(r"\b(SHOULD|RECOMMENDED)\b"),
    Level.MAY: re.compile(r"\b(MAY|OPTIONAL)\b"),
}
#: WHATWG HTML writes its requirements in lower case, and "requirements phrased in the imperative as part
#: of algorithms [...] are to be interpreted with the meaning of the key word ("must", ...) used in
#: introducing the algorithm": the event-stream parsing and interpretation steps and the stream's ABNF.
WHATWG_MUST = re.compile(r"\bmust\b")
WHATWG_NORMATIVE_STEPS = {
    "sse/9.2.3/content-type-event-stream", "sse/9.2.5/data-single-line", "sse/9.2.5/data-multi-line-lf",
    "sse/9.2.5/data-trailing-newline", "sse/9.2.5/data-empty-lines", "sse/9.2.5/data-empty",
    "sse/9.2.5/data-field-lookalike", "sse/9.2.5/data-nul", "sse/9.2.5/data-64kib",
    "sse/9.2.5/data-many-lines",
    "sse/9.2.5/data-cr", "sse/9.2.5/data-crlf", "sse/9.2.5/data-leading-space",
    "sse/9.2.5/data-leading-spaces-lines", "sse/9.2.5/data-colon", "sse/9.2.5/data-bom-inside",
    "sse/9.2.6/event-type-named", "sse/9.2.6/event-type-default-message",
    "sse/9.2.6/id-persists-as-last-event-id", "sse/9.2.7/heartbeat-between-events",
}


def keyword_ok(case: Case) -> bool:
    if case.level is Level.STRICT:
        return True
    if KEYWORDS[case.level].search(case.quote):
        return True
    return case.level is Level.MUST and case.spec == "sse" and (
        bool(WHATWG_MUST.search(case.quote)) or case.id in WHATWG_NORMATIVE_STEPS)


def test_every_level_is_the_keyword_of_its_quote() -> None:
    wrong = [f"{c.id} [{c.level.value}]: {c.quote}" for c in CASES if not keyword_ok(c)]
    assert wrong == []


def test_strict_cases_claim_no_requirement() -> None:
    """A STRICT case's requirement never says MUST or SHOULD: it is a preference, not an obligation."""
    claims = [f"{c.id}: {c.requirement}" for c in CASES
              if c.level is Level.STRICT and re.search(r"\b(MUST|SHOULD)\b", c.requirement)]
    assert claims == []


def test_the_whatwg_exemption_lists_only_must_cases_of_the_catalog() -> None:
    by_id = {c.id: c for c in CASES}
    assert {i: by_id[i].level for i in WHATWG_NORMATIVE_STEPS if i in by_id} == dict.fromkeys(
        WHATWG_NORMATIVE_STEPS, Level.MUST)
