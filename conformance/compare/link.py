"""One TCP connection of the comparison's clients: callbacks in, writes out, every wait with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["Link", "open_link"]


class Link(asyncio.Protocol):
    """A client connection; ``on_data(bytes)`` per chunk, ``on_end(reset)`` once when it ends.

    Attributes:
        ended: the connection is over (closed by either side, or reset).
    """

    def __init__(self, on_data: Callable[[bytes], None], on_end: Callable[[bool], None]) -> None:
        self.on_data = on_data
        self.on_end = on_end
        self.transport: asyncio.Transport | None = None
        self.ended = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if not self.ended:
            self.on_data(data)

    def eof_received(self) -> bool:
        self._end(reset=False)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(reset=exc is not None)

    def _end(self, *, reset: bool) -> None:
        if not self.ended:
            self.ended = True
            self.on_end(reset)

    def write(self, data: bytes) -> None:
        """Send ``data`` (dropped once the connection has ended)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        """Close the connection (FIN); ``on_end`` is not called for it."""
        self.ended = True
        if self.transport is not None:
            self.transport.close()


async def open_link(host: str, port: int, on_data: Callable[[bytes], None], on_end: Callable[[bool], None],
                    timeout: float) -> Link:
    """Connect to ``host:port``.

    Raises:
        OSError: the connection failed or took longer than ``timeout`` (``TimeoutError``).
    """
    loop = asyncio.get_running_loop()
    connecting = loop.create_connection(lambda: Link(on_data, on_end), host, port)
    _, link = await asyncio.wait_for(connecting, timeout)
    return link
