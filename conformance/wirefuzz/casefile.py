"""Replayable case files: a finding's minimised plan, its verdict and transcript, as JSON.

``rtconform fuzz`` writes ``<dir>/<id>.json`` (and ``<id>.txt``, the transcript rendered for reading);
``rtconform replay <id>.json --target URL`` loads the plan and runs it again. The format::

    {"format": "rtconform-fuzz-case/1", "id": "...", "seed": 7, "index": 12,
     "finding": {"kind": "hang", "detail": "..."},
     "plan": {"violation": "rsv-bits" | null, "codes": [1002], "closes": false, "tolerated": null,
              "groups": [{"label": "...", "frames": ["81 85 ..." hex], "echo": [false, "68656c6c6f"] | null,
                          "chop": null}]},
     "transcript": [Entry.to_json(), ...]}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.wire.transcript import Transcript
from conformance.wirefuzz.plan import Group, Plan

__all__ = ["FORMAT", "load_plan", "plan_from_json", "plan_to_json", "save_case"]

FORMAT = "rtconform-fuzz-case/1"


def _echo_to_json(echo: tuple[bool, bytes] | None) -> list[object] | None:
    return None if echo is None else [echo[0], echo[1].hex()]


def _echo_from_json(obj: Any) -> tuple[bool, bytes] | None:
    return None if obj is None else (bool(obj[0]), bytes.fromhex(str(obj[1])))


def plan_to_json(plan: Plan) -> dict[str, object]:
    """The plan as JSON-ready data."""
    return {
        "violation": plan.violation, "codes": list(plan.codes), "closes": plan.closes,
        "tolerated": _echo_to_json(plan.tolerated),
        "groups": [{"label": g.label, "frames": [f.hex(" ") for f in g.frames],
                    "echo": _echo_to_json(g.echo), "chop": g.chop} for g in plan.groups],
    }


def plan_from_json(obj: Any) -> Plan:
    """Rebuild a plan from ``plan_to_json`` data.

    Raises:
        ValueError: the data is not a plan (the message names what is wrong).
    """
    try:
        groups = tuple(Group(str(g["label"]), tuple(bytes.fromhex(f) for f in g["frames"]),
                             _echo_from_json(g["echo"]), None if g["chop"] is None else int(g["chop"]))
                       for g in obj["groups"])
        return Plan(groups, obj["violation"], tuple(int(c) for c in obj["codes"]), bool(obj["closes"]),
                    _echo_from_json(obj["tolerated"]))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"not a fuzz plan: {type(exc).__name__}: {exc}") from None


def save_case(folder: Path, case_id: str, *, seed: int, index: int, plan: Plan, kind: str, detail: str,
              transcript: Transcript) -> Path:
    """Write ``<folder>/<case_id>.json`` and its rendered transcript ``.txt``; return the JSON path."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"format": FORMAT, "id": case_id, "seed": seed, "index": index,
           "finding": {"kind": kind, "detail": detail}, "plan": plan_to_json(plan),
           "transcript": [e.to_json() for e in transcript.entries]}
    path = folder / f"{case_id}.json"
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    lines = [f"{case_id}: {kind}: {detail}", *(e.render() for e in transcript.entries)]
    path.with_suffix(".txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_plan(path: Path) -> tuple[Plan, dict[str, Any]]:
    """Read a case file; return its plan and the whole document.

    Raises:
        ValueError: not a case file of this format.
        OSError: the file cannot be read.
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not json: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file")
    return plan_from_json(doc["plan"]), doc
