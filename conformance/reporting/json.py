"""run.json (our schema, docs/run-json-schema.md), the gzipped transcripts beside it, and
Autobahn-compatible index.json."""

from __future__ import annotations

import gzip
import json
from typing import Any

from conformance.model import Outcome
from conformance.results import CaseResult, RunResult

__all__ = ["autobahn_index", "autobahn_words", "render_index", "render_run", "render_transcripts"]

#: Autobahn's behaviour words for our outcomes.
AUTOBAHN_WORDS = {
    Outcome.PASSED: "OK", Outcome.NON_STRICT: "NON-STRICT", Outcome.INFORMATIONAL: "INFORMATIONAL",
    Outcome.UNIMPLEMENTED: "UNIMPLEMENTED", Outcome.FAILED: "FAILED", Outcome.ERRORED: "FAILED",
    Outcome.SKIPPED: "SKIPPED",
}

#: Autobahn cases whose class sets ``behavior = FAILED`` when ``behaviorClose`` is WRONG CODE
#: (``case7_1_1.py``-``case7_1_5.py``, ``case7_3_*.py``, ``case7_5_1.py``, ``case7_7_X.py``,
#: ``case7_9_X.py``).
_WRONG_CODE_FAILS = ("7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.1.5", "7.3.", "7.5.1", "7.7.", "7.9.")
#: Autobahn cases that force ``behavior = behaviorClose = INFORMATIONAL`` (``case7_1_6.py``,
#: ``case7_13_*.py``).
_INFORMATIONAL = ("7.1.6", "7.13.1", "7.13.2")
#: Autobahn cases with an ``expected[Case.NON_STRICT]`` list; elsewhere events off the OK list are FAILED.
_HAS_NON_STRICT = ("3.2", "3.3", "3.4", "4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5", "5.15", "6.4.1",
                   "6.4.2", "6.4.3", "6.4.4")


def _wrong_endpoint_fails(autobahn: str) -> bool:
    """Autobahn's ``closedByWrongEndpointIsFatal`` cases: 6.3.x, 6.4.x and the generated 6.5.x-6.23.x."""
    major, minor = (int(p) for p in autobahn.split(".")[:2])
    return major == 6 and minor >= 3


def autobahn_words(c: CaseResult) -> tuple[str, str]:
    """``(behavior, behaviorClose)`` as Autobahn's own case would write them for what this case observed.

    Our verdicts stay RFC 6455's in run.json; index.json speaks Autobahn (protocol-test-matrix §1.4):
    a wrong close code fails the whole case in the 7.x close cases, closing from the wrong endpoint
    fails the UTF-8 cases, 7.1.6 and 7.13.x are informational on both axes, only the cases with a
    NON-STRICT list know that word (elsewhere anything off the OK list is FAILED), a target that leaves
    TCP to the client is "FAILED BY CLIENT", and a case that judges on purpose otherwise than Autobahn
    (the MUST half of the fail-fast split) carries Autobahn's word itself. Cases without an Autobahn id
    keep our words.
    """
    behavior = AUTOBAHN_WORDS[c.behavior]
    close = c.close_detail
    if c.close in (Outcome.ERRORED, Outcome.SKIPPED):
        close = AUTOBAHN_WORDS[c.close]
    if not c.autobahn or c.outcome in (Outcome.ERRORED, Outcome.SKIPPED):
        return behavior, close
    if c.autobahn in _INFORMATIONAL:
        return "INFORMATIONAL", "INFORMATIONAL"
    behavior = c.autobahn_behavior or behavior
    if behavior in ("NON-STRICT", "INFORMATIONAL") and c.autobahn not in _HAS_NON_STRICT:
        # e.g. pongs for only the last of 2.10's pings, a pong answering 2.9's unsolicited pong: Autobahn
        # has a single expected list there
        behavior = "FAILED"
    if close == "NON-STRICT":
        # Case.onConnectionLost: "elif not self.p.factory.isServer and self.p.droppedByMe" (the runner
        # closed TCP because the target did not): "It is preferred that the server close the TCP connection"
        close = "FAILED BY CLIENT"
    if close == "WRONG CODE" and c.autobahn.startswith(_WRONG_CODE_FAILS):
        behavior = "FAILED"
    if close == "FAILED" and _wrong_endpoint_fails(c.autobahn):
        behavior = "FAILED"
    return behavior, close


def render_run(run: RunResult) -> str:
    """The run.json document as text (``json.dumps(run.to_json(), indent=1)``, built one case at a time
    so the whole run never exists twice as Python objects)."""
    doc = run.to_json_head()
    text = json.dumps(doc, indent=1, ensure_ascii=False)
    if not run.cases:
        return text + "\n"
    assert text.endswith('\n "cases": []\n}')
    parts = [text[:-len('[]\n}')] + "[\n"]
    for i, case in enumerate(run.cases):
        body = json.dumps(case.to_json(transcript=False), indent=1, ensure_ascii=False)
        parts.append("  " + body.replace("\n", "\n  ") + (",\n" if i < len(run.cases) - 1 else "\n"))
    parts.append(" ]\n}\n")
    return "".join(parts)


def render_transcripts(run: RunResult) -> bytes:
    """``transcripts.json.gz``: every case's transcript (:meth:`RunResult.transcripts_json`), compact JSON,
    gzipped (no file name or time in the gzip header, so the same run gives the same bytes) at zlib's
    default level: 9 took twice as long for about 6 % less."""
    text = json.dumps(run.transcripts_json(), separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def autobahn_index(run: RunResult) -> dict[str, dict[str, dict[str, Any]]]:
    """``{agent: {caseId: {behavior, behaviorClose, remoteCloseCode, duration, reportfile}}}``.

    Keyed by the Autobahn id where a case has one, else by our case ID; duration in milliseconds.
    """
    cases: dict[str, dict[str, Any]] = {}
    for c in run.cases:
        behavior, close = autobahn_words(c)
        cases[c.autobahn or c.id] = {
            "behavior": behavior,
            "behaviorClose": close,
            "remoteCloseCode": c.remote_close_code,
            "duration": round(c.duration_s * 1000),
            "reportfile": "run.json",
        }
    return {run.target.name: cases}


def render_index(run: RunResult) -> str:
    """index.json as text."""
    return json.dumps(autobahn_index(run), indent=1, ensure_ascii=False) + "\n"
