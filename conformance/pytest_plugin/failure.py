"""The text pytest shows for a failed or errored case: what was expected, what happened, the spec's
words and how the conversation ended.

Everything a target sent is shown through :func:`~conformance.reporting.visible.visible` (an ESC
sequence in a close reason cannot colour the terminal) and cut to a budget: a target that streams
without end cannot grow a pytest report.
"""

from __future__ import annotations

from conformance.reporting.visible import visible
from conformance.results import CaseResult
from conformance.textbudget import clip

__all__ = ["ACTUAL_SHOWN", "TRANSCRIPT_SHOWN", "failure_text"]

#: Characters of ``actual`` and ``error`` shown (run.json and ``rtconform run``'s reports keep 4 KiB).
ACTUAL_SHOWN = 1000
#: Transcript entries shown: the last ones, how the case ended.
TRANSCRIPT_SHOWN = 12
#: Characters of one transcript line shown.
LINE_SHOWN = 200


def failure_text(result: CaseResult, cited: str = "", link: str = "") -> str:
    """The report of ``result`` (a failed or errored case) as lines of plain, visible text.

    ``cited`` names the document the quote is from ("RFC 6455"), ``link`` the section's URL ("" if none).
    """
    autobahn = f" (Autobahn {result.autobahn})" if result.autobahn else ""
    what = (result.actual or result.error or "-").splitlines()[0]
    lines = [f"{result.level.value} case {result.outcome.value}: {clip(what, LINE_SHOWN)}",
             f"case:        {result.id}{autobahn}, level {result.level.label}",
             f"stimulus:    {result.desc}",
             f"requirement: {result.requirement}"]
    where = " ".join(w for w in (cited, f"\u00a7{result.section}" if result.section else "") if w)
    lines.append(f"spec {where}: \u201c{result.quote}\u201d" + (f" <{link}>" if link else ""))
    if result.expected:
        lines.append("expected:    " + " | ".join(result.expected))
    if result.actual:
        lines.append("actual:      " + clip(result.actual, ACTUAL_SHOWN))
    if result.error:
        lines.append("error:       " + clip(result.error.splitlines()[0], ACTUAL_SHOWN))
    if result.close_detail not in ("OK", "FAILED") or result.remote_close_code is not None:
        code = "" if result.remote_close_code is None else f", close code {result.remote_close_code}"
        lines.append(f"close:       {result.close_detail}{code}")
    lines += [f"note:        {clip(note, ACTUAL_SHOWN)}" for note in result.notes]
    entries = result.transcript[-TRANSCRIPT_SHOWN:]
    total = len(result.transcript) + result.transcript_dropped
    if entries:
        lines.append(f"transcript (the last {len(entries)} of {total} entries):")
        lines += ["  " + clip(e.render(), LINE_SHOWN) for e in entries]
    return "\n".join(visible(line) for line in lines)
