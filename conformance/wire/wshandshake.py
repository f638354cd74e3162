"""The WebSocket opening handshake from the client's side, written by hand so that any request (legal or
not) can be sent, and the checks of the server's 101 answer.

RFC 6455 §4.1 (client requirements) and §4.2.2 (the server's response). The HTTP response head itself is
parsed by :mod:`conformance.wire.http`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Sequence

from conformance.wire.http import HttpResponse

__all__ = ["GUID", "accept_key", "build_request", "new_key", "upgrade_problems"]

#: RFC 6455 §1.3: the GUID concatenated to the key to compute Sec-WebSocket-Accept.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


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
                  connection: str | None = "Upgrade", extensions: Sequence[str] = ()) -> bytes:
    """An opening-handshake request; any standard field can be changed or left out (None).

    ``extensions`` are offer elements, sent (any text, valid or not) as one ``Sec-WebSocket-Extensions``
    header (RFC 6455 §9.1). Extra ``headers`` come last, after the standard ones, in the order given.
    """
    lines = [f"{method} {resource} {http_version}"]
    fields: list[tuple[str, str | None]] = [
        ("Host", host), ("Upgrade", upgrade), ("Connection", connection), ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", version), ("Origin", origin),
        ("Sec-WebSocket-Protocol", ", ".join(subprotocols) if subprotocols else None),
        ("Sec-WebSocket-Extensions", ", ".join(extensions) if extensions else None),
    ]
    lines += [f"{name}: {value}" for name, value in fields if value is not None]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def upgrade_problems(response: HttpResponse, key: str | None) -> list[str]:
    """Why ``response`` is not a valid 101 answer to a request with key ``key`` (§4.2.2, §4.1)."""
    problems = []
    if response.status != 101:
        problems.append(f"status {response.status} {response.reason}".strip())
    if "websocket" not in response.tokens("upgrade"):
        problems.append(f"upgrade header {response.header('upgrade')!r}")
    if "upgrade" not in response.tokens("connection"):
        problems.append(f"connection header {response.header('connection')!r}")
    if key is not None and response.header("sec-websocket-accept") != accept_key(key):
        problems.append(f"sec-websocket-accept {response.header('sec-websocket-accept')!r}, "
                        f"expected {accept_key(key)!r}")
    return problems
