"""The transcript table written in Python gives exactly what the Jinja macro it replaced gave (kept here
as the reference), for hostile entries too: markup and control characters from a target stay text."""

from __future__ import annotations

import jinja2
import pytest

from conformance.reporting.html import _shown
from conformance.reporting.transcripthtml import transcript_table
from conformance.reporting.wireview import HEX_SHOW, entry_views
from conformance.wire.transcript import Entry

#: The macro as it was before the table moved to Python (same environment settings as the report's).
REFERENCE = """{% macro transcript(views, more="", hex=True) -%}
  <table class="transcript">
    <thead><tr><th scope="col">ms</th><th scope="col">direction</th><th scope="col">what</th></tr></thead>
    <tbody>
    {% for e in views %}
      <tr class="d-{{ e.direction }} k-{{ e.kind }}">
        <td class="t">{{ e.t_ms }}</td>
        <td class="dir">{{ e.arrow }}</td>
        <td class="what">
          {% if e.kind == "bytes" %}<span class="kind">{{ e.length }} bytes</span> {% endif %}{{ e.text }}
          {% if e.decoded %}<pre class="decoded">{% for line in e.decoded %}{{ line }}
{% endfor %}</pre>{% endif %}
          {% for cut in e.cuts %}<div class="cut">{{ cut }}</div>{% endfor %}
          {% if hex and e.hex %}<details class="hex"><summary>hex ({{ e.recorded }} bytes)</summary><pre>\
{% for h in e.hex %}<span class="off">{{ h.offset }}</span>  {{ "%-47s" | format(h.hex) }}  \
<span class="asc">{{ h.ascii }}</span>
{% endfor %}</pre></details>{% endif %}
        </td>
      </tr>
    {% endfor %}
    {% if more %}
      <tr class="dropped"><td colspan="3" class="cut">{{ more }}</td></tr>
    {% endif %}
    </tbody>
  </table>
{%- endmacro %}"""

HOSTILE = "<script>alert('x')</script> & \"q\" \x1b[31m\x00\u202e\n\tend"


def _masked_text(payload: bytes) -> bytes:
    key = b"\x01\x02\x03\x04"
    return bytes([0x81, 0x80 | len(payload)]) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


ENTRIES = [
    Entry(0.0001, "note", "event", "connected to 127.0.0.1:1"),
    Entry(0.0002, "tx", "bytes", "GET", b"GET / HTTP/1.1\r\nHost: <x>\x1b\r\n\r\n", 30),
    Entry(0.0003, "tx", "bytes", "frame op=0x1 len=20", _masked_text(HOSTILE.encode()[:20]), 26),
    Entry(0.0004, "rx", "frame", "TEXT fin=1 " + HOSTILE, HOSTILE.encode(), len(HOSTILE.encode())),
    Entry(0.0005, "rx", "frame", "CLOSE", b"\x03\xe8" + HOSTILE.encode(), 2 + len(HOSTILE.encode())),
    Entry(0.0006, "rx", "bytes", "", bytes(range(256)) * 5, 70000),  # cut by the runner and by the view
    Entry(0.0007, "note", "event", HOSTILE),
]


@pytest.mark.parametrize("with_hex", [True, False])
@pytest.mark.parametrize("more", ["", "3 more entries <b>not</b> shown"])
@pytest.mark.parametrize("spec", ["ws", "sse"])
def test_python_table_equals_the_jinja_macro(with_hex: bool, more: str, spec: str) -> None:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, finalize=_shown)
    macro = env.from_string(REFERENCE).module.transcript  # type: ignore[attr-defined]
    views = entry_views(ENTRIES, spec, with_hex)
    assert str(transcript_table(views, more, with_hex)) == str(macro(views, more, hex=with_hex))


def test_hostile_text_stays_text() -> None:
    page = str(transcript_table(entry_views(ENTRIES), "<i>more</i>"))
    assert "<script>" not in page
    assert "<i>" not in page
    assert "\x1b" not in page
    assert "\x00" not in page
    assert "&lt;script&gt;" in page
    assert f"the hex view shows the first {HEX_SHOW} of 1280 recorded bytes" in page
