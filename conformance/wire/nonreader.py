"""A peer that keeps sending and never reads: how much does the target accept before it pushes back?

A target that reads everything a peer sends, while that peer reads nothing back, must hold the replies
somewhere: in memory without bound, unless it stops reading the peer (its TCP receive window closes, and
the peer's sends block) or closes the connection. :class:`NonReader` is that peer. It works on a raw
non-blocking socket with small kernel buffers (``SO_SNDBUF``/``SO_RCVBUF`` a few KiB, set before
connecting so the window is small from the start), so the bytes it reports are the target's doing and not
the kernels' slack: at most a few hundred KiB sit in the two kernels' buffers on loopback.

Use: :meth:`NonReader.connect`, optionally a request head with :meth:`send_all` and
:meth:`read_head` (reads exactly the response head, nothing after it), then :meth:`flood` with a source of
chunks: it sends until a send has been blocked for ``stall`` seconds (the target stopped reading), the
target closes or resets the connection, ``limit`` bytes were sent, or the deadline passes; the
:class:`Flood` result says which and how many bytes the target's kernel acknowledged (``accepted``, from
``SIOCOUTQ`` on Linux: sent minus still unacknowledged). The socket is never read during the flood.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import socket
import struct
import termios
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Flood", "NonReader"]

#: Requested kernel buffer sizes (Linux doubles them and applies its minimum).
SMALL_BUFFER = 4096


@dataclass(frozen=True)
class Flood:
    """What a :meth:`NonReader.flood` saw.

    Attributes:
        outcome: ``"stalled"`` (a send blocked for ``stall`` seconds: the target stopped reading),
            ``"closed"`` (the target closed or reset the connection), ``"limit"`` (``limit`` bytes sent
            and the target still reading), or ``"deadline"`` (time up while sends still progressed).
        written: bytes the kernel took from our sends since the connection opened (request head included).
        accepted: bytes the target's kernel acknowledged (``written`` minus our unacknowledged send
            queue); None where the send queue cannot be read (then ``written`` is the upper bound).
        elapsed: seconds from the first send to the outcome.
        error: the socket error that ended a ``"closed"`` flood (e.g. ``"ConnectionResetError"``).
    """

    outcome: str
    written: int
    accepted: int | None
    elapsed: float
    error: str = ""


class NonReader:
    """A non-reading peer of ``host:port`` with small kernel buffers."""

    def __init__(self, host: str, port: int, *, rcvbuf: int = SMALL_BUFFER,
                 sndbuf: int = SMALL_BUFFER) -> None:
        self.host = host
        self.port = port
        self.rcvbuf = rcvbuf
        self.sndbuf = sndbuf
        self.sock: socket.socket | None = None
        self.written = 0
        self.loop = asyncio.get_running_loop()

    async def connect(self, timeout: float) -> None:
        """Open the connection (buffers shrunk first). Raises OSError or TimeoutError."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(self.loop.sock_connect(sock, (self.host, self.port)), timeout)
        except asyncio.TimeoutError:
            sock.close()
            raise TimeoutError(f"no connection to {self.host}:{self.port} in {timeout} s") from None
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def _socket(self) -> socket.socket:
        if self.sock is None:
            raise RuntimeError("not connected")
        return self.sock

    async def send_all(self, data: bytes, timeout: float) -> None:
        """Send ``data`` completely (a request head, a handshake). Raises OSError or TimeoutError."""
        try:
            await asyncio.wait_for(self.loop.sock_sendall(self._socket(), data), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"could not send {len(data)} bytes in {timeout} s") from None
        self.written += len(data)

    async def read_head(self, timeout: float, *, limit: int = 16384) -> bytes:
        """Read exactly one response head (through the blank line), leaving what follows unread.

        Raises:
            ConnectionError: the connection ended first.
            ValueError: no blank line within ``limit`` bytes.
            TimeoutError: no complete head in ``timeout`` seconds.
        """
        sock = self._socket()
        end = self.loop.time() + timeout
        head = bytearray()
        while True:
            left = end - self.loop.time()
            if left <= 0:
                raise TimeoutError(f"no complete response head in {timeout} s")
            if not await self._wait(sock, readable=True, timeout=left):
                continue
            try:
                peek = sock.recv(min(4096, limit + 4), socket.MSG_PEEK)
            except BlockingIOError:
                continue
            if not peek:
                raise ConnectionError("the connection ended before the response head")
            at = (head + peek).find(b"\r\n\r\n", max(0, len(head) - 3))
            take = len(peek) if at < 0 else at + 4 - len(head)
            head += sock.recv(take)
            if at >= 0:
                return bytes(head)
            if len(head) > limit:
                raise ValueError(f"no end of the response head in {limit} bytes")

    async def flood(self, next_chunk: Callable[[], bytes], *, stall: float, limit: int,
                    timeout: float) -> Flood:
        """Send chunks from ``next_chunk`` back to back, never reading (see the module docstring)."""
        sock = self._socket()
        start = self.loop.time()
        end = start + timeout
        pending = b""
        sent = 0
        while True:
            if sent >= limit:
                return self._result("limit", start)
            if self.loop.time() >= end:
                return self._result("deadline", start)
            if not pending:
                pending = next_chunk()
            try:
                n = sock.send(pending)
            except BlockingIOError:
                wait = min(stall, max(0.0, end - self.loop.time()))
                if not await self._wait(sock, readable=False, timeout=wait) and wait >= stall:
                    return self._result("stalled", start)
                continue
            except OSError as exc:
                return self._result("closed", start, type(exc).__name__)
            pending = pending[n:]
            sent += n
            self.written += n

    def unacknowledged(self) -> int | None:
        """Bytes in our send queue the target's kernel has not acknowledged (Linux ``SIOCOUTQ``)."""
        if self.sock is None or self.sock.fileno() < 0:
            return None
        try:
            raw = fcntl.ioctl(self.sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
        except OSError:
            return None
        value: int = struct.unpack("i", raw)[0]
        return value

    def unread(self) -> int | None:
        """Bytes the target sent that wait, unread, in our receive queue (``FIONREAD``)."""
        if self.sock is None or self.sock.fileno() < 0:
            return None
        try:
            raw = fcntl.ioctl(self.sock.fileno(), termios.FIONREAD, struct.pack("i", 0))
        except OSError:
            return None
        value: int = struct.unpack("i", raw)[0]
        return value

    def close(self) -> None:
        """Reset the connection (``SO_LINGER`` 0: no FIN handshake left to linger)."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
            self.sock = None

    def _result(self, outcome: str, start: float, error: str = "") -> Flood:
        queued = self.unacknowledged()
        accepted = None if queued is None else max(0, self.written - queued)
        return Flood(outcome, self.written, accepted, self.loop.time() - start, error)

    async def _wait(self, sock: socket.socket, *, readable: bool, timeout: float) -> bool:
        """Wait until ``sock`` is readable (or writable); False when ``timeout`` passed first."""
        fut: asyncio.Future[None] = self.loop.create_future()

        def ready() -> None:
            if not fut.done():
                fut.set_result(None)

        fd = sock.fileno()
        if readable:
            self.loop.add_reader(fd, ready)
        else:
            self.loop.add_writer(fd, ready)
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            if readable:
                self.loop.remove_reader(fd)
            else:
                self.loop.remove_writer(fd)
