"""Listening sockets that hold at most ``cap`` connections at once, for every reference server.

asyncio's own accept loop (``loop.create_server``) accepts whatever comes. At the process's file descriptor
limit ``accept()`` fails with EMFILE, and Python 3.11's loop logs a traceback for each retry: 884k of them
(358 MB) in 76 s in our measurement (cpython issue 151615), while new clients time out. A ``Listener``
accepts itself instead:

* It counts the connections it accepted until each one's socket is closed (``Slot.release``); at ``cap`` it
  stops watching the listening socket, so new clients wait in the kernel's listen backlog (or their
  connect times out) instead of being accepted into a full process. A released slot resumes accepting.
* The default cap, ``default_connection_cap()``, is ``min(soft RLIMIT_NOFILE - 64, 10000)``: below the
  descriptor limit, leaving 64 descriptors for the listening sockets, logs and the interpreter.
* If ``accept()`` still runs out of descriptors (a cap set above the limit, other descriptors in use), it
  stops accepting for one second. Either condition prints at most one line per ``log.interval`` seconds.
"""

from __future__ import annotations

import asyncio
import errno
import resource
import socket
import ssl
from collections.abc import Callable

from reference.servers.rate_limited_log import RateLimitedLog

__all__ = ["DEFAULT_MAX_CAP", "FD_RESERVE", "Listener", "Slot", "default_connection_cap"]

#: Descriptors the default cap leaves free below the soft RLIMIT_NOFILE.
FD_RESERVE = 64
#: The default cap never exceeds this, however high the descriptor limit.
DEFAULT_MAX_CAP = 10_000
#: Seconds accepting stays paused after ``accept()`` ran out of a resource.
ACCEPT_RETRY_DELAY = 1.0
#: ``accept()`` errors that mean "out of a resource", not "this one client went wrong".
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def default_connection_cap() -> int:
    """``min(soft RLIMIT_NOFILE - FD_RESERVE, DEFAULT_MAX_CAP)``, at least 1."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return DEFAULT_MAX_CAP
    return max(1, min(soft - FD_RESERVE, DEFAULT_MAX_CAP))


class Slot:
    """One accepted connection's place under the cap; ``release()`` it once its socket is closed.

    Releasing twice is harmless, so every path that ends a connection may release it.
    """

    __slots__ = ("_listener", "released")

    def __init__(self, listener: Listener) -> None:
        self._listener = listener
        self.released = False

    def release(self) -> None:
        """Give the place back (once)."""
        if not self.released:
            self.released = True
            self._listener._slot_released()


ProtocolFactory = Callable[[Slot], asyncio.BaseProtocol]


class Listener:
    """Accept connections on ``host:port`` while fewer than ``cap`` are held; pause at the cap.

    Args:
        factory: Builds the protocol of one accepted connection; it must release the slot when its
            socket is closed (``connection_lost``).
        cap: Connections held at once (in a handshake, open, or closing).
        tls: A server-side TLS context, or None.
        tls_handshake_timeout: Seconds a TLS handshake may take (with ``tls``).
        backlog: The listen backlog; also the most connections accepted in one go.
        log: Where the rate-limited warnings go.
        name: Names the server in those warnings.
    """

    def __init__(self, factory: ProtocolFactory, *, cap: int, tls: ssl.SSLContext | None = None,
                 tls_handshake_timeout: float | None = None, backlog: int = 512,
                 log: RateLimitedLog | None = None, name: str = "server") -> None:
        if cap < 1:
            raise ValueError(f"the connection cap must be at least 1, got {cap}")
        self.cap = cap
        self._factory = factory
        self._tls = tls
        self._tls_handshake_timeout = tls_handshake_timeout
        self._backlog = backlog
        self.log = log or RateLimitedLog()
        self._name = name
        self.sockets: list[socket.socket] = []
        #: Connections accepted whose slot is not released yet.
        self.held = 0
        self._watching = False
        self._closed = False
        self._retry: asyncio.TimerHandle | None = None
        self._connecting: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, host: str, port: int) -> None:
        """Bind every address of ``host`` (as ``loop.create_server`` does) and start accepting.

        Raises:
            OSError: An address cannot be bound.
        """
        loop = self._loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        seen: set[tuple[int, object]] = set()
        try:
            for family, kind, proto, _, address in infos:
                if (family, address) in seen:
                    continue
                seen.add((family, address))
                sock = socket.socket(family, kind, proto)
                self.sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
                sock.listen(self._backlog)
                sock.setblocking(False)
        except OSError:
            for sock in self.sockets:
                sock.close()
            self.sockets = []
            raise
        self._watch()

    def close(self) -> None:
        """Stop listening and close the listening sockets; TLS handshakes still under way are cancelled."""
        self._closed = True
        self._unwatch()
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        for sock in self.sockets:
            sock.close()
        for task in list(self._connecting):
            task.cancel()

    # -- accepting -----------------------------------------------------------------------------------

    def _watch(self) -> None:
        if self._watching or self._closed or self._loop is None:
            return
        self._watching = True
        for sock in self.sockets:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _unwatch(self) -> None:
        if not self._watching or self._loop is None:
            return
        self._watching = False
        for sock in self.sockets:
            self._loop.remove_reader(sock.fileno())

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(self._backlog):  # bounded: the rest waits for the next readable event
            if self.held >= self.cap:
                self._unwatch()
                self.log.warn(f"{self._name}: at the connection cap ({self.cap} connections); not accepting "
                              f"until one closes")
                return
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # the client gave up while waiting in the backlog
            except OSError as exc:
                self._accept_failed(exc)
                return
            self._connect(conn)

    def _accept_failed(self, exc: OSError) -> None:
        if exc.errno in _OUT_OF_RESOURCES:
            what = f"out of resources ({exc.strerror}) with {self.held} connections held"
        else:
            what = f"accept failed ({exc})"
        self.log.warn(f"{self._name}: {what}; not accepting for {ACCEPT_RETRY_DELAY:g} s")
        self._unwatch()
        assert self._loop is not None
        self._retry = self._loop.call_later(ACCEPT_RETRY_DELAY, self._retry_accepting)

    def _retry_accepting(self) -> None:
        self._retry = None
        if self.held < self.cap:
            self._watch()

    def _connect(self, conn: socket.socket) -> None:
        assert self._loop is not None
        conn.setblocking(False)
        slot = Slot(self)
        self.held += 1
        task = self._loop.create_task(self._make_transport(conn, slot))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _make_transport(self, conn: socket.socket, slot: Slot) -> None:
        assert self._loop is not None
        try:
            await self._loop.connect_accepted_socket(
                lambda: self._factory(slot), conn, ssl=self._tls,
                ssl_handshake_timeout=self._tls_handshake_timeout if self._tls else None)
        except (OSError, ssl.SSLError, asyncio.TimeoutError, asyncio.CancelledError):
            # A TLS handshake that failed, timed out or was cancelled by close(): no protocol was made.
            conn.close()
            slot.release()

    def _slot_released(self) -> None:
        self.held -= 1
        if self.held < self.cap and self._retry is None:
            self._watch()
