"""Sets of HTTP status codes as a reader says them: ``400-499 or 505``, not 101 codes joined by slashes."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["status_set"]


def status_set(statuses: Iterable[int]) -> str:
    """``statuses`` sorted, runs of consecutive codes as ``first-last``, the parts joined with ", " and a
    final " or ": ``(400, ..., 499, 505)`` -> ``"400-499 or 505"``; ``(426,)`` -> ``"426"``."""
    codes = sorted(set(statuses))
    runs: list[tuple[int, int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
    if len(parts) <= 1:
        return parts[0] if parts else "none"
    return ", ".join(parts[:-1]) + " or " + parts[-1]
