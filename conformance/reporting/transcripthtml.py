"""The transcript table of the HTML report, written in Python: the report's largest and most repeated
piece (one row per transcript entry, thousands on the page of passed cases), too slow through a Jinja
loop. The ``transcript`` macro of ``macros.html`` calls :func:`transcript_table`.

Every value goes out as the templates' ``{{ }}`` would put it: control characters shown as escapes
(:func:`conformance.reporting.visible.visible`, line breaks and tabs kept) and then HTML-escaped, so a
payload from the target is text on the page, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from conformance.reporting.visible import visible
from conformance.reporting.wireview import EntryView

__all__ = ["transcript_table"]

_HEAD = ('<table class="transcript">\n'
         '    <thead><tr><th scope="col">ms</th><th scope="col">direction</th><th scope="col">what</th></tr>'
         '</thead>\n    <tbody>\n')


def _t(value: str | int) -> str:
    """``value`` as text on the page (what ``{{ value }}`` gives in the templates)."""
    return str(escape(visible(value, keep="\n\t") if isinstance(value, str) else value))


def _row(e: EntryView, with_hex: bool) -> str:
    parts = [f'      <tr class="d-{_t(e.direction)} k-{_t(e.kind)}">\n'
             f'        <td class="t">{_t(e.t_ms)}</td>\n'
             f'        <td class="dir">{_t(e.arrow)}</td>\n'
             '        <td class="what">\n']
    if e.kind == "bytes":
        parts.append(f'<span class="kind">{_t(e.length)} bytes</span> ')
    parts.append(f"{_t(e.text)}\n")
    if e.decoded:
        parts.append('<pre class="decoded">' + "".join(f"{_t(line)}\n" for line in e.decoded) + "</pre>")
    parts += [f'<div class="cut">{_t(cut)}</div>' for cut in e.cuts]
    if with_hex and e.hex:
        dump = "".join(f'<span class="off">{_t(h.offset)}</span>  {_t(f"{h.hex:<47}")}  '
                       f'<span class="asc">{_t(h.ascii)}</span>\n' for h in e.hex)
        parts.append(f'<details class="hex"><summary>hex ({_t(e.recorded)} bytes)</summary><pre>{dump}'
                     "</pre></details>")
    parts.append("        </td>\n      </tr>\n")
    return "".join(parts)


def transcript_table(views: Iterable[EntryView], more: str = "", with_hex: bool = True) -> Markup:
    """The ``<table class="transcript">`` of ``views``; ``more``: a visible note about entries not shown;
    ``with_hex``: with each entry's hex dump (folded)."""
    rows = "".join(_row(e, with_hex) for e in views)
    tail = f'      <tr class="dropped"><td colspan="3" class="cut">{_t(more)}</td></tr>\n' if more else ""
    return Markup(f"{_HEAD}{rows}{tail}    </tbody>\n  </table>")  # every value escaped above
