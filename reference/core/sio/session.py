"""The Socket.IO side of one Engine.IO session, server role, sans-IO.

Theory of operation:

* The I/O layer creates a ``Session`` when the Engine.IO session opens (``now`` = that time), passes
  every Engine.IO ``message`` payload to ``receive_text`` or ``receive_binary``, and hands the returned
  events to the application. The application answers with ``accept``/``refuse`` (a ``ConnectRequested``),
  ``emit``, ``ack`` and ``disconnect``, each returning the Engine.IO message payloads to send, in order (a
  binary packet's attachments right after its text). ``transport_closed`` tells it the Engine.IO session
  is gone. Time comes in as ``now``; ``next_deadline()`` says when to call ``handle_timeout``.
* Each namespace's state changes only through ``states.TRANSITIONS``.
* Every error met while reading input goes through ``errors.reaction_for``, the one place that decides
  what to do: IGNORE drops the packet; CLOSE_SESSION ends the session (``SessionFailed``, after a
  ``Disconnected`` for each connected namespace) and input is no longer read.
* The connect timeout: a session on which no namespace is connected ``connect_timeout`` seconds after it
  opened fails, as the reference server's ``connectTimeout`` (its default 45 s) does; the official test
  suite's "should close the connection if no handshake is received" needs it.
* Acks we wait for are bounded: at most ``max_pending_acks`` per namespace; emitting one more forgets the
  oldest (its late ACK is then ignored like any unknown id).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from reference.core.sio import events as ev
from reference.core.sio.decoder import DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_ATTACHMENTS, Decoder
from reference.core.sio.errors import ApiError, InvalidState, Reaction, SioError, UnknownAck, reaction_for
from reference.core.sio.packets import Packet, PacketType, encode
from reference.core.sio.states import CONNECTED, NOT_CONNECTED, RECEIVED, TRANSITIONS, NspState, Trigger

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "Payloads", "Session"]

#: The reference server's ``connectTimeout`` default, in seconds.
DEFAULT_CONNECT_TIMEOUT = 45.0
#: What the I/O layer sends: Engine.IO message payloads, text or binary, in order.
Payloads = list[str | bytes]

_RECEIVE_TRIGGER = {
    PacketType.CONNECT: Trigger.RECEIVE_CONNECT,
    PacketType.DISCONNECT: Trigger.RECEIVE_DISCONNECT,
    PacketType.EVENT: Trigger.RECEIVE_EVENT,
    PacketType.BINARY_EVENT: Trigger.RECEIVE_EVENT,
    PacketType.ACK: Trigger.RECEIVE_ACK,
    PacketType.BINARY_ACK: Trigger.RECEIVE_ACK,
    PacketType.CONNECT_ERROR: Trigger.RECEIVE_CONNECT_ERROR,
}


class Session:
    """Socket.IO over one Engine.IO session: namespaces, their states, acks, the connect timeout.

    Args:
        now: When the Engine.IO session opened, in seconds on any monotonic clock.
        connect_timeout: Fail the session if no namespace is connected by then (None: never).
        max_attachments, max_attachment_bytes: The decoder's bounds (``decoder.Decoder``).
        max_pending_acks: Most acks awaited per namespace.
    """

    def __init__(self, *, now: float = 0.0, connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
                 max_attachments: int = DEFAULT_MAX_ATTACHMENTS,
                 max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
                 max_pending_acks: int = 1000) -> None:
        self._decoder = Decoder(max_attachments=max_attachments, max_attachment_bytes=max_attachment_bytes)
        self._states: dict[str, NspState] = {}
        self._next_ack: dict[str, int] = {}
        self._pending: dict[str, OrderedDict[int, None]] = {}
        self._max_pending = max_pending_acks
        self._connect_deadline = None if connect_timeout is None else now + connect_timeout
        #: Why the session failed, or None while it is usable.
        self.failure: str | None = None
        self.closed = False

    # -- state ---------------------------------------------------------------------------------------

    def state(self, nsp: str) -> NspState:
        """The namespace's state (NOT_CONNECTED if never heard of)."""
        return self._states.get(nsp, NOT_CONNECTED)

    @property
    def connected(self) -> list[str]:
        """The connected namespaces, in the order they connected."""
        return [nsp for nsp, state in self._states.items() if state is CONNECTED]

    def _move(self, nsp: str, trigger: Trigger) -> None:
        state = self.state(nsp)
        new = TRANSITIONS[state].get(trigger)
        if new is None:
            error = InvalidState if trigger in RECEIVED else ApiError
            raise error(f"cannot {trigger.value} on namespace {nsp!r} in state {state.value}")
        if new is NOT_CONNECTED:
            self._states.pop(nsp, None)
            self._pending.pop(nsp, None)
        else:
            self._states[nsp] = new

    # -- input ---------------------------------------------------------------------------------------

    def receive_text(self, text: str) -> list[ev.Event]:
        """Read a text Engine.IO message; returns the events it completes."""
        if self.closed:
            return []
        try:
            packet = self._decoder.receive_text(text)
            return [] if packet is None else self._handle(packet)
        except Exception as exc:
            return self._react(exc)

    def receive_binary(self, data: bytes) -> list[ev.Event]:
        """Read a binary Engine.IO message (an attachment); returns the events it completes."""
        if self.closed:
            return []
        try:
            packet = self._decoder.receive_binary(data)
            return [] if packet is None else self._handle(packet)
        except Exception as exc:
            return self._react(exc)

    def _react(self, exc: Exception) -> list[ev.Event]:
        if reaction_for(exc) is Reaction.IGNORE:
            return []
        reason = exc.msg if isinstance(exc, SioError) else f"internal error: {type(exc).__name__}"
        return self._fail(reason)

    def _fail(self, reason: str) -> list[ev.Event]:
        out: list[ev.Event] = [ev.Disconnected(nsp, by_peer=False) for nsp in self.connected]
        self._states.clear()
        self._pending.clear()
        self.closed = True
        self.failure = reason
        out.append(ev.SessionFailed(reason))
        return out

    def _handle(self, packet: Packet) -> list[ev.Event]:
        nsp = packet.nsp
        self._move(nsp, _RECEIVE_TRIGGER[packet.type])
        if packet.type is PacketType.CONNECT:
            return [ev.ConnectRequested(nsp, packet.data or {})]
        if packet.type is PacketType.DISCONNECT:
            return [ev.Disconnected(nsp, by_peer=True)]
        if packet.type in (PacketType.EVENT, PacketType.BINARY_EVENT):
            return [ev.EventReceived(nsp, packet.data[0], packet.data[1:], packet.id)]
        assert packet.id is not None  # the codec refuses an ACK without id
        pending = self._pending.get(nsp, OrderedDict())
        if packet.id not in pending:
            raise UnknownAck(f"ack id {packet.id} on {nsp!r} is not awaited")
        del pending[packet.id]
        return [ev.AckReceived(nsp, packet.id, packet.data)]

    # -- output --------------------------------------------------------------------------------------

    def accept(self, nsp: str, payload: dict[str, Any]) -> Payloads:
        """Accept the pending CONNECT: CONNECT with ``payload`` (``{"sid": ...}``, plus ``pid`` with
        connection state recovery)."""
        self._move(nsp, Trigger.ACCEPT)
        return encode(Packet(PacketType.CONNECT, nsp, payload))

    def refuse(self, nsp: str, message: str, data: Any = None) -> Payloads:
        """Refuse the pending CONNECT: CONNECT_ERROR ``{"message": message[, "data": data]}``."""
        self._move(nsp, Trigger.REFUSE)
        body: dict[str, Any] = {"message": message}
        if data is not None:
            body["data"] = data
        return encode(Packet(PacketType.CONNECT_ERROR, nsp, body))

    def emit(self, nsp: str, name: str, args: list[Any], *,
             with_ack: bool = False) -> tuple[int | None, Payloads]:
        """An EVENT ``[name, *args]`` (BINARY_EVENT if ``args`` hold bytes); with ``with_ack``, a fresh ack
        id that a later ``AckReceived`` carries. Returns (ack id or None, payloads)."""
        ack_id = None
        if with_ack:
            ack_id = self._next_ack.get(nsp, 0)
        payloads = encode(Packet(PacketType.EVENT, nsp, [name, *args], ack_id))
        self._move(nsp, Trigger.SEND_EVENT)
        if ack_id is not None:
            self._next_ack[nsp] = ack_id + 1
            pending = self._pending.setdefault(nsp, OrderedDict())
            pending[ack_id] = None
            if len(pending) > self._max_pending:
                pending.popitem(last=False)
        return ack_id, payloads

    def emit_encoded(self, nsp: str, payloads: Payloads) -> Payloads:
        """Send an EVENT without ack id that ``packets.encode`` already wrote (a broadcast encodes once
        for all its recipients); returns ``payloads``."""
        self._move(nsp, Trigger.SEND_EVENT)
        return payloads

    def ack(self, nsp: str, ack_id: int, args: list[Any]) -> Payloads:
        """The ACK (BINARY_ACK if ``args`` hold bytes) answering the peer's event ``ack_id``."""
        payloads = encode(Packet(PacketType.ACK, nsp, list(args), ack_id))
        self._move(nsp, Trigger.SEND_ACK)
        return payloads

    def disconnect(self, nsp: str) -> Payloads:
        """Disconnect the namespace from our side: DISCONNECT (no answer is expected)."""
        self._move(nsp, Trigger.SEND_DISCONNECT)
        return encode(Packet(PacketType.DISCONNECT, nsp))

    def transport_closed(self) -> list[ev.Event]:
        """The Engine.IO session is gone: every connected namespace gets ``Disconnected``."""
        if self.closed:
            return []
        out: list[ev.Event] = [ev.Disconnected(nsp, by_peer=False) for nsp in self.connected]
        for nsp in list(self._states):
            self._move(nsp, Trigger.TRANSPORT_CLOSE)
        self.closed = True
        return out

    # -- time ----------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When ``handle_timeout`` must be called next, or None."""
        return None if self.closed else self._connect_deadline

    def handle_timeout(self, now: float) -> list[ev.Event]:
        """Check the connect timeout."""
        if self.closed or self._connect_deadline is None or now < self._connect_deadline:
            return []
        self._connect_deadline = None
        if self.connected:
            return []
        return self._fail("no namespace connected within the connect timeout")
