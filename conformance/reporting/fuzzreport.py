"""Keep a report folder's ``index.html`` in step with its wire-fuzz session.

``rtconform fuzz`` writes ``fuzz.json`` into ``<report-dir>/<host_port>/`` and then calls :func:`refresh`
on that folder: when a ``run.json`` sits there, ``index.html`` is rendered again from it with the
Fuzzing section; otherwise ``index.html`` is a page with the Fuzzing section alone.

A run rendered with ``--expect`` / ``--baseline`` names those files on its summary card
(``data-expect``, ``data-baseline``, and the ``--perf-regression-factor`` as ``data-perf-factor``); the
refresh reads them again so the verdict and the performance flags do not change. If
one cannot be read any more (moved, or a path relative to another directory), the page is rendered
without it and says so in a banner.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import TextIO

from conformance.baseline import DEFAULT_PERF_REGRESSION_FACTOR, check_factor, read_run
from conformance.reporting.fuzzview import load_fuzz
from conformance.reporting.html import render, render_fuzz_only, write
from conformance.results import RunResult
from conformance.review import Review, ReviewInputs

__all__ = ["previous_inputs", "previous_perf_factor", "refresh", "tool_version"]


def tool_version() -> str:
    """The installed rtconform version (or the source tree's)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rtconform")
    except PackageNotFoundError:
        return "0.1.0+src"


class _CardReader(HTMLParser):
    """Finds the first run card's attributes (``data-expect``, ``data-baseline``, ``data-perf-factor``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.found is None and tag == "article" and ("id", "summary-1") in attrs:
            self.found = dict(attrs)


def _card(index: Path) -> dict[str, str | None]:
    """The first run card's attributes in an existing ``index.html`` (empty when there is none)."""
    try:
        text = index.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    reader = _CardReader()
    reader.feed(text)
    reader.close()
    return reader.found or {}


def previous_inputs(index: Path) -> tuple[str, str]:
    """The expectations file and baseline an existing ``index.html`` was rendered with ("" for none)."""
    found = _card(index)
    return found.get("data-expect") or "", found.get("data-baseline") or ""


def previous_perf_factor(index: Path) -> float:
    """The ``--perf-regression-factor`` an existing ``index.html``'s baseline was applied with (the
    default when it names none or an unreadable one)."""
    try:
        return check_factor(float(_card(index).get("data-perf-factor") or DEFAULT_PERF_REGRESSION_FACTOR))
    except ValueError:
        return DEFAULT_PERF_REGRESSION_FACTOR


def _review(run: RunResult, index: Path) -> tuple[Review, list[str]]:
    expect, baseline = previous_inputs(index)
    if not expect and not baseline:
        return Review(run), []
    try:
        inputs = ReviewInputs.load(expect or None, baseline or None, perf_factor=previous_perf_factor(index))
        return inputs.review(run), []
    except (ValueError, OSError) as exc:
        named = " and ".join(f"{what} {path}" for what, path in
                             (("the expectations file", expect), ("the baseline", baseline)) if path)
        return Review(run), [f"re-rendered by rtconform fuzz without {named}, which could not be read "
                             f"({exc}); rtconform report --expect/--baseline applies them again"]


def refresh(folder: Path, err: TextIO | None = None) -> Path | None:
    """Render ``folder/index.html`` again with the fuzz session saved in ``folder``; return its path.

    Returns None (with a line on ``err``, default stderr) when there is no ``fuzz.json`` or the report
    cannot be written; a ``run.json`` that cannot be read gives the fuzz-only page, and says so.
    """
    err = err or sys.stderr
    fuzz = load_fuzz(folder)
    if fuzz is None:
        return None
    run: RunResult | None = None
    notices: list[str] = []
    if (folder / "run.json").is_file():
        try:
            run = read_run(folder / "run.json")
        except ValueError as exc:
            err.write(f"rtconform: index.html shows the fuzz session only: {exc}\n")
    if run is not None:
        review, notices = _review(run, folder / "index.html")
        files = render([run], reviews=[review], fuzz=[fuzz], notices=notices)
    else:
        files = render_fuzz_only(fuzz, tool_version())
    try:
        write(files, folder)
    except OSError as exc:
        err.write(f"rtconform: cannot write the report in {folder}: {exc}\n")
        return None
    err.writelines(f"rtconform: {notice}\n" for notice in notices)
    return folder / "index.html"
