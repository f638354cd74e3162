"""JUnit XML (xunit2 flavour, as pytest writes it): one testcase per case.

Everything that comes from the target is escaped by ElementTree, its control characters shown as
escapes (:func:`conformance.reporting.visible.visible`, line breaks and tabs kept) and whatever else
XML 1.0 cannot carry replaced, so the file always parses and shows nothing raw.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from conformance.gating import gating_levels
from conformance.model import Outcome
from conformance.reporting.visible import visible
from conformance.results import CaseResult, RunResult

__all__ = ["fail_levels", "render_junit", "xml_safe"]

#: Transcript entries shown per failed case (the last ones: how the case ended).
TRANSCRIPT_TAIL = 20
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with control characters shown as escapes (line breaks and tabs kept) and any other
    character XML 1.0 forbids replaced by U+FFFD."""
    return _INVALID_XML.sub("\ufffd", visible(text, keep="\n\t"))


def _details(c: CaseResult) -> str:
    lines = [f"{c.id} [{c.level.label}] {c.desc}", f"requirement: {c.requirement}",
             f"quote: {c.quote}"]
    if c.expected:
        lines.append("expected: " + " | ".join(c.expected))
    if c.actual:
        lines.append(f"actual: {c.actual}")
    if c.error:
        lines.append(f"error: {c.error}")
    lines.append("transcript:")
    lines += ["  " + e.render() for e in c.transcript[-TRANSCRIPT_TAIL:]]
    return xml_safe("\n".join(lines))


def fail_levels(run: RunResult) -> frozenset[str]:
    """The levels whose failures fail the run (``--fail-on``, :mod:`conformance.gating`)."""
    return frozenset(level.value for level in gating_levels(run.options.get("fail_on")))


def _testcase(c: CaseResult, levels: frozenset[str]) -> ET.Element:
    classname = f"{c.spec}.{c.section}".replace("/", ".")
    el = ET.Element("testcase", {"classname": xml_safe(classname), "name": xml_safe(c.id),
                                 "time": f"{c.duration_s:.6f}"})
    message = xml_safe(f"{c.outcome.value}: {c.actual or c.error}"[:500])
    if c.outcome is Outcome.FAILED and c.level.value in levels:
        ET.SubElement(el, "failure", {"message": message, "type": "failed"}).text = _details(c)
    elif c.outcome is Outcome.ERRORED:
        ET.SubElement(el, "error", {"message": message, "type": "errored"}).text = _details(c)
    elif c.outcome is Outcome.SKIPPED:
        ET.SubElement(el, "skipped", {"message": xml_safe(c.error[:500])})
    elif c.outcome is not Outcome.PASSED:
        ET.SubElement(el, "system-out").text = _details(c)
    return el


def render_junit(run: RunResult) -> str:
    """The JUnit XML document as text."""
    counts = run.counts()
    levels = fail_levels(run)
    failures = sum(1 for c in run.cases if c.outcome is Outcome.FAILED and c.level.value in levels)
    suite = ET.Element("testsuite", {
        "name": "rtconform", "tests": str(len(run.cases)), "failures": str(failures),
        "errors": str(counts["errored"]), "skipped": str(counts["skipped"]),
        "time": f"{run.duration_s:.3f}", "timestamp": run.started_at, "hostname": "rtconform"})
    suite.extend(_testcase(c, levels) for c in run.cases)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
