"""One WebSocket connection on an asyncio transport: the server moves bytes, the core decides.

Theory of operation. A ``ConnectionPump`` is an ``asyncio.Protocol``; the event loop calls it when bytes
arrive (``data_received``), when the peer half-closes (``eof_received``), when the transport's write buffer
crosses its limits (``pause_writing``/``resume_writing``) and when the socket is gone (``connection_lost``).

1. Opening handshake. Bytes go to ``ws_upgrade.RequestReader`` (h11) until the request head is complete. The
   core's ``handshake.negotiate`` decides: ``Accept`` -> write the 101 and build a ``protocol.Connection``;
   ``Reject`` -> write the error response and close. A server over its connection limit answers 503 here,
   and a client that is too slow to send its head gets 408.
2. Open. Every chunk goes to ``Connection.receive_data``; each text or binary message is echoed back with
   ``send_text``/``send_binary`` (this is an Autobahn echo testee: nothing else is sent unless the core's
   keepalive is on); then ``data_to_send`` is flushed, where ``b""`` means "close the TCP connection now".
3. Time. The core never reads a clock: the pump passes ``loop.time()`` in and arms one ``loop.call_at``
   timer on ``next_deadline()``, calling ``handle_timeout(now)`` when it fires.
4. Backpressure. When the write buffer passes ``write_high_water`` the loop calls ``pause_writing`` and the
   pump stops reading from that peer; ``resume_writing`` (buffer down to a quarter) reads again. A peer that
   does not read thus stops being read, its TCP window closes, and the memory it can pin stays bounded.
   If the socket takes no byte of that buffer for ``write_timeout`` seconds, the peer is dropped.
5. Memory budget. After every step the pump charges what it holds (the core's ``buffered_input`` plus the
   write buffer) to the server's ``MemoryBudget``. A connection holding more than its free share while the
   server is past the budget is closed with 1009, and so is one whose echo would pass it (``memory_budget``).
6. Rate limit (optional, ``--rate-limit``). Each message the peer sends takes a token from the
   connection's ``TokenBucket``; the first one that finds it empty closes the connection with 1008.
7. Closing. When the last bytes are written (the core's ``b""``, our budget Close, an HTTP error answer) the
   pump does not close at once: ``Lingering`` half-closes and discards input for ``linger_timeout``
   seconds, so a peer still sending sees the Close frame or the error response, not a reset.
"""

from __future__ import annotations

import array
import asyncio
import fcntl
import termios
from typing import Protocol, cast

from reference.core.ws.deflate import DeflateParams
from reference.core.ws.events import BinaryMessage, ConnectionClosed, TextMessage
from reference.core.ws.handshake import Reject, negotiate
from reference.core.ws.opcodes import CloseCode
from reference.core.ws.protocol import CLOSE_RECEIVED, CLOSED, FAILING, OPEN, Connection
from reference.core.ws.ratelimit import TokenBucket
from reference.servers.lingering_close import Lingering
from reference.servers.memory_budget import FREE_PER_CONNECTION, MemoryBudget
from reference.servers.ws_settings import WsSettings
from reference.servers.ws_upgrade import HttpError, RequestReader

__all__ = ["ConnectionPump", "Registry"]

#: The states in which the core still takes answers to the messages it reported.
_ANSWERING = frozenset({OPEN, CLOSE_RECEIVED, FAILING})


class Registry(Protocol):
    """What a pump needs from its server: a connection slot, given back when the socket is gone."""

    def admit(self, pump: ConnectionPump) -> str | None:
        """Register ``pump``; return None to serve it, or why not (the pump then answers 503)."""

    def release(self, pump: ConnectionPump) -> None:
        """Forget ``pump``; called once, from ``connection_lost``."""


class ConnectionPump(asyncio.Protocol):
    """Serve one TCP (or TLS) connection: HTTP upgrade, then echo over the core's ``Connection``.

    Args:
        settings: Server options; protocol limits are handed to the core unchanged.
        registry: The server that counts connections and shuts them down.
        budget: The server-wide memory budget this connection charges; default: its own, of
            ``settings.memory_budget`` bytes.
    """

    def __init__(self, settings: WsSettings, registry: Registry, budget: MemoryBudget | None = None) -> None:
        self._settings = settings
        self._registry = registry
        self._budget = budget or MemoryBudget(settings.memory_budget)
        self._charged = 0  # bytes this connection has charged to the budget
        self._lingering: Lingering | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._write_stalled_at = 0  # bytes the peer had not taken (_unsent_bytes) when the timer was armed
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._reader: RequestReader | None = RequestReader(settings.max_head_size)
        self._conn: Connection | None = None
        self._refusal: str | None = None  # why the server will not serve this connection (-> 503)
        self._handshake_timer: asyncio.TimerHandle | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0
        self._rate: TokenBucket | None = None  # the message-rate limit, once open (settings.rate_limit)
        #: True while reading from the peer is paused because it does not read what we send.
        self.reading_paused = False
        #: The core's final event, once the WebSocket connection has ended.
        self.closed: ConnectionClosed | None = None

    # -- what the server and the tests look at -------------------------------------------------------

    @property
    def buffered_bytes(self) -> int:
        """Bytes accepted for sending that the kernel has not taken yet (the transport's write buffer)."""
        return 0 if self._transport is None else self._transport.get_write_buffer_size()

    @property
    def is_open(self) -> bool:
        """True once the handshake succeeded and until the core leaves the OPEN state."""
        return self._conn is not None and self._conn.state is OPEN

    def going_away(self) -> None:
        """Start a shutdown: RFC 6455 §7.4.1 "1001 indicates that an endpoint is 'going away', such as a
        server going down". A connection still in its handshake is simply closed."""
        conn = self._conn
        if conn is None:
            if self._lingering is None:
                self._close_transport()
        elif conn.state is OPEN:
            conn.send_close(CloseCode.GOING_AWAY, "server shutting down")
            self._step()

    def abort(self) -> None:
        """Drop the connection at once, without a closing handshake."""
        if self._transport is not None:
            self._transport.abort()

    # -- asyncio.Protocol ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._transport.set_write_buffer_limits(high=self._settings.write_high_water)
        self._refusal = self._registry.admit(self)
        timeout = self._settings.handshake_timeout
        self._handshake_timer = self._loop.call_later(timeout, self._handshake_expired)

    def data_received(self, data: bytes) -> None:
        if self._lingering is not None:
            self._lingering.discard(data)
            return
        conn = self._conn
        if conn is None:
            self._receive_handshake(data)
            return
        now = self._loop.time()
        message = conn.receive_message(data, now)  # one whole message: the core's fast path
        if message is None:
            conn.receive_data(data, now)
            self._step()
        else:
            self._step_message(conn, message)
        if self._charged > FREE_PER_CONNECTION and self._conn is not None and self._over_budget():
            self._refuse_message(f"message too big for the server's memory budget of {self._budget.limit} "
                                 f"bytes")

    def eof_received(self) -> bool | None:
        if self._lingering is not None:
            return None  # the peer's orderly shutdown: the transport closes itself
        if self._conn is None:
            self._receive_handshake(b"")
        else:
            self._conn.receive_eof()
            self._step()
        return None  # let the transport close itself

    def pause_writing(self) -> None:
        if self._transport is not None and self._lingering is None:
            self._transport.pause_reading()
        self.reading_paused = True
        self._arm_write_timer()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()
        self.reading_paused = False
        self._cancel_write_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        self._cancel_write_timer()
        if self._lingering is not None:
            self._lingering.cancel()
        self._budget.charge(self._charged, 0)
        self._charged = 0
        conn = self._conn
        if conn is not None and conn.state is not CLOSED:
            conn.receive_eof()
            self._collect_closed(conn)
        self._transport = None
        self._registry.release(self)

    # -- opening handshake ---------------------------------------------------------------------------

    def _receive_handshake(self, data: bytes) -> None:
        reader = self._reader
        if reader is None:  # the answer is written already; ignore what the client still sends
            return
        try:
            request = reader.receive_data(data)
            if request is None:
                return
            if self._refusal is not None:
                # RFC 9110 §15.6.4: "503 (Service Unavailable) ... the server is currently unable to handle
                # the request due to a temporary overload or scheduled maintenance"
                raise HttpError(503, self._refusal)
            decision = negotiate(
                request, subprotocols=self._settings.subprotocols, allowed_origins=self._settings.origins,
                compression=self._settings.compression(),
            )
            if isinstance(decision, Reject):
                self._refuse(reader, decision.status, decision.reason, decision.headers)
                return
            head = reader.switch_protocols(decision.headers)
        except HttpError as exc:
            self._refuse(reader, exc.status, exc.reason)
            return
        self._open(head, reader.trailing_data, decision.deflate)

    def _refuse(self, reader: RequestReader, status: int, reason: str,
                headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Answer with an HTTP error and close (lingering); no WebSocket connection is made."""
        self._reader = None
        if self._transport is not None:
            self._transport.write(reader.error_response(status, reason, headers))
        self._linger()

    def _handshake_expired(self) -> None:
        self._handshake_timer = None
        if self._reader is not None:
            # RFC 9110 §15.5.9: "408 (Request Timeout) ... the server did not receive a complete request
            # message within the time that it was prepared to wait."
            timeout = self._settings.handshake_timeout
            self._refuse(self._reader, 408, f"no complete request head within {timeout:g} s")

    def _open(self, head: bytes, early_frames: bytes, deflate: DeflateParams | None = None) -> None:
        """Write the 101, create the core's connection, and feed it any frames that came with the request."""
        self._reader = None
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None
        settings = self._settings
        now = self._loop.time()
        conn = Connection(
            max_message_size=settings.max_message_size,
            keepalive_interval=settings.keepalive_interval,
            pong_timeout=settings.pong_timeout,
            idle_timeout=settings.idle_timeout,
            now=now,
            deflate=deflate,
        )
        self._conn = conn
        self._rate = settings.message_bucket(now)
        assert self._transport is not None
        self._transport.write(head)
        if early_frames:
            conn.receive_data(early_frames, now)
        self._step()

    # -- open connection -----------------------------------------------------------------------------

    def _step(self) -> None:
        """Echo what the core received, send what it wants sent, and re-arm its timer."""
        conn = self._conn
        assert conn is not None
        self._account()
        pending = 0  # bytes of echoes queued in the core in this step, not charged yet
        for event in conn.events_received():
            kind = type(event)
            if kind is TextMessage or kind is BinaryMessage:
                answered = self._answer(conn, event, pending)  # type: ignore[arg-type]
                if answered is None:
                    return
                pending = answered
            elif kind is ConnectionClosed:
                self.closed = event  # type: ignore[assignment]
        self._end_step(conn)

    def _step_message(self, conn: Connection, message: TextMessage | BinaryMessage) -> None:
        """``_step`` for the one message the core's fast path returned (no event is queued in the core).

        Between steps a connection's holding only shrinks (its write buffer drains; input is read in
        steps), and after the fast path it holds no input: a charge of 0 is still exact, and is not redone.
        """
        if self._charged:
            self._account()
        if self._answer(conn, message, 0) is not None:
            self._end_step(conn)

    def _answer(self, conn: Connection, message: TextMessage | BinaryMessage, pending: int) -> int | None:
        """Echo one message (or not, when the core no longer answers, the rate limit or the memory budget
        says no); the bytes of echoes queued in this step, or None when the step must end here."""
        # Messages that came before the peer's Close, or before bad input, are still answered: the core
        # sends its Close after them (CLOSE_RECEIVED, FAILING). Once closed, nothing more is sent.
        if conn.state not in _ANSWERING:
            return pending
        if self._rate is not None and conn.state is OPEN and not self._rate.take(self._loop.time()):
            self._over_rate(conn)  # CLOSING from here on: the messages after this one go unanswered
            return pending
        text = type(message) is TextMessage
        size = len(message.text) if text else len(message.data)  # type: ignore[union-attr]
        if not self._budget.allows(self._charged, pending + size):
            if conn.state is OPEN:
                self._refuse_message(f"echo of {size} bytes would pass the server's memory budget "
                                     f"of {self._budget.limit} bytes", flush_first=True)
                return None
            return pending  # the core is closing already: its Close goes out without this answer
        if text:
            conn.send_text(message.text)  # type: ignore[union-attr]
        else:
            conn.send_binary(message.data)  # type: ignore[union-attr]
        return pending + size

    def _end_step(self, conn: Connection) -> None:
        """Write what the core wants sent, charge what is held, and re-arm the core's timer."""
        self._flush(conn)
        if self._conn is not None:
            self._account()
            self._arm_timer(conn)

    def _flush(self, conn: Connection) -> None:
        chunks = conn.data_to_send()
        transport = self._transport
        if not chunks or transport is None:
            return
        if chunks[-1]:  # the common case: no close request in this batch
            transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))
            return
        end = chunks.index(b"")
        if end:
            transport.write(b"".join(chunks[:end]))
        # b"" is the core's "close the TCP connection now": after the write buffer, half-close and linger.
        self._linger()

    def _arm_timer(self, conn: Connection) -> None:
        """Keep one timer at or before the core's next deadline.

        A later deadline keeps the current timer (it fires early, finds nothing due, and re-arms), so a
        busy connection whose idle deadline moves on every message does not re-create a timer each time.
        """
        deadline = conn.next_deadline()
        timer = self._timer
        if deadline is None:
            if timer is not None:
                timer.cancel()
                self._timer = None
            return
        if timer is not None:
            if deadline >= self._timer_when:
                return
            timer.cancel()
        if self._transport is None or self._transport.is_closing():
            return
        self._timer = self._loop.call_at(deadline, self._on_timer)
        self._timer_when = deadline

    def _on_timer(self) -> None:
        self._timer = None
        conn = self._conn
        assert conn is not None
        # The loop may run a timer up to its clock resolution early; it is due at the time it was set for.
        conn.handle_timeout(max(self._loop.time(), self._timer_when))
        self._step()

    def _collect_closed(self, conn: Connection) -> None:
        for event in conn.events_received():
            if isinstance(event, ConnectionClosed) and self.closed is None:  # keep why the pump dropped it
                self.closed = event

    def _over_rate(self, conn: Connection) -> None:
        """Start the closing handshake with 1008: the peer sent a message past its rate limit.

        RFC 6455 §7.4.1: "1008 indicates that an endpoint is terminating the connection because it has
        received a message that violates its policy. This is a generic status code that can be returned
        when there is no other more suitable status code (e.g., 1003 or 1009)": the message is neither of
        a type the server cannot accept (1003) nor too big (1009); it breaks the server's rate policy.
        """
        rate = self._settings.rate_limit
        conn.send_close(CloseCode.POLICY_VIOLATION, f"more than {rate:g} messages per second")

    # -- memory budget, write timeout, closing ------------------------------------------------------

    def _account(self) -> None:
        """Charge the budget with what this connection holds now."""
        conn, transport = self._conn, self._transport
        holding = (0 if conn is None else conn.buffered_input) + (
            0 if transport is None else transport.get_write_buffer_size())
        if holding != self._charged:
            self._budget.charge(self._charged, holding)
            self._charged = holding

    def _over_budget(self) -> bool:
        return not self._budget.allows(self._charged)

    def _refuse_message(self, reason: str, *, flush_first: bool = False) -> None:
        """Close with 1009 because of the memory budget, release what the core holds, linger.

        RFC 6455 §7.4.1: "1009 indicates that an endpoint is terminating the connection because it has
        received a message that is too big for it to process."
        """
        conn = self._conn
        assert conn is not None
        self._budget.refusals += 1
        if flush_first:  # the answers queued before this message go out before the Close
            chunks = conn.data_to_send()
            if self._transport is not None and chunks and all(chunks):
                self._transport.write(b"".join(chunks))
        if conn.state is OPEN:
            conn.send_close(CloseCode.MESSAGE_TOO_BIG, reason)
            chunks = conn.data_to_send()
            if self._transport is not None and not self._transport.is_closing():
                self._transport.write(b"".join(chunk for chunk in chunks if chunk))
        self.closed = ConnectionClosed(int(CloseCode.MESSAGE_TOO_BIG), reason, clean=False)
        self._linger()

    def _linger(self) -> None:
        """Our last bytes are written: forget the core (and what it holds), half-close, discard input."""
        self._cancel_timers()
        self._conn = None
        self._account()
        transport = self._transport
        if transport is None or self._lingering is not None:
            return
        self._lingering = Lingering(transport, self._settings.linger_timeout)

    def _arm_write_timer(self) -> None:
        timeout = self._settings.write_timeout
        if timeout is None or self._transport is None or self._write_timer is not None:
            return
        self._write_stalled_at = _unsent_bytes(self._transport)
        self._write_timer = self._loop.call_later(timeout, self._write_timed_out)

    def _write_timed_out(self) -> None:
        self._write_timer = None
        transport = self._transport
        if transport is None:
            return
        if _unsent_bytes(transport) < self._write_stalled_at:
            self._arm_write_timer()  # the peer took some bytes: slow, but reading
            return
        if self.closed is None:
            timeout = self._settings.write_timeout
            self.closed = ConnectionClosed(int(CloseCode.ABNORMAL_CLOSURE),
                                           f"peer read nothing for {timeout:g} s", clean=False)
        transport.abort()

    def _cancel_write_timer(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _close_transport(self) -> None:
        self._cancel_timers()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._handshake_timer, self._timer):
            if timer is not None:
                timer.cancel()
        self._handshake_timer = self._timer = None


def _unsent_bytes(transport: asyncio.Transport) -> int:
    """Bytes not yet taken by the peer: the transport's write buffer plus the kernel's send queue.

    The transport's buffer alone moves in steps of about a third of the kernel's send buffer (the socket
    reports writable only then), so a peer reading slowly would look stalled for seconds; the kernel's
    queue (``TIOCOUTQ``, Linux) shows every byte the peer acknowledged.
    """
    unsent = transport.get_write_buffer_size()
    sock = transport.get_extra_info("socket")
    if sock is None:
        return unsent
    queued = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, queued)
    except OSError:
        return unsent
    return unsent + queued[0]
