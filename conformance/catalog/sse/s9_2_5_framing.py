"""WHATWG HTML §9.2.5 "Parsing an event stream": every payload shape survives the framing.

Each case publishes one payload under its own event type and reads it back through the strict parser.
CR and CRLF inside a payload come back as LF: the format joins data lines with LF.
"""

from __future__ import annotations

from conformance.catalog.sse.context import SseContext
from conformance.catalog.sse.verify import roundtrip
from conformance.model import MUST, Verdict, group

G = group("sse", "9.2.5", "Parsing an event stream: payload framing")

_LINES = ("If the field name is \"data\" ... Append the field value to the data buffer, then append a single "
          "U+000A LINE FEED (LF) character to the data buffer.")
_EOL = "end-of-line = ( cr lf / cr / lf )"


def _payload_case(slug: str, desc: str, payload: str, expected: str | None = None,
                  quote: str = _LINES) -> None:
    async def body(ctx: SseContext) -> Verdict:
        return await roundtrip(ctx, payload, expected)

    body.__name__ = slug.replace("-", "_")
    G.case(slug, level=MUST, desc=desc, quote=quote,
           requirement="The server MUST frame the payload so a conforming parser dispatches it unchanged "
                       "(CR and CRLF become LF).")(body)


_payload_case("data-single-line", "Publishes 'hello'", "hello")
_payload_case("data-multi-line-lf", "Publishes 'a\\nb\\nc' (LF line breaks)", "a\nb\nc")
_payload_case("data-cr", "Publishes 'a\\rb' (a lone CR)", "a\rb", "a\nb", _EOL)
_payload_case("data-crlf", "Publishes 'a\\r\\nb' (CRLF)", "a\r\nb", "a\nb", _EOL)
_payload_case("data-trailing-newline", "Publishes 'end\\n' (a trailing LF is kept)", "end\n")
_payload_case("data-empty-lines", "Publishes '\\n\\nx\\n\\n' (empty lines inside the data)",
              "\n\nx\n\n")
_payload_case("data-empty", "Publishes an empty body (the event still fires with data '')", "")
_payload_case("data-leading-space", "Publishes ' x' (one leading space must survive)", " x",
              quote="If value starts with a U+0020 SPACE character, remove it from value.")
_payload_case("data-leading-spaces-lines", "Publishes '  two\\n one\\n\\tthree' (spaces, a tab)",
              "  two\n one\n\tthree",
              quote="If value starts with a U+0020 SPACE character, remove it from value.")
_payload_case("data-colon", "Publishes ':not a comment: x' (colons in the data)", ":not a comment: x",
              quote="If the line starts with a U+003A COLON character (:) Ignore the line.")
_payload_case("data-field-lookalike", "Publishes 'id: 5\\nevent: x\\nretry: 1' as data",
              "id: 5\nevent: x\nretry: 1")
_payload_case("data-unicode", "Publishes non-ASCII text (accents, CJK, emoji, U+2028)",
              "caf\u00e9 \u6f22\u5b57 \U0001f600 \u2028 \ufffd",
              quote="Streams must be decoded using the UTF-8 decode algorithm.")
_payload_case("data-bom-inside", "Publishes '\\ufeffx' (a BOM that is data, not a stream start)",
              "\ufeffx",
              quote="The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any.")
_payload_case("data-nul", "Publishes 'a\\x00b' (U+0000 in data is delivered)", "a\0b")
_payload_case("data-64kib", "Publishes 64 KiB of text in one event", "0123456789abcdef" * 4096)
_payload_case("data-many-lines", "Publishes 1000 short lines", "\n".join(str(i) for i in range(1000)))
