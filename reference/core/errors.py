"""Exceptions of the sans-IO cores.

The tree::

    ProtocolError(msg, close_code)
    ├── LocalProtocolError    a check failed: bad API use, or a parser rejected received bytes
    │   ├── PayloadTooBig     a frame or message is larger than the configured limit
    │   └── InvalidUtf8       text (a message or a close reason) is not valid UTF-8
    └── RemoteProtocolError   the peer broke a rule; the connection is failing with ``close_code``

As in h11, the parsers raise ``LocalProtocolError``; the receive path of a connection turns every error
into a close code in one place (``reference.core.ws.protocol.close_code_for``) and exposes it as
``RemoteProtocolError``; the ``close_code`` of a ``LocalProtocolError`` is only a default.
"""

from __future__ import annotations

__all__ = ["InvalidUtf8", "LocalProtocolError", "PayloadTooBig", "ProtocolError", "RemoteProtocolError"]

#: RFC 6455 §7.4.1: "1002 indicates that an endpoint is terminating the connection due to a protocol error."
_PROTOCOL_ERROR = 1002


class ProtocolError(Exception):
    """A protocol rule was broken; ``close_code`` is the WebSocket close code that reports it.

    Args:
        msg: Short, lower-case description showing the offending value.
        close_code: The close code to send when this error fails a connection.
    """

    #: The close code when none is given: each subclass names the code its kind of error fails with.
    default_close_code = _PROTOCOL_ERROR

    def __init__(self, msg: str, close_code: int | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.close_code = self.default_close_code if close_code is None else close_code


class LocalProtocolError(ProtocolError):
    """Raised for rule violations detected on our side (bad API use, or a parser check)."""


class RemoteProtocolError(ProtocolError):
    """Raised when the peer broke the protocol; the connection fails with ``close_code``."""


class PayloadTooBig(LocalProtocolError):
    """A frame or message is larger than the configured maximum size."""

    #: RFC 6455 §7.4.1: "1009 indicates ... a message that is too big for it to process."
    default_close_code = 1009


class InvalidUtf8(LocalProtocolError):
    """Bytes that must be UTF-8 (a text message, a close reason) are not."""

    #: RFC 6455 §7.4.1: "1007 indicates ... data within a message that was not consistent with the type".
    default_close_code = 1007
