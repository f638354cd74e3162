"""Closing a connection that may still be sending: half-close, read and discard for a while, then close.

After a 1009/1002 failure or an HTTP error answer the peer is often still sending (the rest of the
oversized message or body). Closing the socket with unread input makes the kernel answer with a reset,
and the reset can destroy our Close frame or error response in the peer's receive buffer before the peer
reads it. Both RFCs prescribe the same cure:

RFC 6455 §7.1.1: "As an example of how to obtain a clean closure in C using Berkeley sockets, one would
call shutdown() with SHUT_WR on the socket, call recv() until obtaining a return value of 0 indicating
that the peer has also performed an orderly shutdown, and finally call close() on the socket."

RFC 9112 §9.6: "To avoid the TCP reset problem, servers typically close a connection in stages. First, the
server performs a half-close by closing only the write side of the read/write connection. The server then
continues to read from the connection until it receives a corresponding close by the client, or until the
server is reasonably certain that its own TCP stack has received the client's acknowledgement of the
packet(s) containing the server's last response. Finally, the server fully closes the connection."

Both are bounded here: at most ``timeout`` seconds and ``max_bytes`` discarded bytes. A TLS transport
cannot half-close (``can_write_eof()`` is False): it is closed after its last write, as before. A peer
that has not taken our last bytes when the time is up is not reading them: it is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["LINGER_MAX_BYTES", "Lingering", "linger_then_close"]

#: Input discarded while lingering before the connection is closed anyway (bounds the CPU spent on it).
LINGER_MAX_BYTES = 64 * 2**20


class Lingering:
    """The end of an ``asyncio.Protocol``'s connection: its last bytes are written; half-close and drain.

    Create it when the last bytes are written; pass what arrives afterwards to ``discard``. The transport is
    closed on EOF (the protocol's ``eof_received`` returns None), after ``timeout`` or ``max_bytes``.

    Args:
        transport: The connection's transport.
        timeout: Seconds to keep reading.
        max_bytes: Bytes to discard at most.
    """

    def __init__(self, transport: asyncio.Transport, timeout: float,
                 max_bytes: int = LINGER_MAX_BYTES) -> None:
        self._transport = transport
        self._max_bytes = max_bytes
        self._timer: asyncio.TimerHandle | None = None
        #: Bytes received and discarded since.
        self.discarded = 0
        if transport.is_closing():
            return
        if not transport.can_write_eof():  # TLS: no half-close; close after the last write
            transport.close()
            return
        transport.write_eof()  # shutdown(SHUT_WR) once the write buffer is flushed
        transport.resume_reading()
        self._timer = asyncio.get_running_loop().call_later(timeout, self.close)

    def discard(self, data: bytes) -> None:
        """Input that arrived while lingering: dropped; past ``max_bytes`` the connection is closed."""
        self.discarded += len(data)
        if self.discarded > self._max_bytes:
            self.close()

    def close(self) -> None:
        """Close now: gracefully if our bytes are out, else drop (the peer does not read them)."""
        self.cancel()
        transport = self._transport
        if transport.is_closing():
            return
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    def cancel(self) -> None:
        """Stop the timer (the connection is gone)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


async def linger_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float,
                            max_bytes: int = LINGER_MAX_BYTES) -> None:
    """The same for asyncio streams: flush, half-close, read and discard until EOF or a bound, close."""
    transport = writer.transport
    if transport.is_closing():
        return
    if not writer.can_write_eof():
        writer.close()
        return

    async def drain_input() -> None:
        with contextlib.suppress(OSError):
            await writer.drain()
            writer.write_eof()
            discarded = 0
            while discarded <= max_bytes:
                data = await reader.read(65536)
                if not data:
                    return
                discarded += len(data)

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(drain_input(), timeout)
    if transport.get_write_buffer_size():
        transport.abort()
    else:
        writer.close()
