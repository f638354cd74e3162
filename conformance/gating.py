"""Which levels fail a run: ``--fail-on must|should|strict`` and ``--strict``, in one place.

The gating levels are ordered MUST > SHOULD > STRICT; ``--fail-on LEVEL`` makes that level and every
level above it gate (a failed or errored case at a gating level makes the exit code 1). MAY never gates:
the spec makes it optional. Without ``--fail-on``, a run gates on MUST, and a ``--strict`` run (which
selects every level) gates on everything down to STRICT: whoever asks for strict gets strict.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.model import Level

__all__ = ["FAIL_ON", "default_fail_on", "gating_levels", "unselected_gate_warning"]

#: ``--fail-on`` values, strongest first, with the levels each one gates on.
FAIL_ON: dict[str, frozenset[Level]] = {
    "must": frozenset({Level.MUST}),
    "should": frozenset({Level.MUST, Level.SHOULD}),
    "strict": frozenset({Level.MUST, Level.SHOULD, Level.STRICT}),
}


def default_fail_on(strict: bool) -> str:
    """``--fail-on`` when it is not given: "strict" for a ``--strict`` run, else "must"."""
    return "strict" if strict else "must"


def gating_levels(fail_on: str | None) -> frozenset[Level]:
    """The levels whose failed or errored cases fail the run; an unknown or missing value (a run.json
    from an older release) gates on MUST only."""
    return FAIL_ON.get(fail_on or "must", FAIL_ON["must"])


def unselected_gate_warning(fail_on: str, levels: Iterable[Level], *, strict: bool) -> str | None:
    """The warning for an explicit ``--fail-on should|strict`` that gates on no selected case (the
    cases of ``levels``), or None. ``strict``: whether the run selects SHOULD and STRICT cases at all."""
    extra = [lv for lv in (Level.SHOULD, Level.STRICT) if lv in gating_levels(fail_on)]
    if not extra or set(levels) & set(extra):
        return None
    names = " or ".join(lv.value for lv in extra)
    hint = "the selection has none" if strict else "add --strict"
    return f"--fail-on {fail_on}, but no {names} case is selected ({hint})"
