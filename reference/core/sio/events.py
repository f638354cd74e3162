"""What ``session.Session`` hands to the application (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AckReceived", "ConnectRequested", "Disconnected", "Event", "EventReceived", "SessionFailed"]


@dataclass(frozen=True, slots=True)
class ConnectRequested:
    """A CONNECT for ``nsp``; answer with ``Session.accept`` or ``Session.refuse``. ``auth`` is its payload
    ({} when it had none)."""

    nsp: str
    auth: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventReceived:
    """An EVENT or BINARY_EVENT: ``name`` and ``args`` (bytes where attachments were); answer ``ack_id``,
    when not None, with ``Session.ack``."""

    nsp: str
    name: str
    args: list[Any]
    ack_id: int | None


@dataclass(frozen=True, slots=True)
class AckReceived:
    """The peer's ACK or BINARY_ACK for an event we emitted with ``ack_id``."""

    nsp: str
    ack_id: int
    args: list[Any]


@dataclass(frozen=True, slots=True)
class Disconnected:
    """``nsp`` is no longer connected; ``by_peer`` when the peer sent DISCONNECT, else the transport
    closed (the application's own ``Session.disconnect`` gives no event)."""

    nsp: str
    by_peer: bool


@dataclass(frozen=True, slots=True)
class SessionFailed:
    """The session met bad input (or a timeout): the I/O layer closes the Engine.IO session. Always the
    last event; the namespaces that were connected get a ``Disconnected`` first."""

    reason: str


Event = ConnectRequested | EventReceived | AckReceived | Disconnected | SessionFailed
