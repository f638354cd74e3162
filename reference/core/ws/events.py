"""Events that ``protocol.Connection`` hands to the application (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BinaryMessage", "CloseReceived", "ConnectionClosed", "Event", "PingReceived", "PongReceived",
           "TextMessage"]


@dataclass(frozen=True, slots=True)
class TextMessage:
    """A complete text message (all fragments joined, UTF-8 validated)."""

    text: str


@dataclass(frozen=True, slots=True)
class BinaryMessage:
    """A complete binary message (all fragments joined)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PingReceived:
    """A ping arrived; the connection has already queued the pong (RFC 6455 §5.5.2)."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class PongReceived:
    """A pong arrived, solicited or not (RFC 6455 §5.5.3: "A response to an unsolicited Pong frame is not
    expected")."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class CloseReceived:
    """The peer sent a Close frame; ``code`` is None when it carried no status code."""

    code: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The WebSocket connection is closed; always the last event.

    Attributes:
        code: The close code (RFC 6455 §7.1.5): the peer's code after a closing handshake, 1005 if its
            Close frame had none, 1006 if TCP closed without one, or the code we failed the connection with.
        reason: The close reason, or why the connection failed.
        clean: True if the closing handshake completed (§7.1.4).
    """

    code: int
    reason: str
    clean: bool


Event = TextMessage | BinaryMessage | PingReceived | PongReceived | CloseReceived | ConnectionClosed
