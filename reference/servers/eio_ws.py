"""A WebSocket on an upgraded ``HttpConnection``, for the Engine.IO server: frames in, frames out.

The WebSocket rules are ``reference.core.ws.protocol.Connection``'s (the same core as the ws testee); this
module only pumps bytes between it and the connection's asyncio streams and hands each complete message
to a callback. Engine.IO's own heartbeat replaces the WebSocket keepalive, so the core sends no ping.

Bounded memory: the core refuses a message over ``max_message_size`` (1009), and a peer that leaves more
than ``max_unsent`` bytes unread in our write buffer is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from reference.core.ws.events import BinaryMessage, ConnectionClosed, TextMessage
from reference.core.ws.protocol import CLOSED, OPEN, Connection
from reference.servers.http_server import HttpConnection

__all__ = ["WsLink"]

_READ_SIZE = 65536


class WsLink:
    """One open WebSocket: ``run(on_message)`` reads until it closes; ``send`` writes frames any time.

    Args:
        conn: The HTTP connection whose 101 was just written.
        early: Bytes the client sent right behind its upgrade request.
        max_message_size: Largest message accepted (larger closes with 1009).
        closing_timeout: Seconds to wait for the peer's Close (and between input bytes while open).
        max_unsent: Bytes of our frames the peer may leave unread before it is dropped.
    """

    def __init__(self, conn: HttpConnection, early: bytes, *, max_message_size: int, closing_timeout: float,
                 max_unsent: int) -> None:
        self._conn = conn
        self._loop = asyncio.get_running_loop()
        self._ws = Connection(max_message_size=max_message_size, idle_timeout=closing_timeout,
                              now=self._loop.time())
        self._early = early
        self._max_unsent = max_unsent
        #: The core's last event, once the WebSocket is closed.
        self.closed: ConnectionClosed | None = None

    @property
    def is_open(self) -> bool:
        """True until a Close was sent or received."""
        return self._ws.state is OPEN

    def send(self, frames: list[str] | list[str | bytes], close_code: int | None = None) -> None:
        """Send ``frames`` (text or binary), then a Close with ``close_code`` if given."""
        if not self.is_open:
            return
        for frame in frames:
            if isinstance(frame, str):
                self._ws.send_text(frame)
            else:
                self._ws.send_binary(frame)
        if close_code is not None:
            self._ws.send_close(close_code)
        self._flush()

    def abort(self) -> None:
        """Drop the connection now."""
        self._conn.abort()

    def _flush(self) -> None:
        writer = self._conn.writer
        for chunk in self._ws.data_to_send():
            if chunk:
                writer.write(chunk)
            elif writer.can_write_eof() and not writer.is_closing():
                writer.write_eof()  # b"": our side is done (RFC 6455 §7.1.1: the server closes TCP first)
        if writer.transport.get_write_buffer_size() > self._max_unsent:
            self.abort()  # the peer does not read what we send: it cannot make us hold more

    async def run(self, on_message: Callable[[str | bytes], None]) -> None:
        """Read and handle input until the WebSocket is closed; ``on_message`` gets each message."""
        ws = self._ws
        data = self._early
        while True:
            if data:
                ws.receive_data(data, self._loop.time())
            self._dispatch(on_message)
            if ws.state is CLOSED:
                return
            deadline = ws.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._loop.time())
            try:
                data = await asyncio.wait_for(self._conn.reader.read(_READ_SIZE), timeout)
            except asyncio.TimeoutError:
                ws.handle_timeout(self._loop.time())
                data = b""
                continue
            except OSError:
                data = b""
            if not data:
                ws.receive_eof()

    def _dispatch(self, on_message: Callable[[str | bytes], None]) -> None:
        for event in self._ws.events_received():
            if isinstance(event, TextMessage) and self.is_open:
                on_message(event.text)
            elif isinstance(event, BinaryMessage) and self.is_open:
                on_message(event.data)
            elif isinstance(event, ConnectionClosed):
                self.closed = event
        self._flush()
