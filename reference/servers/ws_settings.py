"""What a WebSocket server is configured with: one frozen record, filled in by the CLI or by a test."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from reference.core.ws.deflate import MAX_WINDOW_BITS, DeflateConfig
from reference.core.ws.ratelimit import TokenBucket
from reference.servers.listener import default_connection_cap
from reference.servers.memory_budget import DEFAULT_MEMORY_BUDGET
from reference.servers.ws_upgrade import DEFAULT_MAX_HEAD_SIZE

__all__ = ["DEFAULT_LINGER_TIMEOUT", "DEFAULT_MAX_HEAD_SIZE", "DEFAULT_MAX_MESSAGE_SIZE",
           "DEFAULT_WRITE_TIMEOUT", "WsSettings"]

#: Autobahn's 9.x cases send messages of up to 16 MiB; the default leaves room above that.
DEFAULT_MAX_MESSAGE_SIZE = 64 * 2**20
#: Seconds a peer may leave a full write buffer unread (no byte taken by the socket) before it is dropped.
DEFAULT_WRITE_TIMEOUT = 10.0
#: Seconds a closing connection keeps reading (and discarding) input after its last answer, see ``ws_pump``.
DEFAULT_LINGER_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class WsSettings:
    """Options of the reference WebSocket server. Protocol limits are passed on to the core unchanged.

    Attributes:
        max_message_size: Largest message the core accepts (a larger one fails the connection with 1009).
        keepalive_interval: Seconds of silence before the core sends a ping; None sends no unsolicited ping.
        pong_timeout: Seconds the core waits for the pong before dropping the connection; None waits forever.
        idle_timeout: Seconds without any received byte before the core closes; None never.
        subprotocols: Subprotocols the server supports, in its order of preference.
        origins: Allowed ``Origin`` values; None allows any origin (and a request without one).
        max_connections: Open connections served at once; past it a new one gets 503 before the upgrade.
        handshake_timeout: Seconds a client has to send its complete request head.
        max_head_size: Largest request head in bytes (h11 ``max_incomplete_event_size``); bigger gets 431.
        write_high_water: Bytes waiting in a connection's write buffer past which the server stops reading
            from that peer, until the buffer drains to a quarter of it.
        shutdown_timeout: Seconds a shutdown waits for peers to answer the 1001 close before dropping them.
        connection_cap: Connections held at once (handshake, open or closing); at the cap the server stops
            accepting until one closes. Default ``min(soft RLIMIT_NOFILE - 64, 10000)`` (``listener``).
        memory_budget: Bytes all connections together may buffer (incoming message assembly plus write
            buffers); past it, a connection holding more than 64 KiB is closed (``memory_budget``).
        write_timeout: Seconds the write buffer may stay above ``write_high_water`` without the peer taking
            a byte; then the connection is dropped. None waits forever.
        linger_timeout: Seconds a connection that sent its last bytes (a Close frame, an HTTP error) keeps
            reading and discarding input, so the peer sees the answer rather than a reset.
        deflate: Accept a permessage-deflate offer (RFC 7692), as browsers and the websockets library make
            by default; False declines every extension.
        deflate_window_bits: The most window bits (9..15) the server compresses with; an offer's
            ``server_max_window_bits`` may lower it. zlib's compressor needs 2**(bits + 2) bytes of state
            plus 128 KiB per connection, the inflater 32 KiB (used only while compression is agreed).
        rate_limit: Messages per second one connection may send on average; a message past the limit
            closes the connection with 1008 (``ws_pump``). None (the default): no limit.
        rate_burst: Messages one connection may send back to back (the token bucket's size); None: one
            second's worth, ``rate_limit`` rounded up.
    """

    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    keepalive_interval: float | None = None
    pong_timeout: float | None = None
    idle_timeout: float | None = None
    subprotocols: tuple[str, ...] = ()
    origins: tuple[str, ...] | None = None
    max_connections: int | None = None
    handshake_timeout: float = 10.0
    max_head_size: int = DEFAULT_MAX_HEAD_SIZE
    write_high_water: int = 64 * 1024
    shutdown_timeout: float = 2.0
    connection_cap: int = field(default_factory=default_connection_cap)
    memory_budget: int = DEFAULT_MEMORY_BUDGET
    write_timeout: float | None = DEFAULT_WRITE_TIMEOUT
    linger_timeout: float = DEFAULT_LINGER_TIMEOUT
    deflate: bool = True
    deflate_window_bits: int = MAX_WINDOW_BITS
    rate_limit: float | None = None
    rate_burst: int | None = None

    def compression(self) -> DeflateConfig | None:
        """The permessage-deflate preferences handed to the handshake, or None when compression is off."""
        return DeflateConfig(window_bits=self.deflate_window_bits) if self.deflate else None

    def message_bucket(self, now: float) -> TokenBucket | None:
        """A new connection's message-rate limit (full at ``now``), or None when there is none."""
        if self.rate_limit is None:
            return None
        burst = self.rate_burst if self.rate_burst is not None else max(1, math.ceil(self.rate_limit))
        return TokenBucket(self.rate_limit, burst, now)
