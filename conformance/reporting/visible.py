"""The one display sanitizer: characters a terminal or a page would act on, shown as escapes instead.

Text from a target (a reason phrase, a header, a close reason, a payload, its output) may carry
control characters: ESC starts the sequences that colour text, set the window title or clear the screen;
BEL, NUL, DEL and the C1 controls (U+0080-U+009F, U+009B is a one-character CSI) act on terminals too;
bidi controls reorder what is shown; lone surrogates cannot even be written as UTF-8. :func:`visible`
shows each of them as a backslash escape (``\\x1b``, ``\\x07``, ``\\x9b``, ``\\u202e``) so an ESC
sequence reads as ``\\x1b[31m`` and does nothing. Applied where text leaves the program: the terminal
summary (:mod:`conformance.reporting.terminal`), every ``{{ }}`` of the HTML templates (the Jinja
``finalize`` hook, :mod:`conformance.reporting.html`) and the JUnit XML (:mod:`conformance.reporting.junit`).
run.json keeps the text as the target sent it (JSON escapes control characters itself).
"""

from __future__ import annotations

import re

__all__ = ["CONTROL", "visible"]

#: C0 controls, DEL, C1 controls, the bidi embedding/override/isolate controls, the line and paragraph
#: separators, and lone surrogates.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control character escaped, except those in ``keep`` (e.g. ``"\\n\\t"``
    where line breaks and tabs are wanted as such)."""
    if not CONTROL.search(text):
        return text
    if not keep:
        return CONTROL.sub(_escape, text)
    return CONTROL.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
