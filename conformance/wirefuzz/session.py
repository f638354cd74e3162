"""The over-the-wire fuzz loop: draw plans, run them, minimise and save findings, write ``fuzz.json``.

Plan ``i`` of a session with seed ``s`` is drawn from ``random.Random(s * 1_000_003 + i)``, so a seed
replays a whole session and a case file names the plan it came from. A finding is saved once per
(kind, rule) signature; later repeats are counted. After every plan that ends in a violation (and every
``liveness_every`` plans) a new connection must still get an echo; a target that stops serving ends the
session with a "not-live" finding.

``fuzz.json`` (schema ``rtconform-fuzz/1``) is what the HTML report reads::

    {"schema": "rtconform-fuzz/1", "target": url, "seed": 7, "duration": 30.0, "plans": 812,
     "violations": 490, "started": iso, "finished": iso, "stopped": "time" | "max-findings" | "not-live",
     "findings": [{"id": "f01-hang-rsv-bits", "kind": "hang", "rule": "rsv-bits", "detail": "...",
                   "repeats": 3, "index": 12, "groups": 1, "case_file": "fuzz-cases/f01-....json",
                   "transcript_file": "fuzz-cases/f01-....txt"}]}
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from conformance.wire.endpoint import Endpoint
from conformance.wire.transcript import Transcript
from conformance.wirefuzz.casefile import save_case
from conformance.wirefuzz.execute import Verdict, execute, liveness
from conformance.wirefuzz.plan import Plan, generate

__all__ = ["SCHEMA", "Finding", "FuzzResult", "FuzzSettings", "fuzz", "minimise", "plan_for"]

SCHEMA = "rtconform-fuzz/1"


@dataclass(frozen=True, slots=True)
class FuzzSettings:
    """How long and how to fuzz.

    Attributes:
        duration: seconds of fuzzing (minimising a finding may run past it by up to ``timeout`` x budget).
        seed: the session seed.
        timeout: seconds a target has to react to one plan.
        max_findings: stop after this many distinct findings.
        liveness_every: check a new connection after this many plans (and after each violation).
        minimise_budget: plan runs allowed to minimise one finding.
    """

    duration: float
    seed: int
    timeout: float = 3.0
    max_findings: int = 20
    liveness_every: int = 10
    minimise_budget: int = 25


@dataclass(slots=True)
class Finding:
    """One distinct problem, with its minimised case file."""

    id: str
    kind: str
    rule: str
    detail: str
    index: int
    groups: int
    repeats: int = 1
    case_file: str = ""
    transcript_file: str = ""


@dataclass(slots=True)
class FuzzResult:
    """A whole session; ``to_json`` is the ``fuzz.json`` document."""

    target: str
    seed: int
    duration: float
    started: str
    finished: str = ""
    plans: int = 0
    violations: int = 0
    stopped: str = "time"
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The ``fuzz.json`` document (see the module docstring)."""
        doc = {k: v for k, v in asdict(self).items() if k != "findings"}
        return {"schema": SCHEMA, **doc, "findings": [asdict(f) for f in self.findings]}


def plan_for(seed: int, index: int) -> Plan:
    """The plan number ``index`` of the session with ``seed``."""
    return generate(random.Random(seed * 1_000_003 + index))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


async def minimise(plan: Plan, kind: str, endpoint: Endpoint, *, timeout: float,
                   budget: int) -> tuple[Plan, Verdict | None]:
    """Drop TCP chopping and valid groups while the finding keeps its kind; return the smallest plan
    and its verdict (None if no smaller plan reproduced it)."""
    best: Verdict | None = None

    async def reproduces(candidate: Plan) -> bool:
        nonlocal budget, best
        if budget <= 0:
            return False
        budget -= 1
        try:
            verdict = await execute(candidate, endpoint, timeout=timeout)
        except OSError:
            return False
        if verdict.kind == kind:
            best = verdict
        return verdict.kind == kind

    if any(g.chop for g in plan.groups) and await reproduces(plan.unchopped()):
        plan = plan.unchopped()
    fixed = 1 if plan.violation is not None or plan.closes else 0
    index = 0
    while index < len(plan.groups) - fixed and budget > 0:
        candidate = plan.without(index)
        if await reproduces(candidate):
            plan = candidate
        else:
            index += 1
    return plan, best


async def fuzz(endpoint: Endpoint, settings: FuzzSettings, out_dir: Path | None,
               progress: Callable[[str], None] | None = None) -> FuzzResult:
    """Run a session against ``endpoint``; write case files and ``fuzz.json`` under ``out_dir``."""
    session = _Session(endpoint, settings, out_dir, progress)
    await session.run()
    result = session.result
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "fuzz.json").write_text(json.dumps(result.to_json(), indent=1) + "\n", encoding="utf-8")
    return result


class _Session:
    def __init__(self, endpoint: Endpoint, settings: FuzzSettings, out_dir: Path | None,
                 progress: Callable[[str], None] | None) -> None:
        self.endpoint, self.settings, self.out_dir, self.progress = endpoint, settings, out_dir, progress
        self.result = FuzzResult(endpoint.url, settings.seed, settings.duration, _now())
        self.seen: dict[tuple[str, str], Finding] = {}

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + self.settings.duration
        result = self.result
        while loop.time() < end and result.stopped == "time":
            index = result.plans
            plan = plan_for(self.settings.seed, index)
            result.plans += 1
            result.violations += plan.violation is not None
            await self._one(plan, index)
            if any(f.kind == "not-live" for f in result.findings):
                result.stopped = "not-live"
            elif len(result.findings) >= self.settings.max_findings:
                result.stopped = "max-findings"
        result.finished = _now()

    async def _one(self, plan: Plan, index: int) -> None:
        timeout = self.settings.timeout
        try:
            verdict = await execute(plan, self.endpoint, timeout=timeout)
        except OSError as exc:
            verdict = Verdict("not-live", f"connection refused: {exc}", Transcript())
        if not verdict.ok:
            await self._record(plan, index, verdict)
        if verdict.kind == "not-live":
            return
        if plan.violation is not None or index % self.settings.liveness_every == 0:
            live = await liveness(self.endpoint, timeout=timeout)
            if not live.ok:
                await self._record(plan, index, live)

    async def _record(self, plan: Plan, index: int, verdict: Verdict) -> None:
        rule = plan.violation or ("close" if plan.closes else "valid")
        key = (verdict.kind, rule)
        if key in self.seen:
            self.seen[key].repeats += 1
            return
        if verdict.kind != "not-live":
            small, again = await minimise(plan, verdict.kind, self.endpoint, timeout=self.settings.timeout,
                                          budget=self.settings.minimise_budget)
            plan, verdict = small, again or verdict
        finding = Finding(f"f{len(self.result.findings) + 1:02d}-{verdict.kind}-{rule}", verdict.kind, rule,
                          verdict.detail, index, len(plan.groups))
        if self.out_dir is not None:
            path = save_case(self.out_dir / "fuzz-cases", finding.id, seed=self.settings.seed, index=index,
                             plan=plan, kind=verdict.kind, detail=verdict.detail,
                             transcript=verdict.transcript)
            finding.case_file = str(path.relative_to(self.out_dir))
            finding.transcript_file = str(path.with_suffix(".txt").relative_to(self.out_dir))
        self.seen[key] = finding
        self.result.findings.append(finding)
        if self.progress is not None:
            self.progress(f"finding {finding.id}: {finding.detail}")
