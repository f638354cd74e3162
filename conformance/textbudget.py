"""How much text from a target a case result may hold, and the one function that cuts it.

Everything a case records about the target (``expected``/``actual``, notes, errors) is cut where it is
built and once more where the result is made (:func:`conformance.results.case_result`), so a target that
streams without end cannot grow a result, run.json or a report page (docs/reports.md, "Budgets").
"""

from __future__ import annotations

__all__ = ["ACTUAL_CHARS", "ERROR_CHARS", "ITEM_CHARS", "MAX_ITEMS", "clip", "clip_items"]

#: Characters of ``actual`` (what the target did) kept per case.
ACTUAL_CHARS = 4096
#: Characters of ``error`` kept per case.
ERROR_CHARS = 4096
#: Characters kept per ``expected`` or ``notes`` item, and the number of items kept.
ITEM_CHARS = 1024
MAX_ITEMS = 16


def clip(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and how much was cut (the
    result has at most ``limit`` characters, the note included)."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(f" ... ({len(text)} more characters)"))
    return text[:keep] + f" ... ({len(text) - keep} more characters)"


def clip_items(items: tuple[str, ...], limit: int = ITEM_CHARS, count: int = MAX_ITEMS) -> tuple[str, ...]:
    """At most ``count`` items of at most ``limit`` characters each; the last says how many were cut."""
    kept = tuple(clip(item, limit) for item in items[:count])
    if len(items) <= count:
        return kept
    return (*kept[:-1], f"... ({len(items) - count + 1} more items)")
