"""Which session and transport a request is for, and the ``open`` packet that starts a session.

``route(method, query, upgrade=...)`` reads the query parameters of an Engine.IO request
(README "Transports" > "HTTP long-polling" / "WebSocket": ``EIO``, ``transport`` and, once a session
exists, ``sid``) and either returns a ``Route`` or raises ``EioError`` naming the ``Problem``. Whether a
``sid`` names a live session is the server's registry's business, not this function's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

from reference.core.eio.packets import Packet, PacketType
from reference.core.eio.reactions import EioError, Problem

__all__ = ["PROTOCOL_VERSION", "EioConfig", "Route", "Transport", "open_packet", "route"]

#: README: "This document describes the 4th version of the Engine.IO protocol."
PROTOCOL_VERSION = "4"


class Transport(Enum):
    """The two transports of Engine.IO v4 (query parameter ``transport``)."""

    POLLING = "polling"
    WEBSOCKET = "websocket"


@dataclass(frozen=True, slots=True)
class EioConfig:
    """The settings announced in the ``open`` packet, and the server-side timers.

    Attributes:
        ping_interval: Milliseconds between the server's pings (README "Heartbeat").
        ping_timeout: Milliseconds the client has to answer a ping with a pong.
        max_payload: Bytes per payload the client may send (and the largest WebSocket message).
        upgrade_timeout: Milliseconds a probing WebSocket has to finish the upgrade (send ``5``).
        queue_limit: Bytes of packets waiting for the client before the session is closed (a client that
            sends but never polls cannot make the server hold more).
    """

    ping_interval: int = 25000
    ping_timeout: int = 20000
    max_payload: int = 1_000_000
    upgrade_timeout: int = 10000
    queue_limit: int = 8 * 2**20

    def __post_init__(self) -> None:
        for name in ("ping_interval", "ping_timeout", "max_payload", "upgrade_timeout", "queue_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class Route:
    """A well-formed Engine.IO request: its transport and, unless it opens a session, its sid."""

    transport: Transport
    sid: str | None


def route(method: str, query: dict[str, str], *, upgrade: bool = False) -> Route:
    """Check the query of an Engine.IO request.

    Args:
        method: The HTTP method.
        query: The query parameters (the last value of each).
        upgrade: The request asks for a WebSocket upgrade.

    Raises:
        EioError: A missing or wrong ``EIO``, an unknown ``transport``, a handshake that is not a GET, a
            polling method other than GET/POST, or ``transport=websocket`` without an upgrade.
    """
    eio = query.get("EIO")
    # README "Transports": "If a mandatory query parameter is missing, then the server MUST respond with an
    # HTTP 400 error status."
    if eio is None:
        raise EioError(Problem.MISSING_EIO, "missing EIO query parameter")
    if eio != PROTOCOL_VERSION:
        raise EioError(Problem.UNSUPPORTED_EIO, f"EIO must be 4, got {eio[:20]!r}")
    name = query.get("transport")
    try:
        transport = Transport(name)
    except ValueError:
        raise EioError(Problem.UNKNOWN_TRANSPORT, f"transport must be polling or websocket, got "
                                                  f"{None if name is None else name[:20]!r}") from None
    if (transport is Transport.WEBSOCKET) != upgrade:
        how = "with" if upgrade else "without"
        raise EioError(Problem.TRANSPORT_MISMATCH, f"transport={transport.value} {how} a websocket upgrade")
    sid = query.get("sid") or None
    if sid is None and method != "GET":
        raise EioError(Problem.HANDSHAKE_NOT_GET, f"a handshake must be a GET, got {method[:20]}")
    if transport is Transport.POLLING and method not in ("GET", "POST"):
        raise EioError(Problem.BAD_METHOD, f"polling takes GET or POST, got {method[:20]}")
    return Route(transport, sid)


def open_packet(sid: str, config: EioConfig, transport: Transport) -> Packet:
    """README "Handshake": the ``open`` packet with sid, upgrades, pingInterval, pingTimeout, maxPayload.

    A WebSocket session offers no upgrade (``"upgrades":[]``); a polling one offers ``websocket``.
    """
    upgrades = ["websocket"] if transport is Transport.POLLING else []
    data = {"sid": sid, "upgrades": upgrades, "pingInterval": config.ping_interval,
            "pingTimeout": config.ping_timeout, "maxPayload": config.max_payload}
    return Packet(PacketType.OPEN, json.dumps(data, separators=(",", ":")))
