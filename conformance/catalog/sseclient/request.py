"""A strict, sans-IO reader of the request head an EventSource client sends (RFC 9112 §2-§5), bounded.

The client-mode responder (:mod:`conformance.catalog.sseclient.server`) reads exactly one request per
connection: the head, never a body (an EventSource request is a ``GET``). :func:`parse_request_head`
judges the bytes up to and including the blank line; :class:`HeadBuffer` collects them as they arrive and
refuses more than :data:`MAX_REQUEST_HEAD` bytes, so a client that never ends its head cannot grow the
runner's memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_REQUEST_HEAD", "HeadBuffer", "Request", "parse_request_head"]

#: The longest request head read (request line, fields and the blank line).
MAX_REQUEST_HEAD = 16 * 1024

# RFC 9112 §3: "request-line = method SP request-target SP HTTP-version"; §2.3: "HTTP-version =
# HTTP-name "/" DIGIT "." DIGIT". An EventSource request's target is in origin-form (§3.2.1).
_REQUEST_LINE = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+) (/[^ \x00-\x1f\x7f]*) HTTP/(\d)\.(\d)")
# RFC 9110 §5.1: "field-name = token"; §5.5: field values are VCHAR, obs-text, SP and HTAB.
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


@dataclass(frozen=True, slots=True)
class Request:
    """One request head as the client sent it.

    Attributes:
        method: the method, case as sent.
        target: the request-target (``/path?query``).
        headers: (name, value) pairs in order, values with surrounding whitespace removed; values are
            decoded as Latin-1 so that every octet survives (``Last-Event-ID`` is UTF-8: see
            :meth:`utf8_header`).
        problem: why the head is not a valid HTTP/1.1 request, or "".
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    problem: str = ""

    def header(self, name: str) -> str | None:
        """Every value of header ``name`` (case-insensitive) joined by ", ", or None."""
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None

    def utf8_header(self, name: str) -> str | None:
        """Header ``name`` with its octets decoded as UTF-8 (invalid ones replaced), or None."""
        value = self.header(name)
        return None if value is None else value.encode("latin-1").decode("utf-8", "replace")

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.partition("?")[0]


def parse_request_head(raw: bytes) -> Request:
    """Parse ``raw`` (a head ending with CRLF CRLF). Never raises: a malformed head comes back with
    ``problem`` set (and whatever could be read)."""
    text = raw.decode("latin-1")
    if not text.endswith("\r\n\r\n"):
        return Request("", "", (), "the head does not end with CRLF CRLF")
    lines = text[:-4].split("\r\n")
    match = _REQUEST_LINE.fullmatch(lines[0])
    if match is None:
        return Request("", "", (), f"not a request line in origin-form: {lines[0][:80]!r}")
    method, target = match[1], match[2]
    if (match[3], match[4]) != ("1", "1"):
        return Request(method, target, (), f"HTTP/{match[3]}.{match[4]}, not HTTP/1.1")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not _FIELD_NAME.fullmatch(name):
            # RFC 9112 §5.1: "No whitespace is allowed between the field name and colon"; §5.2: obs-fold
            # (a line starting with whitespace) is not allowed in a request.
            return Request(method, target, tuple(headers), f"malformed header line: {line[:80]!r}")
        value = value.strip(" \t")
        if not _FIELD_VALUE.fullmatch(value):
            return Request(method, target, tuple(headers), f"control character in header {name!r}")
        headers.append((name, value))
    # RFC 9112 §3.2: "A client MUST send a Host header field in all HTTP/1.1 request messages."
    hosts = [v for n, v in headers if n.lower() == "host"]
    if len(hosts) != 1:
        return Request(method, target, tuple(headers), f"{len(hosts)} Host header fields, not one")
    return Request(method, target, tuple(headers))


class HeadBuffer:
    """Collects a request head as bytes arrive: ``feed`` until it returns the whole head (the blank line
    included) or ``overflow`` says the client sent more than :data:`MAX_REQUEST_HEAD` bytes without one.
    Bytes after the head (a body, a pipelined request) are kept in ``rest``, at most one read's worth."""

    def __init__(self, limit: int = MAX_REQUEST_HEAD) -> None:
        self.limit = limit
        self.overflow = False
        self.rest = b""
        self._buf = bytearray()

    def feed(self, data: bytes) -> bytes | None:
        """Add ``data``; the head once it is complete, else None."""
        if self.overflow:
            return None
        start = max(0, len(self._buf) - 3)
        self._buf += data
        end = self._buf.find(b"\r\n\r\n", start)
        if end < 0:
            if len(self._buf) > self.limit:
                self.overflow = True
                self._buf.clear()
            return None
        if end + 4 > self.limit:
            self.overflow = True
            self._buf.clear()
            return None
        head, self.rest = bytes(self._buf[:end + 4]), bytes(self._buf[end + 4:])
        self._buf.clear()
        return head
