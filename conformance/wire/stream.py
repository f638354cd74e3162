"""The one asyncio adapter under every raw client: a TCP (or TLS) byte stream and one deadline-bounded wait.

The clients' protocol logic is sans-IO (``wsconn`` for WebSocket, ``httpread`` for HTTP/1.1 responses):
it takes bytes and an end-of-stream and says what happened. This module is the only place that touches
asyncio for them. A :class:`Stream` connects, writes (optionally in chops with pauses), pauses and
resumes reading, hands every received chunk to ``on_data`` and the end of the stream to ``on_eof``, and
offers :meth:`Stream.wait`: wait until a condition holds, bounded by the case's deadline, woken by every
received chunk and every state change (never a fixed sleep).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable

from conformance.wire.endpoint import Endpoint

__all__ = ["Stream"]


class _Protocol(asyncio.Protocol):
    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def data_received(self, data: bytes) -> None:
        self.stream._received(data)

    def eof_received(self) -> bool:
        self.stream._lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.stream._lost(exc)

    def pause_writing(self) -> None:
        self.stream.write_paused = True

    def resume_writing(self) -> None:
        self.stream.write_paused = False
        self.stream.wake()


class Stream:
    """One connection to ``endpoint`` whose waits end at ``deadline`` (``loop.time()``) at the latest.

    Args:
        endpoint: where to connect (host, port, TLS options).
        deadline: the loop time at which every wait on this stream gives up.
        on_data: called with each chunk received, in order.
        on_eof: called once when the peer closes or resets the stream (``reset`` says which) or the
            runner aborts it; after it, nothing more is received.

    Attributes:
        connected: the TCP (and TLS) connection is up.
        closed: the stream has ended (peer close, reset, or :meth:`abort`).
        write_paused: the transport's write buffer is above its high-water mark (the peer is not reading).
    """

    def __init__(self, endpoint: Endpoint, *, deadline: float, on_data: Callable[[bytes], None],
                 on_eof: Callable[[bool], None]) -> None:
        self.endpoint = endpoint
        self.loop = asyncio.get_running_loop()
        self.deadline = deadline
        self.on_data = on_data
        self.on_eof = on_eof
        self.connected = False
        self.closed = False
        self.write_paused = False
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None

    def remaining(self, end: float | None = None) -> float:
        """Seconds until ``end`` (default: the deadline), never past the deadline, never negative."""
        stop = self.deadline if end is None else min(end, self.deadline)
        return max(0.0, stop - self.loop.time())

    async def connect(self, *, rcvbuf: int | None = None) -> None:
        """Open the connection; ``rcvbuf`` shrinks the socket's receive buffer first (a slow reader).

        Raises:
            OSError: the target refused or reset the connection, or the TLS handshake failed.
            TimeoutError: no connection before the deadline.
        """
        ep = self.endpoint
        ctx = ep.ssl_context()
        sock = None
        if rcvbuf is not None:
            family = socket.AF_INET6 if ":" in ep.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setblocking(False)
        try:
            if sock is not None:
                await asyncio.wait_for(self.loop.sock_connect(sock, (ep.host, ep.port)), self.remaining())
                coro = self.loop.create_connection(lambda: _Protocol(self), sock=sock, ssl=ctx,
                                                   server_hostname=ep.host if ctx else None)
            else:
                coro = self.loop.create_connection(lambda: _Protocol(self), ep.host, ep.port, ssl=ctx,
                                                   server_hostname=ep.host if ctx else None)
            transport, _ = await asyncio.wait_for(coro, self.remaining())
        except asyncio.TimeoutError:
            if sock is not None:
                sock.close()
            raise TimeoutError(f"no connection to {ep.host_header} within the case timeout") from None
        except BaseException:
            if sock is not None:
                sock.close()
            raise
        self._transport = transport
        self.connected = True

    @property
    def writable(self) -> bool:
        """Bytes written now would go out (connected, not closed, not closing)."""
        return self._transport is not None and not self.closed and not self._transport.is_closing()

    def write(self, data: bytes) -> bool:
        """Write ``data`` now if the stream is writable; returns whether it was written."""
        if not self.writable:
            return False
        assert self._transport is not None
        self._transport.write(data)
        return True

    async def drained(self, end: float | None = None) -> bool:
        """Wait until the write buffer is below its high-water mark again; False if it never was in time."""
        return await self.wait(lambda: not self.write_paused, end=end)

    def pause_reading(self) -> None:
        """Stop reading from the socket: the peer's writes back up into its own buffers."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        """Read again after :meth:`pause_reading`."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def abort(self) -> None:
        """Cut the connection now (no TLS close_notify, no lingering); ``on_eof`` is not called for it."""
        if self._transport is not None and not self._transport.is_closing():
            self.closed = True
            self._transport.abort()
        self._detach()
        self.wake()

    def reset(self) -> None:
        """Cut the connection with a TCP RST (SO_LINGER 0: a client that crashed or whose socket was killed),
        not a FIN; ``on_eof`` is not called for it."""
        if self._transport is not None and not self._transport.is_closing():
            sock = self._transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):  # already gone: the abort below is all that is left
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.abort()

    def close(self) -> None:
        """Close the connection gracefully (FIN once the buffered writes are out); ``on_eof`` is not called
        for it."""
        if self._transport is not None and not self._transport.is_closing():
            self.closed = True
            self._transport.close()
        self._detach()
        self.wake()

    # ---- waiting -----------------------------------------------------------------------------------

    def wake(self) -> None:
        """Re-check the condition of a pending :meth:`wait` (called on every change of state)."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self, condition: Callable[[], bool], timeout: float | None = None, *,
                   end: float | None = None) -> bool:
        """Wait until ``condition()`` holds, the stream ends, or the time is up; returns ``condition()``.

        The wait ends at ``end`` (loop time), or ``timeout`` seconds from now, and never after the
        deadline. It wakes on every chunk received and every :meth:`wake`.
        """
        stop = self.deadline if end is None else min(end, self.deadline)
        if timeout is not None:
            stop = min(stop, self.loop.time() + timeout)
        while not condition():
            left = stop - self.loop.time()
            if self.closed or left <= 0:
                return condition()
            fut: asyncio.Future[None] = self.loop.create_future()
            self._waiter = fut
            timer = self.loop.call_later(left, _resolve, fut)
            try:
                await fut
            finally:
                timer.cancel()
                self._waiter = None
        return True

    # ---- called by the protocol --------------------------------------------------------------------

    def _received(self, data: bytes) -> None:
        if self.closed:
            return
        self.on_data(data)
        self.wake()

    def _lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self.on_eof(isinstance(exc, ConnectionResetError))
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
        self._detach()
        self.wake()

    def _detach(self) -> None:
        """Once the stream has ended, forget the client's callbacks: nothing more is delivered, and the
        client (with what it received) is freed as soon as the case lets go of it, not at the next
        cyclic garbage collection (large received payloads do not trigger one)."""
        if self.closed:
            self.on_data = _ignore_data
            self.on_eof = _ignore_eof


def _ignore_data(data: bytes) -> None:
    """The ``on_data`` of an ended stream."""


def _ignore_eof(reset: bool) -> None:
    """The ``on_eof`` of an ended stream."""


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
