"""The opening handshake's HTTP/1.1 side, written by hand so that any request (legal or not) can be sent.

RFC 6455 §4.1 (client requirements) and §4.2.2 (the server's response).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["GUID", "HttpResponse", "accept_key", "build_request", "new_key", "parse_response_head"]

#: RFC 6455 §1.3: the GUID concatenated to the key to compute Sec-WebSocket-Accept.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 16 * 1024


def new_key() -> str:
    """RFC 6455 §4.1: "a randomly selected 16-byte value that has been base64-encoded"."""
    return base64.b64encode(os.urandom(16)).decode()


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value the server must send for ``key`` (§4.2.2 step 5.4)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def build_request(resource: str, host: str, key: str | None, *, version: str | None = "13",
                  subprotocols: Sequence[str] = (), origin: str | None = None,
                  headers: Iterable[tuple[str, str]] = (), method: str = "GET",
                  http_version: str = "HTTP/1.1", upgrade: str | None = "websocket",
                  connection: str | None = "Upgrade") -> bytes:
    """An opening-handshake request; any standard field can be changed or left out (None).

    Extra ``headers`` come last, after the standard ones, in the order given.
    """
    lines = [f"{method} {resource} {http_version}"]
    fields: list[tuple[str, str | None]] = [
        ("Host", host), ("Upgrade", upgrade), ("Connection", connection), ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", version), ("Origin", origin),
        ("Sec-WebSocket-Protocol", ", ".join(subprotocols) if subprotocols else None),
    ]
    lines += [f"{name}: {value}" for name, value in fields if value is not None]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


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

    def upgrade_problems(self, key: str | None) -> list[str]:
        """Why this is not a valid 101 answer to a request with Sec-WebSocket-Key ``key`` (§4.2.2, §4.1)."""
        problems = []
        if self.status != 101:
            problems.append(f"status {self.status} {self.reason}".strip())
        if "websocket" not in self.tokens("upgrade"):
            problems.append(f"upgrade header {self.header('upgrade')!r}")
        if "upgrade" not in self.tokens("connection"):
            problems.append(f"connection header {self.header('connection')!r}")
        if key is not None and self.header("sec-websocket-accept") != accept_key(key):
            problems.append(f"sec-websocket-accept {self.header('sec-websocket-accept')!r}, "
                            f"expected {accept_key(key)!r}")
        return problems


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
