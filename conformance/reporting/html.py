"""The HTML compliance report: ``index.html`` (summary, failures, the case matrix with one column per
run), one page per case that did not pass everywhere (``cases/<id>.html``: the evidence, with hex
views), one page for every case that passed everywhere (``cases/passed.html``, an anchor per case, the
decoded transcripts without hex), plus ``report.css`` and ``report.js``.

A pure view of :class:`RunResult` values (read back from run.json), rendered by Jinja2 with
autoescaping: every string that came from a target (headers, close reasons, payloads, output) is
text on the page, never markup, and its control characters are shown as escapes
(:func:`conformance.reporting.visible.visible`, the environment's ``finalize``). The files are static
and self-contained: no CDN, no network, they open from disk and from any static host; JavaScript only
adds filtering and ordering.

    files = render([run])                      # {"index.html": ..., "cases/ws_5.2_x.html": ..., ...}
    write(files, Path("reports/reference"))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
import markupsafe

from conformance.measure import show_value
from conformance.reporting.fuzzview import FuzzView
from conformance.reporting.htmlmodel import PASSED_PAGE, ReportModel, build, case_file, duration
from conformance.reporting.templatecache import template_cache
from conformance.reporting.transcripthtml import transcript_table
from conformance.reporting.visible import visible
from conformance.reporting.wireview import PASSED_HEAD, entry_views, passed_excerpt
from conformance.results import RunResult
from conformance.review import Review

__all__ = ["ASSETS", "render", "render_fuzz_only", "render_model", "write"]

#: Static files copied next to index.html.
ASSETS = ("report.css", "report.js")


def _shown(value: object) -> object:
    """Every ``{{ }}`` value on its way out: control characters in plain strings shown as escapes
    (line breaks and tabs kept); markup the templates made themselves passes."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value, keep="\n\t")
    return value


@cache
def _environment() -> jinja2.Environment:
    """The templates' environment, made on first use (with the compiled-template cache, if usable)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance.reporting", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=_shown, bytecode_cache=template_cache())
    env.globals.update(case_file=case_file, duration=duration, entry_views=entry_views, show_value=show_value,
                       passed_excerpt=passed_excerpt, passed_head=PASSED_HEAD,
                       transcript_table=transcript_table)
    return env


def _asset(name: str) -> str:
    static = resources.files("conformance.reporting").joinpath("static")
    return static.joinpath(name).read_text(encoding="utf-8")


def render_model(model: ReportModel) -> dict[str, str]:
    """The report files for a built model: relative path -> text."""
    tool = model.columns[0].run.tool_version
    env = _environment()
    files = {"index.html": env.get_template("index.html").render(model=model, root="", tool_version=tool)}
    case_page = env.get_template("case.html")
    for row in model.rows:
        if row.own_page:
            files[row.page] = case_page.render(row=row, root="../", tool_version=tool)
    if model.passed_rows:
        passed = env.get_template("passed.html")
        files[PASSED_PAGE] = passed.render(model=model, root="../", tool_version=tool)
    files.update({name: _asset(name) for name in ASSETS})
    return files


def render(runs: Sequence[RunResult], *, reviews: Sequence[Review] | None = None,
           labels: Sequence[str] | None = None, fuzz: Sequence[FuzzView | None] | None = None,
           notices: Sequence[str] = ()) -> dict[str, str]:
    """The report files for one or more runs (one column each): relative path -> text.

    Args:
        runs: the runs, in column order.
        reviews: the runs with their expectations and baseline (default: plain reviews of ``runs``).
        labels: column headings (default: the target names).
        fuzz: each run's wire-fuzz session (``conformance.reporting.fuzzview.load_fuzz`` of the folder
            holding its run.json), None where there is none; shown in a "Fuzzing" section.
        notices: banners shown above the summary (how this report was made, if that matters).

    Raises:
        ValueError: no run, or ``reviews``/``labels``/``fuzz`` do not match ``runs`` one to one.
    """
    if reviews is None:
        reviews = [Review(run) for run in runs]
    if len(reviews) != len(runs) or any(r.run is not run for r, run in zip(reviews, runs, strict=True)):
        raise ValueError("reviews must be given for the same runs, in the same order")
    return render_model(build(reviews, labels, fuzz, notices))


def render_fuzz_only(fuzz: FuzzView, tool_version: str) -> dict[str, str]:
    """``index.html`` (and the assets) for a report folder with a fuzz session and no run.json."""
    page = _environment().get_template("fuzzonly.html").render(fuzz=fuzz, root="", tool_version=tool_version)
    return {"index.html": page, **{name: _asset(name) for name in ASSETS}}


def write(files: Mapping[str, str], folder: Path) -> list[Path]:
    """Write the report files under ``folder`` (removing case pages of an older report); return the paths.

    Raises:
        OSError: the folder or a file cannot be written.
    """
    cases = folder / "cases"
    if cases.is_dir():
        for old in cases.glob("*.html"):
            if f"cases/{old.name}" not in files:
                old.unlink()
    written = []
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
