"""HTTP/1.1 for the raw clients, protocol-neutral: build any request, parse a response head tolerantly.

The WebSocket upgrade request and its checks are in :mod:`conformance.wire.wshandshake`; the sans-IO
response reader (head and de-framed body) is :mod:`conformance.wire.httpread`, and the client that runs
it on a connection is :mod:`conformance.wire.httpclient`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_HEAD", "HttpResponse", "build_http_request", "parse_response_head", "split_resource"]

#: The longest response head a raw client reads before giving up on it.
MAX_HEAD = 16 * 1024


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A parsed response head (the body, if any, is not read).

    Attributes:
        status: the status code, or 0 if the status line was not HTTP.
        reason: the reason phrase.
        headers: (name, value) pairs as received.
        raw: the head's bytes up to and including the blank line.
    """

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    raw: bytes
    http_version: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The values of every header called ``name`` (case-insensitive) joined by ", ", or None."""
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None

    def tokens(self, name: str) -> list[str]:
        """The comma-separated tokens of header ``name``, lower-cased."""
        value = self.header(name) or ""
        return [t.strip().lower() for t in value.split(",") if t.strip()]



def parse_response_head(raw: bytes) -> HttpResponse:
    """Parse a response head (``raw`` ends with the blank line). Tolerant: a garbage line is kept, not fatal.

    Raises:
        ValueError: the status line is not ``HTTP/x.y NNN ...`` (the message shows it).
    """
    text = raw.decode("latin-1")
    status_line, _, rest = text.partition("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an http status line: {status_line[:80]!r}")
    headers = []
    for line in rest.split("\r\n"):
        if not line:
            continue
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return HttpResponse(int(parts[1]), parts[2] if len(parts) > 2 else "", tuple(headers), raw, parts[0])


def build_http_request(method: str, resource: str, host: str, headers: tuple[tuple[str, str], ...] = (),
                       body: bytes = b"") -> bytes:
    """A request with ``Host``, the headers, ``Content-Length`` when there is a body or a POST."""
    lines = [f"{method} {resource} HTTP/1.1", f"Host: {host}"]
    lines += [f"{n}: {v}" for n, v in headers]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def split_resource(resource: str) -> tuple[str, str]:
    """``/path?query`` -> (``/path``, ``query``)."""
    path, _, query = resource.partition("?")
    return path or "/", query
