"""What a connection error means for a run: one line naming the exception and what happened, and whether
the target cannot be reached at all (then the run stops: every later case would fail the same way).

Unreachable: the connection is refused, the host name does not resolve, or the TLS handshake fails
(the target does not speak TLS, or its certificate is not trusted). A reset or an EOF in the middle of a
case is that case's business: cases provoke them on purpose.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

from conformance.wire.endpoint import Address

__all__ = ["ConnectionProblem", "describe", "exception_name"]

#: OpenSSL reasons that mean the peer answered in plain text (or not at all) instead of TLS.
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE",
                      "PACKET_LENGTH_TOO_LONG", "UNEXPECTED_EOF_WHILE_READING", "UNKNOWN_PROTOCOL"})


@dataclass(frozen=True, slots=True)
class ConnectionProblem:
    """A connection error, described.

    Attributes:
        message: one line: what happened, then the exception's type and text.
        unreachable: no case can reach the target this way (the run stops early, exit 3).
    """

    message: str
    unreachable: bool


def exception_name(exc: BaseException) -> str:
    """``ConnectionRefusedError`` for builtins, ``ssl.SSLError`` for the others."""
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _what(exc: BaseException) -> str:
    text = str(exc)
    return f"{exception_name(exc)}: {text}" if text else f"{exception_name(exc)} (no message)"


def describe(exc: OSError, address: Address, *, answered: bool = False) -> ConnectionProblem:
    """Describe ``exc``, raised while a case talked to ``address``; ``answered``: the target had sent the
    case data already (then a TLS error is not a failed handshake)."""
    host = f"[{address.host}]" if ":" in address.host else address.host
    where = f"{host}:{address.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConnectionProblem(f"TLS handshake failed: the certificate of {where} is not trusted "
                                 f"(use --ca FILE or --insecure) ({_what(exc)})", True)
    if isinstance(exc, ssl.SSLError) and answered:
        return ConnectionProblem(f"TLS error: {_what(exc)}", False)
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None)
        if isinstance(exc, ssl.SSLEOFError) or reason in _NOT_TLS:
            why = f"{where} does not speak TLS"
        else:
            why = f"with {where}"
        return ConnectionProblem(f"TLS handshake failed: {why} ({_what(exc)})", True)
    if isinstance(exc, ConnectionRefusedError):
        return ConnectionProblem(f"connection refused by {where} ({_what(exc)})", True)
    if isinstance(exc, socket.gaierror):
        return ConnectionProblem(f"cannot resolve {address.host!r} ({_what(exc)})", True)
    return ConnectionProblem(f"connection error: {_what(exc)}", False)
