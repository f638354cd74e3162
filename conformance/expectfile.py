"""The expectations file (``--expect FILE``): known deviations of one target, one reason per case ID.

The format is the one of ``conformance/expectations/*.toml``::

    target = "websockets"            # optional top-level strings: what the file is about
    version = "17"

    [cases]
    "ws/5.2/rsv1-without-extension" = "the server ignores RSV1 (issue #123)"
    # pinned to one outcome: any other failure is not the expected one (aiohttp's strict xfail map)
    "ws/7.1/close-after-close" = { reason = "times out instead of closing", outcome = "errored" }

A listed case that fails (or errors) as expected does not fail the run. A listed case that passes now
fails the run ("strict", like aiohttp's map): the file is out of date and the case must be removed.
Cases not selected in a run are ignored; IDs unknown to the catalog are reported by :func:`unknown_ids`.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from conformance.model import Outcome

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["FAILING", "Expectation", "Expectations", "ExpectationsError", "load", "parse", "unknown_ids"]

#: Outcomes that count as a failure: they fail a run unless expected.
FAILING = frozenset({Outcome.FAILED, Outcome.ERRORED})


class ExpectationsError(ValueError):
    """The expectations file cannot be read or is malformed (the message names the file and the value)."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """One known deviation.

    Attributes:
        case_id: the case ID.
        reason: why the target deviates (never empty).
        outcome: the exact outcome expected (``failed`` or ``errored``), or None for either.
    """

    case_id: str
    reason: str
    outcome: Outcome | None = None

    def matches(self, outcome: Outcome) -> bool:
        """Whether ``outcome`` is the failure this expectation describes."""
        return outcome is self.outcome if self.outcome is not None else outcome in FAILING


@dataclass(frozen=True, slots=True)
class Expectations:
    """A parsed expectations file.

    Attributes:
        source: where it was read from (for messages and reports).
        meta: the top-level strings (``target``, ``version``, ...).
        cases: case ID -> expectation, in file order.
    """

    source: str
    meta: Mapping[str, str]
    cases: Mapping[str, Expectation]

    def get(self, case_id: str) -> Expectation | None:
        """The expectation for ``case_id``, if it is listed."""
        return self.cases.get(case_id)


def _entry(source: str, case_id: str, value: Any) -> Expectation:
    where = f"{source}: case {case_id!r}"
    if isinstance(value, str):
        value = {"reason": value}
    if not isinstance(value, dict):
        raise ExpectationsError(f"{where}: expected a reason string or a table, not {value!r}")
    extra = sorted(set(value) - {"reason", "outcome"})
    if extra:
        raise ExpectationsError(f"{where}: unknown keys {extra!r} (allowed: reason, outcome)")
    reason = value.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ExpectationsError(f"{where}: every deviation needs a non-empty reason, not {reason!r}")
    outcome = value.get("outcome")
    if outcome is None:
        return Expectation(case_id, reason.strip())
    allowed = sorted(o.value for o in FAILING)
    if outcome not in allowed:
        raise ExpectationsError(f"{where}: outcome must be one of {allowed}, not {outcome!r}")
    return Expectation(case_id, reason.strip(), Outcome(outcome))


def parse(text: str, source: str = "<expectations>") -> Expectations:
    """Parse the TOML text of an expectations file.

    Raises:
        ExpectationsError: invalid TOML, an unknown table, an entry without a reason or a bad outcome.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationsError(f"{source}: invalid toml: {exc}") from None
    meta: dict[str, str] = {}
    for key, value in data.items():
        if key == "cases":
            continue
        if not isinstance(value, str):
            raise ExpectationsError(
                f"{source}: unknown table or non-string key {key!r} (case ids go under [cases])")
        meta[key] = value
    cases = data.get("cases", {})
    if not isinstance(cases, dict):
        raise ExpectationsError(f"{source}: 'cases' must be a table, not {cases!r}")
    parsed = {case_id: _entry(source, case_id, value) for case_id, value in cases.items()}
    return Expectations(source, MappingProxyType(meta), MappingProxyType(parsed))


def load(path: str | Path) -> Expectations:
    """Read an expectations file.

    Raises:
        ExpectationsError: the file cannot be read or is malformed.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExpectationsError(f"cannot read expectations file {str(path)!r}: {exc}") from None
    return parse(text, str(path))


def unknown_ids(expectations: Expectations, known: Collection[str]) -> list[str]:
    """The listed case IDs that are not in ``known`` (typos, retired cases), sorted."""
    return sorted(set(expectations.cases) - set(known))
