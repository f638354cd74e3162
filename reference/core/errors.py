"""Exceptions of the sans-IO cores.

The tree::

    ProtocolError(msg, close_code)
    ├── LocalProtocolError    a check failed: bad API use, or a parser rejected received bytes
    │   ├── PayloadTooBig     a frame or message is larger than the configured limit (1009)
    │   ├── InvalidUtf8       text (a message or a close reason) is not valid UTF-8 (1007)
    │   └── InvalidCompressedData  a permessage-deflate message does not inflate (1007)
    └── RemoteProtocolError   the peer broke a rule; the connection is failing with ``close_code``

Close codes have one source of truth: the error. Every ``ProtocolError`` carries the WebSocket close code
that reports it, given where it is raised or else its class's ``default_close_code`` (1002, or the one its
subclass names below). ``reference.core.ws.protocol.close_code_for`` only reads it (and gives 1011 to an
exception that is not a ``ProtocolError``); it never decides a code by itself. As in h11, the parsers
raise ``LocalProtocolError``; a connection that fails on received input records a ``RemoteProtocolError``
with the same code.
"""

from __future__ import annotations

__all__ = ["InvalidCompressedData", "InvalidUtf8", "LocalProtocolError", "PayloadTooBig", "ProtocolError",
           "RemoteProtocolError"]


class ProtocolError(Exception):
    """A protocol rule was broken; ``close_code`` is the WebSocket close code that reports it.

    Args:
        msg: Short, lower-case description showing the offending value.
        close_code: The close code to send when this error fails a connection; None takes the class's
            ``default_close_code``.
    """

    #: RFC 6455 §7.4.1: "1002 indicates that an endpoint is terminating the connection due to a protocol
    #: error." Subclasses name the code their kind of error fails with.
    default_close_code = 1002

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

    #: RFC 6455 §7.4.1: "1009 indicates that an endpoint is terminating the connection because it has
    #: received a message that is too big for it to process."
    default_close_code = 1009


class InvalidUtf8(LocalProtocolError):
    """Bytes that must be UTF-8 (a text message, a close reason) are not.

    RFC 6455 §8.1: invalid UTF-8 in text "MUST _Fail the WebSocket Connection_".
    """

    #: RFC 6455 §7.4.1: "1007 indicates that an endpoint is terminating the connection because it has
    #: received data within a message that was not consistent with the type of the message (e.g., non-UTF-8
    #: [RFC3629] data within a text message)."
    default_close_code = 1007


class InvalidCompressedData(LocalProtocolError):
    """A message compressed with permessage-deflate (RFC 7692) is not valid DEFLATE data.

    RFC 7692 names no close code for it. The message's data is not what its type (RSV1 on its first
    frame marks it compressed, RFC 7692 §6) says, which is what 1007 reports; the npm ``ws`` library
    closes with 1007 here too (the Python ``websockets`` library with 1002).
    """

    #: RFC 6455 §7.4.1: "1007 indicates that an endpoint is terminating the connection because it has
    #: received data within a message that was not consistent with the type of the message".
    default_close_code = 1007
