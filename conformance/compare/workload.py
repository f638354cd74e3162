"""The workload every protocol runs, and where each protocol's server is."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.compare.tally import MAX_MESSAGES

__all__ = ["PROTOCOLS", "Server", "Workload"]

#: The protocols compared, in report order.
PROTOCOLS = ("ws", "sse", "poll", "sio")


@dataclass(frozen=True, slots=True)
class Workload:
    """One workload, the same for every protocol.

    Attributes:
        rate: messages per second from each publisher (SSE, poll, Socket.IO: one publisher fanned out to
            every subscriber; WebSocket: every subscriber publishes its own, echoed back to it).
        size: bytes per message payload.
        subscribers: receiving clients.
        duration: seconds of publishing.
        reconnect_delay: seconds a client waits before reconnecting after a lost connection.
    """

    rate: float = 20.0
    size: int = 256
    subscribers: int = 8
    duration: float = 8.0
    reconnect_delay: float = 0.25

    def check(self) -> Workload:
        """Itself, if it is a workload that can run.

        Raises:
            ValueError: a value out of range (the message shows it).
        """
        if not 0 < self.rate <= 10_000:
            raise ValueError(f"rate must be in (0, 10000] messages per second, not {self.rate}")
        if not 16 <= self.size <= 1 << 20:
            raise ValueError(f"message size must be 16 bytes to 1 MiB, not {self.size}")
        if not 1 <= self.subscribers <= 2000:
            raise ValueError(f"subscribers must be 1 to 2000, not {self.subscribers}")
        if not 0 < self.duration <= 3600:
            raise ValueError(f"duration must be in (0, 3600] seconds, not {self.duration}")
        if self.rate * self.duration * self.subscribers > MAX_MESSAGES:
            raise ValueError(f"rate x duration x subscribers is over {MAX_MESSAGES} deliveries; "
                             "a load that large needs more than one load client")
        return self

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Server:
    """Where one protocol is served.

    Attributes:
        protocol: ``ws``, ``sse``, ``poll`` or ``sio``.
        url: the WebSocket URL, the event-stream URL, the poll URL or the Socket.IO URL (``/socket.io/``).
        publish_url: where SSE and poll messages are published (``POST``), where the Socket.IO publisher
            connects (the Socket.IO URL); "" for WebSocket.
        pid: the server's process id when it runs on this machine (CPU and memory are measured), else None.
    """

    protocol: str
    url: str
    publish_url: str = ""
    pid: int | None = None

    def host_port_path(self, url: str | None = None) -> tuple[str, int, str]:
        """Host, port and request target of ``url`` (default: ``self.url``)."""
        parts = urlsplit(url or self.url)
        if parts.scheme not in ("ws", "http") or not parts.hostname:
            raise ValueError(f"not a ws:// or http:// url: {url or self.url!r} (TLS is not supported here)")
        port = parts.port or 80
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return parts.hostname, port, path
