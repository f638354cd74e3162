"""An in-process TCP relay between the runner and the target: the runner's own network, which can vanish.

The lifecycle cases need to see how a target treats a peer whose network disappeared (a half-open
connection: no FIN, no RST, nothing more arrives), and one behind a proxy that drops idle connections. The
runner cannot pull a cable, so it talks to the target through this relay and cuts it in user space. No root
and no kernel module: the relay simply stops reading both of its sockets.

What a caller can rely on
-------------------------
- ``async with Relay(upstream_host, upstream_port) as relay:`` listens on ``relay.host``/``relay.port``
  (127.0.0.1, a free port). Every connection accepted there gets its own upstream connection to the target;
  bytes are forwarded unchanged, in order, in both directions (the relay adds and drops nothing).
  Leaving the block (or :meth:`Relay.close`) aborts every connection and stops listening.
- ``relay.connections`` lists one :class:`RelayedConnection` per accepted connection, in accept order;
  ``await relay.wait_connections(n, timeout)`` waits until ``n`` of them are connected upstream.
- ``relay.blackhole()`` (or ``conn.blackhole()`` for one connection): from then on the relay stops reading
  both sockets and forwards nothing more, and never closes them (no FIN, no RST) until the relay itself
  is closed. The target's writes pile up in the kernel buffers and then block; the target's socket sees
  no end of stream. Connections accepted after ``relay.blackhole()`` are accepted by the kernel and held
  the same way, never connected upstream. A blackholed connection is exempt from the idle timeout (a
  vanished network sends nothing, not even a FIN).
- ``conn.target_gone()`` says whether the target has closed or reset its end, even while blackholed: it
  reads the upstream socket's TCP state (``TCP_INFO``, Linux) rather than its bytes, so unread data does
  not hide the FIN. ``await conn.wait_target_gone(timeout)`` polls it (every 20 ms); elsewhere than Linux
  the state is unknown (``None``) and the wait returns False.
- ``Relay(..., idle_timeout=s)`` or ``relay.idle_timeout(s)``: a connection that carried no byte in either
  direction for ``s`` seconds is closed on both sides with a FIN, like a proxy's idle timeout
  (``relay.idle_closes`` counts them). ``None`` disables it (the default).
- Counters: ``relay.bytes_to_target``, ``relay.bytes_to_client``, ``relay.connections_opened``
  (and the same ``bytes_*`` per connection).
- An end of stream from one side is passed on as a half-close (``shutdown(SHUT_WR)``) to the other; a reset
  is passed on as an abort. The connection is forgotten by neither: it stays in ``relay.connections``.
- Memory is bounded by construction: each side reads into one fixed 64 KiB buffer, and a side stops reading
  while the other side's write buffer is above 64 KiB (so at most ~128 KiB per direction per connection).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from types import TracebackType

__all__ = ["CHUNK", "Relay", "RelayedConnection", "tcp_state"]

#: Size of each side's read buffer, and the write-buffer high-water mark at which the other side pauses.
CHUNK = 64 * 1024

_TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
               6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}
#: States of our socket once the peer has sent its FIN (or reset it).
_PEER_GONE = frozenset({"CLOSE", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "TIME_WAIT"})


def tcp_state(sock: object) -> str | None:
    """The kernel's TCP state of ``sock`` (``"ESTABLISHED"``, ``"CLOSE_WAIT"``, ...), None where unknown."""
    opt = getattr(socket, "TCP_INFO", None)
    getsockopt = getattr(sock, "getsockopt", None)
    if opt is None or getsockopt is None:
        return None
    try:
        info = getsockopt(socket.IPPROTO_TCP, opt, 8)
    except OSError:
        return "CLOSE"  # the socket is gone: closed by us after a reset
    if not isinstance(info, bytes) or not info:
        return None
    return _TCP_STATES.get(info[0], f"state-{info[0]}")


class _Side(asyncio.BufferedProtocol):
    """One socket of a relayed connection: reads into a fixed buffer and hands each chunk to the pair."""

    def __init__(self, conn: RelayedConnection, is_client: bool) -> None:
        self.conn = conn
        self.is_client = is_client
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray(CHUNK)
        self.eof = False
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=CHUNK)
        self.conn._made(self)

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.conn._forward(self, bytes(self.buffer[:nbytes]))

    def eof_received(self) -> bool:
        self.eof = True
        self.conn._eof(self)
        return True  # keep our write half open: the other side may still be sending

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.conn._lost(self, exc)

    def pause_writing(self) -> None:
        self.conn._backpressure(self, paused=True)

    def resume_writing(self) -> None:
        self.conn._backpressure(self, paused=False)

    def pause(self) -> None:
        t = self.transport
        if t is not None and not t.is_closing() and t.is_reading():
            t.pause_reading()

    def resume(self) -> None:
        t = self.transport
        if t is not None and not t.is_closing() and not t.is_reading():
            t.resume_reading()

    def socket(self) -> object:
        return None if self.transport is None else self.transport.get_extra_info("socket")


class RelayedConnection:
    """One client connection through the relay and its upstream connection to the target.

    Attributes:
        bytes_to_target: bytes forwarded from the client to the target.
        bytes_to_client: bytes forwarded from the target to the client.
        upstream_connected: the upstream connection to the target is up.
        blackholed: :meth:`blackhole` was called; nothing is read or forwarded any more.
        closed: the relay has closed or aborted both sides (idle timeout, end of both streams, a reset, or
            the relay's close).
        idle_closed: it was closed by the idle timeout.
    """

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.loop = relay.loop
        self.client = _Side(self, is_client=True)
        self.upstream = _Side(self, is_client=False)
        self.bytes_to_target = 0
        self.bytes_to_client = 0
        self.upstream_connected = False
        self.blackholed = False
        self.closed = False
        self.idle_closed = False
        self.last_activity = self.loop.time()
        self._idle_timer: asyncio.TimerHandle | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._paused_by: set[bool] = set()  # which sides' write buffers are full (True: the client's)
        self._pending: list[bytes] = []  # read from the client before the upstream connection was up

    # ---- the caller's controls -------------------------------------------------------------------------

    def blackhole(self) -> None:
        """Stop reading and forwarding both ways; never close either socket (a vanished network)."""
        self.blackholed = True
        self.client.pause()
        self.upstream.pause()
        self._cancel_idle()
        self.relay._changed()

    def tcp_state_upstream(self) -> str | None:
        """The TCP state of the relay's socket to the target (None where unknown or not connected)."""
        sock = self.upstream.socket()
        return None if sock is None else tcp_state(sock)

    def target_gone(self) -> bool | None:
        """Whether the target closed or reset its end; None where the TCP state cannot be read."""
        if self.upstream.eof or self.upstream.lost:
            return True
        state = self.tcp_state_upstream()
        if state is None:
            return None
        return state in _PEER_GONE

    async def wait_target_gone(self, timeout: float, *, poll: float = 0.02) -> bool:
        """Wait up to ``timeout`` seconds for the target to close or reset its end; whether it did."""
        end = self.loop.time() + timeout
        while True:
            gone = self.target_gone()
            if gone is None:
                return False
            if gone or self.loop.time() >= end:
                return gone
            await asyncio.sleep(min(poll, max(0.0, end - self.loop.time())))

    def abort(self) -> None:
        """Reset both sides now."""
        self._finish(abort=True)

    # ---- called by the sides ---------------------------------------------------------------------------

    def _made(self, side: _Side) -> None:
        # Pausing inside connection_made is undone on Python 3.10 (the transport adds its reader after
        # this callback), so the pause is scheduled after it; a chunk read meanwhile waits in _pending.
        if side.is_client:
            self.loop.call_soon(self._hold_client)  # nothing to forward to until the upstream is up
            if self.relay.blackholed_all:
                self.blackholed = True
                return
            self._connect_task = self.loop.create_task(self._connect())
        else:
            self.upstream_connected = True
            if not self.blackholed:
                pending, self._pending = self._pending, []
                for chunk in pending:
                    self._forward(self.client, chunk)
                if self.client.eof:
                    self._eof(self.client)
                self.client.resume()
                self._touch()
            else:
                self.loop.call_soon(side.pause)
        self.relay._changed()

    def _hold_client(self) -> None:
        if not self.upstream_connected or self.blackholed:
            self.client.pause()

    async def _connect(self) -> None:
        try:
            await self.loop.create_connection(lambda: self.upstream, self.relay.upstream_host,
                                              self.relay.upstream_port)
        except (OSError, asyncio.TimeoutError):
            self._finish(abort=True)

    def _forward(self, source: _Side, data: bytes) -> None:
        if self.blackholed or self.closed:
            return  # read before the pause took effect: a vanished network delivers nothing
        if source.is_client and not self.upstream_connected:
            self._pending.append(data)  # at most one chunk: reading pauses right after connection_made
            return
        target = self.upstream if source.is_client else self.client
        if target.transport is None or target.transport.is_closing():
            return
        target.transport.write(data)
        if source.is_client:
            self.bytes_to_target += len(data)
            self.relay.bytes_to_target += len(data)
        else:
            self.bytes_to_client += len(data)
            self.relay.bytes_to_client += len(data)
        self._touch()

    def _backpressure(self, writer: _Side, *, paused: bool) -> None:
        """``writer``'s write buffer crossed its high-water mark: pause (or resume) reading its pair."""
        reader = self.upstream if writer.is_client else self.client
        if paused:
            self._paused_by.add(writer.is_client)
            reader.pause()
        else:
            self._paused_by.discard(writer.is_client)
            if not self.blackholed and not self.closed:
                reader.resume()

    def _eof(self, side: _Side) -> None:
        if self.blackholed:
            return
        other = self.upstream if side.is_client else self.client
        out = other.transport
        if out is not None and not out.is_closing() and out.can_write_eof():
            out.write_eof()
        if self.client.eof and self.upstream.eof:
            self._finish(abort=False)
        self.relay._changed()

    def _lost(self, side: _Side, exc: Exception | None) -> None:
        if not self.blackholed or self.relay.closing:
            self._finish(abort=exc is not None)
        self.relay._changed()

    # ---- idle timeout ----------------------------------------------------------------------------------

    def _touch(self) -> None:
        self.last_activity = self.loop.time()
        if self._idle_timer is None:
            self._arm_idle()

    def _arm_idle(self) -> None:
        self._cancel_idle()
        timeout = self.relay.idle_timeout_s
        if timeout is None or self.blackholed or self.closed:
            return
        due = self.last_activity + timeout
        self._idle_timer = self.loop.call_at(due, self._idle_check)

    def _cancel_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_check(self) -> None:
        self._idle_timer = None
        timeout = self.relay.idle_timeout_s
        if timeout is None or self.blackholed or self.closed:
            return
        if self.loop.time() - self.last_activity >= timeout:
            self.idle_closed = True
            self.relay.idle_closes += 1
            self._finish(abort=False)
        else:
            self._arm_idle()

    # ---- ending ----------------------------------------------------------------------------------------

    def _finish(self, *, abort: bool) -> None:
        if self.closed:
            return
        self.closed = True
        self._cancel_idle()
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
        for side in (self.client, self.upstream):
            if side.transport is not None and not side.transport.is_closing():
                if abort:
                    side.transport.abort()
                else:
                    side.transport.close()
        self.relay._changed()


class Relay:
    """A TCP relay on 127.0.0.1 to ``upstream_host:upstream_port`` (see the module docstring).

    Args:
        upstream_host, upstream_port: the target.
        idle_timeout: close a connection idle (no byte either way) for this many seconds; None: never.
    """

    def __init__(self, upstream_host: str, upstream_port: int, *, idle_timeout: float | None = None) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.idle_timeout_s = idle_timeout
        self.host = "127.0.0.1"
        self.port = 0
        self.connections: list[RelayedConnection] = []
        self.connections_opened = 0
        self.bytes_to_target = 0
        self.bytes_to_client = 0
        self.idle_closes = 0
        self.blackholed_all = False
        self.closing = False
        self._server: asyncio.AbstractServer | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "the relay is not started"
        return self._loop

    async def start(self) -> None:
        """Start listening (done by ``async with``)."""
        self._loop = asyncio.get_running_loop()
        self._server = await self._loop.create_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def _accept(self) -> _Side:
        conn = RelayedConnection(self)
        self.connections.append(conn)
        self.connections_opened += 1
        return conn.client

    async def __aenter__(self) -> Relay:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop listening and abort every connection (both sides)."""
        self.closing = True
        if self._server is not None:
            self._server.close()
        for conn in self.connections:
            conn.abort()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        await asyncio.sleep(0)  # let the transports run their connection_lost

    # ---- controls ---------------------------------------------------------------------------------------

    def blackhole(self) -> None:
        """Blackhole every connection, and hold every later one the same way (see the module docstring)."""
        self.blackholed_all = True
        for conn in self.connections:
            conn.blackhole()

    def idle_timeout(self, seconds: float | None) -> None:
        """Set (or with None, remove) the idle timeout; applies to current connections from now on."""
        self.idle_timeout_s = seconds
        for conn in self.connections:
            if seconds is None:
                conn._cancel_idle()
            else:
                conn._arm_idle()

    # ---- waiting ----------------------------------------------------------------------------------------

    async def wait_connections(self, n: int, timeout: float) -> bool:
        """Wait until at least ``n`` connections are connected upstream; whether they were in time."""
        return await self.wait_until(
            lambda: sum(c.upstream_connected for c in self.connections) >= n, timeout)

    async def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait (woken by every connection's change of state) until ``condition()``; returns it."""
        end = self.loop.time() + timeout
        while not condition():
            left = end - self.loop.time()
            if left <= 0:
                return False
            fut: asyncio.Future[None] = self.loop.create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, left)
            except asyncio.TimeoutError:
                pass
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)
        return True

    def _changed(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
