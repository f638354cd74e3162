"""Wire-fuzz findings as the HTML report shows them: ``fuzz.json`` (schema ``rtconform-fuzz/1``) and the
case files under ``fuzz-cases/`` it names (``rtconform-fuzz-case/1``, docs/fuzzing.md).

:func:`load_fuzz` reads a report folder's ``fuzz.json`` into a :class:`FuzzView`: per finding its summary,
the minimised stimulus (each frame decoded, with its hex), the transcript (as case pages show it) and the
replay command line. The files are the target's reactions and may be hand-edited: every field is
checked, a bad one becomes a visible problem on the page, case files must lie inside the folder, and
everything is capped (and says so). Nothing here produces markup; the templates escape every string.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from conformance.reporting.wireview import (
    HEX_SHOW,
    EntryView,
    HexLine,
    decode_payload,
    entry_views,
    hex_lines,
)
from conformance.wire.transcript import Entry
from conformance.wire.wsframes import Frame, FrameReader, FrameTooLarge, Op
from conformance.wirefuzz.casefile import FORMAT as CASE_FORMAT
from conformance.wirefuzz.casefile import plan_from_json
from conformance.wirefuzz.plan import Group, Plan
from conformance.wirefuzz.session import SCHEMA

__all__ = ["CASE_FORMAT", "SCHEMA", "FindingView", "FuzzView", "StimulusFrame", "StimulusGroup", "load_fuzz"]

#: Caps: findings shown per report, frames per stimulus group, transcript entries per finding, and the
#: largest fuzz.json / case file read (a plan holds at most a few hundred KiB).
MAX_FINDINGS, MAX_FRAMES, MAX_ENTRIES, MAX_FILE = 50, 64, 300, 16 * 2**20
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,80}$")


@dataclass(frozen=True, slots=True)
class StimulusFrame:
    """One frame of the minimised plan: its header in words, decoded payload, hex and size."""

    text: str
    decoded: tuple[str, ...]
    hex: tuple[HexLine, ...]
    size: int
    cuts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StimulusGroup:
    """One group of the plan: what it is, its frames, and what the target must do with it."""

    label: str
    frames: tuple[StimulusFrame, ...]
    expects: str
    chop: str
    more_frames: int


@dataclass(frozen=True, slots=True)
class FindingView:
    """One finding, with what its case file holds (empty when the file could not be read: ``problems``)."""

    id: str
    kind: str
    rule: str
    detail: str
    repeats: int
    index: int
    judged: str
    groups: tuple[StimulusGroup, ...]
    transcript: tuple[EntryView, ...]
    transcript_more: int
    case_path: str
    case_href: str
    text_href: str
    replay: str
    problems: tuple[str, ...]

    @property
    def slug(self) -> str:
        """The finding's anchor part: its id when it is a plain word, else a hash."""
        if _SLUG.match(self.id):
            return self.id
        return "x" + hashlib.sha256(self.id.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class FuzzView:
    """A fuzz session (one ``fuzz.json``); ``problem`` says why it could not be read, if it could not."""

    source: str
    target: str
    seed: str
    duration: str
    started: str
    finished: str
    plans: int
    violations: int
    stopped: str
    findings: tuple[FindingView, ...]
    findings_more: int
    problem: str = ""


def _str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    return "" if value is None else str(value)


def _int(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _read_json(path: Path) -> tuple[Any, str]:
    """The document, or None and why not."""
    try:
        if path.stat().st_size > MAX_FILE:
            return None, f"{path.name} is over {MAX_FILE} bytes, not read"
        return json.loads(path.read_text(encoding="utf-8")), ""
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path.name} could not be read: {exc}"


def _inside(folder: Path, rel: str) -> Path | None:
    """``folder / rel`` if it stays inside ``folder`` (fuzz.json may be hand-edited), else None."""
    if not rel or "\x00" in rel:
        return None
    path = folder / rel
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return None
    return path


def _href(path: Path, report_dir: Path) -> str:
    """A relative link from the report folder to ``path`` (URL-quoted), or "" when it does not exist."""
    if not path.is_file():
        return ""
    return quote(Path(os.path.relpath(path.resolve(), report_dir.resolve())).as_posix())


def _frame_view(raw: bytes) -> StimulusFrame:
    """Decode one client frame of a plan (legal or not) for the page."""
    try:
        frames = FrameReader(MAX_FILE).feed(raw)
    except FrameTooLarge as exc:
        frames, text = [], f"header declares {exc.declared} bytes of payload ({len(raw)} bytes sent)"
    else:
        text = "" if len(frames) == 1 else f"{len(raw)} bytes that do not make one whole frame"
    decoded: tuple[str, ...] = ()
    if len(frames) == 1:
        fr: Frame = frames[0]
        text = fr.describe()
        try:
            name = Op(fr.opcode).name
        except ValueError:
            name = ""
        decoded = tuple(decode_payload(name, fr.payload))
    cuts = (f"the hex view shows the first {HEX_SHOW} of {len(raw)} bytes",) if len(raw) > HEX_SHOW else ()
    return StimulusFrame(text, decoded, hex_lines(raw[:HEX_SHOW]), len(raw), cuts)


def _expects(echo: tuple[bool, bytes] | None) -> str:
    if echo is None:
        return "no echo expected"
    return f"echo of a {'binary' if echo[0] else 'text'} message of {len(echo[1])} bytes"


def _group(group: Group) -> StimulusGroup:
    chop = f"written in {group.chop}-byte TCP segments" if group.chop else ""
    return StimulusGroup(group.label, tuple(_frame_view(f) for f in group.frames[:MAX_FRAMES]),
                         _expects(group.echo), chop, max(0, len(group.frames) - MAX_FRAMES))


def _judged(plan: Plan) -> str:
    """What the oracle expected from the target for this plan, in words."""
    if plan.violation is None:
        ending = "then a closing handshake" if plan.closes else "and the connection stays open"
        return f"valid traffic: every message echoed byte for byte, in order, {ending}"
    closes = " or ".join(str(c) for c in plan.codes) or "the rule's code"
    also = ", and never echo it"
    if plan.tolerated:
        also = "; echoing it is conforming too (the rule binds the sender)"
    return f"violation {plan.violation}: the target must close with {closes} or close TCP{also}"


def _transcript(doc: dict[str, Any]) -> tuple[tuple[EntryView, ...], int, list[str]]:
    raw = doc.get("transcript")
    items = raw if isinstance(raw, list) else []
    entries, problems = [], []
    for item in items[:MAX_ENTRIES]:
        try:
            entries.append(Entry.from_json(item))
        except (KeyError, TypeError, ValueError, AttributeError):
            problems.append("a transcript entry in the case file is malformed (skipped)")
    return tuple(entry_views(entries, "ws")), max(0, len(items) - MAX_ENTRIES), problems[:1]


def _finding(obj: dict[str, Any], folder: Path, report_dir: Path, target: str) -> FindingView:
    problems: list[str] = []
    groups: tuple[StimulusGroup, ...] = ()
    transcript: tuple[EntryView, ...] = ()
    more, judged, case_href, text_href, case_path, replay = 0, "", "", "", "", ""
    case = _inside(folder, _str(obj, "case_file"))
    if case is None:
        problems.append(f"no usable case file ({_str(obj, 'case_file') or 'none named'})")
    else:
        case_path, case_href = str(case), _href(case, report_dir)
        replay = shlex.join(["rtconform", "replay", case_path, "--target", target])
        doc, problem = _read_json(case)
        if problem or not isinstance(doc, dict) or doc.get("format") != CASE_FORMAT:
            problems.append(problem or f"{case.name} is not a {CASE_FORMAT} file")
        else:
            try:
                plan = plan_from_json(doc.get("plan"))
                groups, judged = tuple(_group(g) for g in plan.groups[:MAX_FRAMES]), _judged(plan)
            except ValueError as exc:
                problems.append(f"{case.name}: {exc}")
            transcript, more, bad = _transcript(doc)
            problems += bad
    text = _inside(folder, _str(obj, "transcript_file"))
    text_href = _href(text, report_dir) if text is not None else ""
    return FindingView(_str(obj, "id"), _str(obj, "kind"), _str(obj, "rule"), _str(obj, "detail"),
                       _int(obj, "repeats"), _int(obj, "index"), judged, groups, transcript, more, case_path,
                       case_href, text_href, replay, tuple(problems))


def load_fuzz(folder: Path, report_dir: Path | None = None) -> FuzzView | None:
    """The fuzz session saved in ``folder`` (``fuzz.json``), or None when there is none.

    Args:
        folder: a report folder (``<report-dir>/<host_port>``) as the user named it; case file paths in
            the replay command are shown under it.
        report_dir: where the HTML report is written (links are relative to it); default ``folder``.
    """
    path = folder / "fuzz.json"
    if not path.is_file():
        return None
    doc, problem = _read_json(path)
    if not problem and (not isinstance(doc, dict) or doc.get("schema") != SCHEMA):
        problem = f"fuzz.json is not a {SCHEMA} document"
    if problem:
        return FuzzView(str(path), "", "", "", "", "", 0, 0, "", (), 0, problem)
    raw = doc.get("findings")
    findings: Sequence[Any] = raw if isinstance(raw, list) else []
    target = _str(doc, "target")
    shown = tuple(_finding(f, folder, report_dir or folder, target) for f in findings[:MAX_FINDINGS]
                  if isinstance(f, dict))
    duration = doc.get("duration")
    return FuzzView(
        str(path), target, _str(doc, "seed"),
        f"{duration:g} s" if isinstance(duration, int | float) and not isinstance(duration, bool) else "",
        _str(doc, "started"), _str(doc, "finished"), _int(doc, "plans"), _int(doc, "violations"),
        _str(doc, "stopped"), shown, max(0, len(findings) - MAX_FINDINGS))
