"""run.json (our schema, docs/run-json-schema.md) and Autobahn-compatible index.json."""

from __future__ import annotations

import json
from typing import Any

from conformance.model import Outcome
from conformance.results import RunResult

__all__ = ["autobahn_index", "render_index", "render_run"]

#: Autobahn's behaviour words for our outcomes.
AUTOBAHN_WORDS = {
    Outcome.PASSED: "OK", Outcome.NON_STRICT: "NON-STRICT", Outcome.INFORMATIONAL: "INFORMATIONAL",
    Outcome.UNIMPLEMENTED: "UNIMPLEMENTED", Outcome.FAILED: "FAILED", Outcome.ERRORED: "FAILED",
    Outcome.SKIPPED: "SKIPPED",
}


def render_run(run: RunResult) -> str:
    """The run.json document as text."""
    return json.dumps(run.to_json(), indent=1, ensure_ascii=False) + "\n"


def autobahn_index(run: RunResult) -> dict[str, dict[str, dict[str, Any]]]:
    """``{agent: {caseId: {behavior, behaviorClose, remoteCloseCode, duration, reportfile}}}``.

    Keyed by the Autobahn id where a case has one, else by our case ID; duration in milliseconds.
    """
    cases: dict[str, dict[str, Any]] = {}
    for c in run.cases:
        close_word = c.close_detail
        if c.close in (Outcome.ERRORED, Outcome.SKIPPED):
            close_word = AUTOBAHN_WORDS[c.close]
        cases[c.autobahn or c.id] = {
            "behavior": AUTOBAHN_WORDS[c.behavior],
            "behaviorClose": close_word,
            "remoteCloseCode": c.remote_close_code,
            "duration": round(c.duration_s * 1000),
            "reportfile": "run.json",
        }
    return {run.target.name: cases}


def render_index(run: RunResult) -> str:
    """index.json as text."""
    return json.dumps(autobahn_index(run), indent=1, ensure_ascii=False) + "\n"
