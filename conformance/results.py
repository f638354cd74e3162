"""Results: one frozen record per case, one per run, and their JSON form (documented in
docs/run-json-schema.md). Reports are pure functions of a :class:`RunResult` and never touch the catalog.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from conformance.measure import Measurement
from conformance.model import Case, Level, Outcome, Verdict
from conformance.textbudget import ACTUAL_CHARS, ERROR_CHARS, clip, clip_items
from conformance.wire.transcript import Entry, Transcript

__all__ = ["SCHEMA_VERSION", "TRANSCRIPTS_FILE", "CaseResult", "RunResult", "TargetInfo", "case_result"]

#: Bump on any incompatible change of the run.json layout. 2: the transcripts moved to a gzipped file
#: beside run.json (:data:`TRANSCRIPTS_FILE`); version 1 (transcripts inline) is still read.
SCHEMA_VERSION = 2
#: The file beside run.json holding every case's transcript (gzipped JSON, docs/run-json-schema.md).
TRANSCRIPTS_FILE = "transcripts.json.gz"
#: The most measurements kept per case (a case records a handful; the bound holds for any case).
MAX_MEASUREMENTS = 16


@dataclass(frozen=True, slots=True)
class CaseResult:
    """What happened in one case.

    Attributes:
        outcome: the case outcome (worse of the two axes, or skipped / errored).
        behavior, close: the two verdict axes.
        close_detail: Autobahn's close word ("OK", "WRONG CODE", "UNCLEAN", "FAILED", ...).
        error: for errored cases, what went wrong in the harness or the target (timeout, refused, bug).
        started: seconds from the start of the run to the start of the case.
        transcript_dropped: transcript entries not kept (over the cap).
        autobahn_behavior: Autobahn's behaviour word where the case judges the observation differently on
            purpose (:attr:`conformance.model.Verdict.autobahn_behavior`), else None.
        measurements: what the case measured (:mod:`conformance.measure`; the Autobahn 9.x cases), at most
            :data:`MAX_MEASUREMENTS`; never part of the outcome.
        origin: the ported test of another suite (:attr:`conformance.model.Case.origin`), or None.
    """

    id: str
    level: Level
    outcome: Outcome
    behavior: Outcome
    close: Outcome
    close_detail: str = "OK"
    expected: tuple[str, ...] = ()
    actual: str = ""
    remote_close_code: int | None = None
    notes: tuple[str, ...] = ()
    error: str = ""
    autobahn: str | None = None
    section: str = ""
    group: str = ""
    desc: str = ""
    requirement: str = ""
    quote: str = ""
    started: float = 0.0
    duration_s: float = 0.0
    transcript: tuple[Entry, ...] = ()
    transcript_dropped: int = 0
    autobahn_behavior: str | None = None
    measurements: tuple[Measurement, ...] = ()
    origin: str | None = None

    @property
    def spec(self) -> str:
        """The spec key, the first part of the ID."""
        return self.id.split("/", 1)[0]

    def to_json(self, *, transcript: bool = True) -> dict[str, Any]:
        """A JSON-ready dict (see docs/run-json-schema.md); without ``transcript``, as run.json holds it
        (the entries live in :data:`TRANSCRIPTS_FILE`)."""
        obj = {
            "id": self.id, "autobahn": self.autobahn, "section": self.section, "group": self.group,
            "level": self.level.value, "outcome": self.outcome.value, "behavior": self.behavior.value,
            "close": self.close.value, "close_detail": self.close_detail, "expected": list(self.expected),
            "actual": self.actual, "remote_close_code": self.remote_close_code, "notes": list(self.notes),
            "error": self.error, "desc": self.desc, "requirement": self.requirement, "quote": self.quote,
            "started": round(self.started, 6), "duration_s": round(self.duration_s, 6),
            "transcript": [e.to_json() for e in self.transcript],
            "transcript_dropped": self.transcript_dropped, "autobahn_behavior": self.autobahn_behavior,
            "measurements": [m.to_json() for m in self.measurements],
            "origin": self.origin,
        }
        if not transcript:
            del obj["transcript"]
        return obj

    @classmethod
    def from_json(cls, obj: dict[str, Any], transcript: list[dict[str, Any]] | None = None) -> CaseResult:
        """Inverse of :meth:`to_json`; ``transcript``: the entries when ``obj`` has none of its own."""
        return cls(
            id=obj["id"], level=Level(obj["level"]), outcome=Outcome(obj["outcome"]),
            behavior=Outcome(obj["behavior"]), close=Outcome(obj["close"]), close_detail=obj["close_detail"],
            expected=tuple(obj["expected"]), actual=obj["actual"], remote_close_code=obj["remote_close_code"],
            notes=tuple(obj["notes"]), error=obj["error"], autobahn=obj["autobahn"], section=obj["section"],
            group=obj["group"], desc=obj["desc"], requirement=obj["requirement"], quote=obj["quote"],
            started=obj["started"], duration_s=obj["duration_s"],
            transcript=tuple(Entry.from_json(e) for e in obj.get("transcript", transcript or [])),
            transcript_dropped=obj["transcript_dropped"], autobahn_behavior=obj.get("autobahn_behavior"),
            measurements=tuple(Measurement.from_json(m)
                               for m in obj.get("measurements", [])[:MAX_MEASUREMENTS]),
            origin=obj.get("origin"))


def case_result(case: Case, *, verdict: Verdict | None = None, outcome: Outcome | None = None,
                error: str = "", transcript: Transcript | None = None, started: float = 0.0,
                duration_s: float = 0.0) -> CaseResult:
    """Build a case's result from its verdict, or from an ``outcome`` (skipped / errored) and ``error``.

    What came from the target is cut to the budgets of :mod:`conformance.textbudget` here, whatever the
    case built: ``actual`` and ``error`` to 4 KiB, ``expected`` and ``notes`` to 16 items of 1 KiB.
    """
    v = verdict or Verdict()
    if outcome is not None:
        behavior = close = outcome
        final = outcome
        detail = "FAILED" if outcome is Outcome.ERRORED else outcome.value.upper()
    else:
        behavior, close, final, detail = v.behavior, v.close, v.outcome, v.close_detail
    tr = transcript or Transcript()
    return CaseResult(
        id=case.id, level=case.level, outcome=final, behavior=behavior, close=close, close_detail=detail,
        expected=clip_items(v.expected), actual=clip(v.actual, ACTUAL_CHARS),
        remote_close_code=v.remote_close_code, notes=clip_items(v.notes), error=clip(error, ERROR_CHARS),
        autobahn=case.autobahn, section=case.section, group=case.group_title, desc=case.desc,
        requirement=case.requirement, quote=case.quote, started=started, duration_s=duration_s,
        transcript=tuple(tr.entries), transcript_dropped=tr.dropped,
        autobahn_behavior=v.autobahn_behavior if outcome is None else None,
        measurements=v.measurements[:MAX_MEASUREMENTS] if outcome is None else (), origin=case.origin)


@dataclass(frozen=True, slots=True)
class TargetInfo:
    """The target a run was made against.

    Attributes:
        kind: "url", "command" or "reference" (or a plugin's kind).
        name: the report directory name.
        url: the URL the cases connected to.
        command: the command line, for started targets.
        output: the tail of the started target's stdout and stderr.
        returncode: the started target's exit status (None if it was not started or is still running).
        resources: memory and CPU samples of the target during the run (conformance/resources.py), or
            None when the target kind cannot be sampled (url).
    """

    kind: str
    name: str
    url: str
    command: str = ""
    output: str = ""
    returncode: int | None = None
    resources: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"kind": self.kind, "name": self.name, "url": self.url, "command": self.command,
                "output": self.output, "returncode": self.returncode, "resources": self.resources}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TargetInfo:
        """Inverse of :meth:`to_json`."""
        return cls(obj["kind"], obj["name"], obj["url"], obj["command"], obj["output"], obj["returncode"],
                   obj.get("resources"))


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run: the target, the options, and every selected case's result in catalog order."""

    target: TargetInfo
    tool_version: str
    catalog_hash: str
    started_at: str
    duration_s: float
    options: dict[str, Any] = field(default_factory=dict)
    cases: tuple[CaseResult, ...] = ()
    run_timed_out: bool = False
    schema_version: int = SCHEMA_VERSION

    def counts(self) -> dict[str, int]:
        """Number of cases per outcome value (every outcome present, zeros included)."""
        got = Counter(c.outcome.value for c in self.cases)
        return {o.value: got.get(o.value, 0) for o in Outcome}

    def failures(self, levels: frozenset[Level] = frozenset({Level.MUST})) -> list[CaseResult]:
        """Failed or errored cases at one of ``levels``."""
        bad = (Outcome.FAILED, Outcome.ERRORED)
        return [c for c in self.cases if c.outcome in bad and c.level in levels]

    def to_json(self) -> dict[str, Any]:
        """The run.json document (without the transcripts: :meth:`transcripts_json`)."""
        return {**self.to_json_head(), "cases": [c.to_json(transcript=False) for c in self.cases]}

    def transcripts_json(self) -> dict[str, Any]:
        """The :data:`TRANSCRIPTS_FILE` document: every case's transcript entries by case ID."""
        return {"schema_version": self.schema_version, "started_at": self.started_at,
                "cases": {c.id: [e.to_json() for e in c.transcript] for c in self.cases}}

    def to_json_head(self) -> dict[str, Any]:
        """The run.json document without its cases (``"cases": []``, last)."""
        return {
            "schema_version": self.schema_version, "tool": "rtconform", "tool_version": self.tool_version,
            "catalog_hash": self.catalog_hash, "started_at": self.started_at,
            "duration_s": round(self.duration_s, 6), "run_timed_out": self.run_timed_out,
            "target": self.target.to_json(), "options": self.options, "summary": self.counts(),
            "transcripts": TRANSCRIPTS_FILE, "cases": [],
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any], transcripts: dict[str, Any] | None = None) -> RunResult:
        """Parse a run.json document; ``transcripts``: the :data:`TRANSCRIPTS_FILE` document beside it
        (schema 2; without it the cases have no transcript). Schema 1 (transcripts inline) is read too.

        Raises:
            ValueError: the document's schema_version is not one this version reads, or the transcripts
                document belongs to another run.
        """
        if obj.get("schema_version") not in (1, SCHEMA_VERSION):
            raise ValueError(f"unsupported run.json schema_version {obj.get('schema_version')!r}")
        entries: dict[str, Any] = {}
        if transcripts is not None:
            if transcripts.get("started_at") != obj["started_at"]:
                raise ValueError(f"{TRANSCRIPTS_FILE} belongs to the run started "
                                 f"{transcripts.get('started_at')!r}, not this one ({obj['started_at']!r})")
            entries = transcripts["cases"]
        return cls(
            target=TargetInfo.from_json(obj["target"]), tool_version=obj["tool_version"],
            catalog_hash=obj["catalog_hash"], started_at=obj["started_at"], duration_s=obj["duration_s"],
            options=obj["options"],
            cases=tuple(CaseResult.from_json(c, entries.get(c["id"])) for c in obj["cases"]),
            run_timed_out=obj["run_timed_out"])
