"""The server side of the opening handshake (RFC 6455 §4.2), as pure functions over a parsed request.

HTTP parsing is not done here (``reference.servers`` uses h11); ``negotiate`` takes the request line
and headers and decides: ``Accept`` (send 101 with its headers) or ``Reject`` (send an error status).

Duplicate header lines are handled deliberately:

* list-valued headers (``Upgrade``, ``Connection``, ``Sec-WebSocket-Protocol``) are read as one list
  over all their lines, as RFC 7230 §3.2.2 allows: "A recipient MAY combine multiple header fields with
  the same field name into one "field-name: field-value" pair, without changing the semantics of the
  message, by appending each subsequent field value to the combined field value in order, separated by
  a comma."
* single-valued headers are rejected with 400 when repeated: ``Host`` (RFC 7230 §5.4: a server "MUST
  respond with a 400 (Bad Request) status code to ... any request message that contains more than one
  Host header field"), ``Sec-WebSocket-Key`` (RFC 6455 §11.3.1: "MUST NOT appear more than once in an
  HTTP request"), ``Sec-WebSocket-Version`` (§11.3.5 forbids repeating it in a request too) and
  ``Origin`` (RFC 6454 §7.3: "The user agent MUST NOT include more than one Origin header field in any
  HTTP request").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from reference.core.ws import deflate

__all__ = ["GUID", "Accept", "Reject", "Request", "accept_key", "negotiate"]

Headers = tuple[tuple[str, str], ...]

#: RFC 6455 §1.3: the GUID concatenated with the key before hashing.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: RFC 6455 §4.1: "The value of this header field MUST be 13."
SUPPORTED_VERSION = "13"
_KEY_BYTES = 16

# RFC 9112 §3.2: Host = uri-host [ ":" port ], with RFC 3986 §3.2.2-3.2.3: uri-host is an IP-literal
# ("[" IPv6address / IPvFuture "]"), an IPv4address or a reg-name of unreserved, pct-encoded and sub-delims
# characters; port = *DIGIT.
_HOST_VALUE = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]"
    r"|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)"
    r"(?::[0-9]*)?"
)


@dataclass(frozen=True, slots=True)
class Request:
    """The parts of an HTTP request that decide a WebSocket upgrade.

    Attributes:
        method: The request method, e.g. "GET".
        target: The request target, e.g. "/chat?x=1".
        http_version: The HTTP version, e.g. "1.1".
        headers: Header lines as received; name lookups are case-insensitive.
    """

    method: str
    target: str
    http_version: str
    headers: Headers


@dataclass(frozen=True, slots=True)
class Accept:
    """Upgrade: answer 101 Switching Protocols with ``headers``.

    Attributes:
        headers: Upgrade, Connection, Sec-WebSocket-Accept and, if chosen, Sec-WebSocket-Protocol and
            Sec-WebSocket-Extensions.
        subprotocol: The chosen subprotocol, or None.
        deflate: The permessage-deflate agreement (RFC 7692) to hand to ``protocol.Connection``, or None.
    """

    headers: Headers
    subprotocol: str | None
    deflate: deflate.DeflateParams | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """Refuse: answer ``status`` with ``headers`` and close the connection.

    Attributes:
        status: 400, 403 or 426.
        reason: Short, lower-case reason, e.g. "missing sec-websocket-key".
        headers: Extra response headers (426 carries Sec-WebSocket-Version: 13).
    """

    status: int
    reason: str
    headers: Headers = ()


class _Refused(Exception):
    """Internal: carries a ``Reject`` out of the checks."""

    def __init__(self, status: int, reason: str, headers: Headers = ()) -> None:
        super().__init__(reason)
        self.reject = Reject(status, reason, headers)


def accept_key(key: str) -> str:
    """Compute Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2, step 5.4).

    Example:
        >>> accept_key("dGhlIHNhbXBsZSBub25jZQ==")
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    """
    digest = hashlib.sha1((key + GUID).encode("ascii"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


def _values(headers: Headers, name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def _single(headers: Headers, name: str) -> str | None:
    """Return the only value of ``name``, None if absent; refuse a repeated header with 400."""
    values = _values(headers, name)
    if len(values) > 1:
        raise _Refused(400, f"duplicate {name} header")
    return values[0].strip() if values else None


def _tokens(headers: Headers, name: str) -> list[str]:
    """Return the comma-separated list elements of ``name`` over all its lines (empty ones dropped)."""
    return [item.strip() for value in _values(headers, name) for item in value.split(",") if item.strip()]


def _check_request_line(request: Request) -> None:
    # RFC 6455 §4.2.1: "An HTTP/1.1 or higher GET request, including a "Request-URI""
    if request.method != "GET":
        raise _Refused(400, f"method must be get, got {request.method!r}")
    major, _, minor = request.http_version.partition(".")
    if not (major.isdigit() and (minor.isdigit() or not minor)):
        raise _Refused(400, f"invalid http version {request.http_version!r}")
    if (int(major), int(minor or 0)) < (1, 1):
        raise _Refused(400, f"http/1.1 or later required, got {request.http_version!r}")


def _check_upgrade_headers(headers: Headers) -> str:
    """Check Host, Upgrade, Connection, Sec-WebSocket-Version and -Key; return the key."""
    # RFC 6455 §4.2.1: "A |Host| header field containing the server's authority."
    host = _single(headers, "host")
    if not host:
        raise _Refused(400, "missing host header" if host is None else "empty host header")
    # RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
    # message that lacks a Host header field and to any request message that contains more than one Host
    # header field line or a Host header field with an invalid field value."
    if not _HOST_VALUE.fullmatch(host):
        raise _Refused(400, f"invalid host header {host!r}")
    # RFC 6455 §4.2.1: "An |Upgrade| header field containing the value "websocket", treated as an ASCII
    # case-insensitive value."
    if "websocket" not in (token.lower() for token in _tokens(headers, "upgrade")):
        raise _Refused(400, f"upgrade header must contain websocket, got {_values(headers, 'upgrade')!r}")
    # RFC 6455 §4.2.1: "A |Connection| header field that includes the token "Upgrade", treated as an
    # ASCII case-insensitive value."
    if "upgrade" not in (token.lower() for token in _tokens(headers, "connection")):
        raise _Refused(400, f"connection header must contain upgrade, got {_values(headers, 'connection')!r}")
    # RFC 6455 §4.2.2: "If this version does not match a version understood by the server, the server MUST
    # abort the WebSocket handshake described in this section and instead send an appropriate HTTP error
    # code (such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header field indicating the
    # version(s) the server is capable of understanding."
    version = _single(headers, "sec-websocket-version")
    if version != SUPPORTED_VERSION:
        reason = "missing sec-websocket-version" if version is None else f"unsupported version {version!r}"
        raise _Refused(426, reason, (("Sec-WebSocket-Version", SUPPORTED_VERSION),))
    # RFC 6455 §4.2.1: "A |Sec-WebSocket-Key| header field with a base64-encoded value that, when decoded,
    # is 16 bytes in length." Non-canonical encodings (padding bits set) are refused too.
    key = _single(headers, "sec-websocket-key")
    if key is None:
        raise _Refused(400, "missing sec-websocket-key")
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise _Refused(400, f"sec-websocket-key is not base64: {key!r}") from None
    if len(raw) != _KEY_BYTES or base64.b64encode(raw).decode("ascii") != key:
        raise _Refused(400, f"sec-websocket-key must be 16 bytes in canonical base64: {key!r}")
    return key


def _check_origin(headers: Headers, allowed_origins: Collection[str] | None) -> None:
    # RFC 6455 §4.2.2: "If the server does not wish to accept this connection, it MUST return an
    # appropriate HTTP error code (e.g., 403 Forbidden) and abort the WebSocket handshake".
    if allowed_origins is None:
        return
    origin = _single(headers, "origin")
    if origin is None:
        raise _Refused(403, "missing origin header")
    # RFC 6454 §4: origins are serialized in lower case (scheme and host), so compare without case.
    if origin.lower() not in {allowed.lower() for allowed in allowed_origins}:
        raise _Refused(403, f"origin not allowed: {origin!r}")


def _choose_subprotocol(headers: Headers, subprotocols: Sequence[str]) -> str | None:
    # RFC 6455 §4.2.2: "The value chosen MUST be derived from the client's handshake, specifically by
    # selecting one of the values from the |Sec-WebSocket-Protocol| field that the server is willing to
    # use for this connection (if any)." The server's order of preference decides.
    offered = set(_tokens(headers, "sec-websocket-protocol"))
    return next((name for name in subprotocols if name in offered), None)


def negotiate(
    request: Request,
    *,
    subprotocols: Sequence[str] = (),
    allowed_origins: Collection[str] | None = None,
    compression: deflate.DeflateConfig | None = None,
) -> Accept | Reject:
    """Decide a WebSocket upgrade request (RFC 6455 §4.2.1, §4.2.2).

    Args:
        request: The parsed request.
        subprotocols: Subprotocols the server supports, most preferred first.
        allowed_origins: Origins allowed to connect, or None to accept any (and a missing) Origin.
        compression: The server's permessage-deflate preferences, or None to decline every extension.

    Returns:
        ``Accept`` with the 101 headers, or ``Reject`` with the status (400 malformed request, 403 origin
        refused, 426 unsupported version) and a short reason naming the offending value.
    """
    try:
        _check_request_line(request)
        key = _check_upgrade_headers(request.headers)
        _check_origin(request.headers, allowed_origins)
        chosen = _choose_subprotocol(request.headers, subprotocols)
    except _Refused as refused:
        return refused.reject
    headers: Headers = (
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
    )
    if chosen is not None:
        # RFC 6455 §4.2.2: "If the server does not wish to agree to one of the suggested subprotocols, it
        # MUST NOT send back a |Sec-WebSocket-Protocol| header field in its response."
        headers += (("Sec-WebSocket-Protocol", chosen),)
    agreed = None
    if compression is not None:
        # RFC 6455 §9.1: the server's |Sec-WebSocket-Extensions| response names the extensions it accepted
        # from the client's list; with none acceptable the header is left out and nothing is compressed.
        choice = deflate.negotiate(_values(request.headers, "sec-websocket-extensions"), compression)
        if choice is not None:
            response, agreed = choice
            headers += (("Sec-WebSocket-Extensions", response),)
    return Accept(headers, chosen, agreed)
