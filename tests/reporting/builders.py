"""Hand-built runs for the report tests: exact outcomes, levels, close codes and transcripts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance.model import Level, Outcome
from conformance.results import CaseResult, RunResult, TargetInfo
from conformance.wire.transcript import Entry

__all__ = ["case", "run"]


def case(case_id: str, outcome: str = "passed", *, level: str = "MUST", code: int | None = 1000,
         duration: float = 0.003, transcript: tuple[Entry, ...] = (), **fields: Any) -> CaseResult:
    """A case result; ``case_id`` is ``spec/section/slug`` and the group is taken from the section."""
    _spec, section, slug = case_id.split("/", 2)
    o = Outcome(outcome)
    base = CaseResult(
        id=case_id, level=Level(level), outcome=o, behavior=o, close=Outcome.PASSED,
        close_detail="OK" if o is Outcome.PASSED else "FAILED", expected=("events [echo]",),
        actual=f"actual of {slug}", remote_close_code=code, section=section,
        group=f"Group {section.split('.')[0]}", desc=f"stimulus of {slug}",
        requirement=f"requirement of {slug}", quote=f"quote of {slug}", duration_s=duration,
        transcript=transcript)
    return replace(base, **fields)


def run(*cases: CaseResult, name: str = "target", fail_on: str = "must", catalog: str = "c0ffee",
        **target: Any) -> RunResult:
    """A run of ``cases`` against a url target called ``name``."""
    info = TargetInfo(kind="url", name=name, url=target.get("url", "ws://127.0.0.1:9001"),
                      command=target.get("command", ""), output=target.get("output", ""))
    return RunResult(info, "0.1.0", catalog, "2026-11-26T12:00:00Z", 1.5,
                     {"fail_on": fail_on, "strict": False, "include": [], "exclude": []}, tuple(cases))
