"""A Socket.IO server as one sans-IO object: namespaces, sockets, rooms, acks, recovery.

The I/O layer (an Engine.IO server) drives it with Engine.IO session ids:

* ``open(eio_sid, now)`` when an Engine.IO session opens; ``receive_text`` / ``receive_binary`` for each
  message payload; ``transport_closed(eio_sid, now)`` when the session ends; ``handle_timeout(now)`` at
  ``next_deadline()``.
* Each of those returns a list of ``Deliver(eio_sid, payloads)`` (write these Engine.IO message payloads
  to that session, in order) and ``CloseSession(eio_sid, reason)`` (close that Engine.IO session). A
  broadcast gives one ``Deliver`` per recipient, so the I/O layer only writes. Output made outside those
  calls (``Server.emit``, or a handler's ``Socket`` kept and used later) is taken with ``take_output()``.
* After a ``CloseSession`` the session reads nothing more (messages already in flight, e.g. the rest of a
  polling batch, are dropped) and the I/O layer still calls ``transport_closed`` once the Engine.IO
  session is gone, which forgets it.

The application registers ``Namespace`` objects: ``authorize(auth)`` decides a CONNECT (raise ``Refused``
to answer CONNECT_ERROR), ``on_connect(socket)`` runs after the CONNECT answer went out, ``on(event,
handler)`` handles events as ``handler(socket, args, ack)`` where ``ack`` is None or a one-shot callable.
A CONNECT for a namespace nobody registered gets CONNECT_ERROR ``{"message":"Invalid namespace"}`` (the
reference server's words).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reference.core.sio import events as ev
from reference.core.sio.errors import ApiError
from reference.core.sio.packets import Packet, PacketType, encode
from reference.core.sio.recovery import KeptSession, Recovery, RecoveryStore, Sent
from reference.core.sio.session import DEFAULT_CONNECT_TIMEOUT, Payloads, Session

__all__ = ["Ack", "Broadcast", "CloseSession", "Deliver", "Namespace", "Output", "Refused", "Server",
           "Socket"]

EventHandler = Callable[["Socket", list[Any], "Ack | None"], None]


@dataclass(frozen=True, slots=True)
class Deliver:
    """Send these Engine.IO message payloads, in order, on the Engine.IO session ``eio_sid``."""

    eio_sid: str
    payloads: tuple[str | bytes, ...]


@dataclass(frozen=True, slots=True)
class CloseSession:
    """Close the Engine.IO session ``eio_sid`` (bad input or connect timeout)."""

    eio_sid: str
    reason: str


Output = Deliver | CloseSession


class Refused(Exception):
    """Raised by ``Namespace.authorize`` to refuse a CONNECT with CONNECT_ERROR ``{message, data}``."""

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class Namespace:
    """A namespace's handlers.

    Args:
        name: ``/`` or ``/something``.
        authorize: Called with the CONNECT payload; raise ``Refused`` to refuse.
        on_connect: Called with the new ``Socket`` once the CONNECT answer is queued.
        on_disconnect: Called with the ``Socket`` when it is gone (either side, or the transport).
    """

    def __init__(self, name: str, *, authorize: Callable[[dict[str, Any]], None] | None = None,
                 on_connect: Callable[[Socket], None] | None = None,
                 on_disconnect: Callable[[Socket], None] | None = None) -> None:
        self.name = name
        self.authorize = authorize
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.handlers: dict[str, EventHandler] = {}

    def on(self, event: str, handler: EventHandler) -> None:
        """Handle ``event`` with ``handler(socket, args, ack)``."""
        self.handlers[event] = handler


class Ack:
    """Answers one event of the peer that asked for an ack; call it once with the ack's arguments."""

    def __init__(self, socket: Socket, ack_id: int) -> None:
        self._socket = socket
        self._id: int | None = ack_id

    def __call__(self, *args: Any) -> None:
        if self._id is None:
            raise ApiError("this ack was already sent")
        ack_id, self._id = self._id, None
        if self._socket.connected:
            self._socket.server._send(self._socket.eio_sid, self._socket.session.ack(self._socket.nsp,
                                                                                     ack_id, list(args)))


class Socket:
    """One client's connection to one namespace (the application's handle)."""

    def __init__(self, server: Server, *, nsp: str, eio_sid: str, session: Session, sid: str,
                 pid: str | None, auth: dict[str, Any]) -> None:
        self.server = server
        self.nsp = nsp
        self.eio_sid = eio_sid
        self.session = session
        self.sid = sid
        self.pid = pid
        self.auth = auth
        self.rooms: set[str] = set()
        self.data: dict[str, Any] = {}
        self.recovered = False
        self.connected = False
        self._acks: OrderedDict[int, Callable[[list[Any]], None]] = OrderedDict()

    def emit(self, event: str, *args: Any, callback: Callable[[list[Any]], None] | None = None) -> None:
        """Send ``event`` to this socket; ``callback(args)`` runs when its ACK comes back."""
        if not self.connected:
            raise ApiError(f"socket {self.sid} is not connected")
        if callback is not None:
            ack_id, payloads = self.session.emit(self.nsp, event, list(args), with_ack=True)
            assert ack_id is not None
            self._acks[ack_id] = callback
            while len(self._acks) > self.server.max_pending_acks:
                self._acks.popitem(last=False)
            self.server._send(self.eio_sid, payloads)
            return
        args_sent = self.server._record(self.nsp, event, list(args), frozenset({self.sid}), frozenset())
        self.server._send(self.eio_sid, self.session.emit(self.nsp, event, args_sent)[1])

    def join(self, room: str) -> None:
        """Add this socket to ``room``."""
        self.server._join(self, room)

    def leave(self, room: str) -> None:
        """Remove this socket from ``room``."""
        self.server._leave(self, room)

    def to(self, *rooms: str) -> Broadcast:
        """A broadcast to ``rooms`` of this namespace, except this socket (the sender)."""
        return Broadcast(self.server, self.nsp, frozenset(rooms), frozenset({self.sid}))

    def disconnect(self) -> None:
        """Disconnect this namespace from the server's side (DISCONNECT; the session stays open)."""
        if self.connected:
            self.server._send(self.eio_sid, self.session.disconnect(self.nsp))
            self.server._gone(self)

    def _ack_received(self, ack_id: int, args: list[Any]) -> None:
        callback = self._acks.pop(ack_id, None)
        if callback is not None:
            callback(args)


@dataclass(frozen=True)
class Broadcast:
    """An emit to every socket of ``nsp`` in any of ``rooms`` (all when empty) and in none of
    ``except_rooms``."""

    server: Server
    nsp: str
    rooms: frozenset[str]
    except_rooms: frozenset[str]

    def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` to every recipient (no acks on broadcasts, as in the reference server)."""
        self.server._broadcast(self.nsp, event, list(args), self.rooms, self.except_rooms)


class _Nsp:
    """A namespace's live state: its sockets and rooms."""

    def __init__(self, spec: Namespace) -> None:
        self.spec = spec
        self.sockets: dict[str, Socket] = {}
        self.rooms: dict[str, set[str]] = {}


class Server:
    """The Socket.IO server (see the module docstring).

    Args:
        namespaces: The namespaces served.
        recovery: Connection state recovery options, or None to turn it off (the official test suite
            expects it off: its CONNECT answer must be exactly ``{"sid"}`` and its events carry no offset).
        connect_timeout, max_attachments, max_attachment_bytes, max_pending_acks: per session
            (``session.Session``).
        new_id: Makes sids, pids and the offsets' prefix; unguessable (the I/O layer passes e.g.
            ``lambda: secrets.token_urlsafe(16)``: the core reads no randomness).
    """

    def __init__(self, namespaces: Iterable[Namespace], *, recovery: Recovery | None = None,
                 connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT, max_attachments: int = 10,
                 max_attachment_bytes: int = 10_000_000, max_pending_acks: int = 1000,
                 new_id: Callable[[], str]) -> None:
        self._nsps = {spec.name: _Nsp(spec) for spec in namespaces}
        self._store = None if recovery is None else RecoveryStore(recovery)
        self._session_options: dict[str, Any] = {
            "connect_timeout": connect_timeout, "max_attachments": max_attachments,
            "max_attachment_bytes": max_attachment_bytes, "max_pending_acks": max_pending_acks}
        self.max_pending_acks = max_pending_acks
        self._new_id = new_id
        self._offset_prefix = new_id()
        self._offsets = itertools.count()
        self._sessions: dict[str, Session] = {}
        self._sockets: dict[str, dict[str, Socket]] = {}  # eio sid -> nsp -> socket
        self._out: list[Output] = []
        self._now = 0.0

    # -- the I/O layer's calls -------------------------------------------------------------------------

    def open(self, eio_sid: str, now: float) -> list[Output]:
        """An Engine.IO session opened."""
        if eio_sid in self._sessions:
            raise ApiError(f"engine.io session {eio_sid} is already open")
        self._now = now
        self._sessions[eio_sid] = Session(now=now, **self._session_options)
        self._sockets[eio_sid] = {}
        return self.take_output()

    def receive_text(self, eio_sid: str, text: str, now: float) -> list[Output]:
        """A text Engine.IO message arrived on ``eio_sid``."""
        session = self._session(eio_sid)
        self._now = now
        self._dispatch(eio_sid, session.receive_text(text))
        return self.take_output()

    def receive_binary(self, eio_sid: str, data: bytes, now: float) -> list[Output]:
        """A binary Engine.IO message arrived on ``eio_sid``."""
        session = self._session(eio_sid)
        self._now = now
        self._dispatch(eio_sid, session.receive_binary(data))
        return self.take_output()

    def transport_closed(self, eio_sid: str, now: float, *, recoverable: bool = True) -> list[Output]:
        """The Engine.IO session ended. ``recoverable``: it dropped (transport error or close, ping
        timeout) rather than closing on purpose, so its namespaces are kept for recovery."""
        session = self._sessions.pop(eio_sid, None)
        if session is None:
            return self.take_output()
        self._now = now
        sockets = self._sockets.pop(eio_sid, {})
        session.transport_closed()
        for socket in list(sockets.values()):
            if recoverable and self._store is not None and socket.pid is not None:
                self._store.keep(socket.pid, KeptSession(socket.nsp, socket.sid, frozenset(socket.rooms),
                                                         socket.data, now))
            self._gone(socket)
        return self.take_output()

    def next_deadline(self) -> float | None:
        """When ``handle_timeout`` must be called next, or None."""
        times = [t for s in self._sessions.values() if (t := s.next_deadline()) is not None]
        if self._store is not None and (t := self._store.next_prune()) is not None:
            times.append(t)
        return min(times) if times else None

    def handle_timeout(self, now: float) -> list[Output]:
        """Connect timeouts of sessions, and pruning of the recovery store."""
        self._now = now
        for eio_sid, session in list(self._sessions.items()):
            self._dispatch(eio_sid, session.handle_timeout(now))
        if self._store is not None:
            self._store.prune(now)
        return self.take_output()

    def take_output(self) -> list[Output]:
        """What the calls since the last take made to send or close."""
        out, self._out = self._out, []
        return out

    # -- application calls -----------------------------------------------------------------------------

    def emit(self, nsp: str, event: str, *args: Any, rooms: Iterable[str] = (),
             except_rooms: Iterable[str] = ()) -> list[Output]:
        """Broadcast from the server: to every socket of ``nsp`` in ``rooms`` (all when empty)."""
        self._broadcast(nsp, event, list(args), frozenset(rooms), frozenset(except_rooms))
        return self.take_output()

    def sockets(self, nsp: str) -> dict[str, Socket]:
        """The connected sockets of ``nsp``, by sid."""
        return dict(self._nsps[nsp].sockets) if nsp in self._nsps else {}

    def room_members(self, nsp: str, room: str) -> set[str]:
        """The sids in ``room`` of ``nsp``."""
        return set(self._nsps[nsp].rooms.get(room, ())) if nsp in self._nsps else set()

    # -- inside ----------------------------------------------------------------------------------------

    def _session(self, eio_sid: str) -> Session:
        session = self._sessions.get(eio_sid)
        if session is None:
            raise ApiError(f"engine.io session {eio_sid} is not open")
        return session

    def _send(self, eio_sid: str, payloads: Payloads) -> None:
        if payloads:
            self._out.append(Deliver(eio_sid, tuple(payloads)))

    def _dispatch(self, eio_sid: str, events: list[ev.Event]) -> None:
        session = self._sessions[eio_sid]
        for event in events:
            sockets = self._sockets[eio_sid]
            if isinstance(event, ev.ConnectRequested):
                self._connect(eio_sid, session, event)
            elif isinstance(event, ev.EventReceived):
                socket = sockets[event.nsp]
                handler = self._nsps[event.nsp].spec.handlers.get(event.name)
                ack = None if event.ack_id is None else Ack(socket, event.ack_id)
                if handler is not None:
                    handler(socket, event.args, ack)
            elif isinstance(event, ev.AckReceived):
                sockets[event.nsp]._ack_received(event.ack_id, event.args)
            elif isinstance(event, ev.Disconnected):
                if (gone := sockets.get(event.nsp)) is not None:
                    self._gone(gone)
            else:  # SessionFailed: the session stays (closed, reading nothing) until transport_closed
                self._out.append(CloseSession(eio_sid, event.reason))

    def _connect(self, eio_sid: str, session: Session, event: ev.ConnectRequested) -> None:
        nsp = self._nsps.get(event.nsp)
        if nsp is None:
            self._send(eio_sid, session.refuse(event.nsp, "Invalid namespace"))
            return
        if nsp.spec.authorize is not None:
            try:
                nsp.spec.authorize(event.auth)
            except Refused as refusal:
                self._send(eio_sid, session.refuse(event.nsp, refusal.message, refusal.data))
                return
        restored = None
        if self._store is not None:
            restored = self._store.restore(event.nsp, event.auth.get("pid"), event.auth.get("offset"),
                                           self._now)
        if restored is not None:
            kept, missed = restored
            socket = Socket(self, nsp=event.nsp, eio_sid=eio_sid, session=session, sid=kept.sid,
                            pid=event.auth["pid"], auth=event.auth)
            socket.rooms = set(kept.rooms)
            socket.data = kept.data
            socket.recovered = True
        else:
            missed = []
            pid = None if self._store is None else self._new_id()
            socket = Socket(self, nsp=event.nsp, eio_sid=eio_sid, session=session, sid=self._new_id(),
                            pid=pid, auth=event.auth)
        answer: dict[str, Any] = {"sid": socket.sid}
        if socket.pid is not None:
            answer["pid"] = socket.pid
        self._send(eio_sid, session.accept(event.nsp, answer))
        socket.connected = True
        nsp.sockets[socket.sid] = socket
        self._sockets[eio_sid][event.nsp] = socket
        for room in {socket.sid, *socket.rooms}:
            self._join(socket, room)
        for sent in missed:
            self._send(eio_sid, session.emit(event.nsp, sent.args[0], list(sent.args[1:]))[1])
        if nsp.spec.on_connect is not None:
            nsp.spec.on_connect(socket)

    def _gone(self, socket: Socket) -> None:
        if not socket.connected:
            return
        socket.connected = False
        nsp = self._nsps[socket.nsp]
        nsp.sockets.pop(socket.sid, None)
        self._sockets.get(socket.eio_sid, {}).pop(socket.nsp, None)
        for room in list(socket.rooms):
            members = nsp.rooms.get(room)
            if members is not None:
                members.discard(socket.sid)
                if not members:
                    del nsp.rooms[room]
        socket._acks.clear()
        if nsp.spec.on_disconnect is not None:
            nsp.spec.on_disconnect(socket)

    def _join(self, socket: Socket, room: str) -> None:
        if not socket.connected:
            raise ApiError(f"socket {socket.sid} is not connected")
        socket.rooms.add(room)
        self._nsps[socket.nsp].rooms.setdefault(room, set()).add(socket.sid)

    def _leave(self, socket: Socket, room: str) -> None:
        socket.rooms.discard(room)
        members = self._nsps[socket.nsp].rooms.get(room)
        if members is not None:
            members.discard(socket.sid)
            if not members:
                del self._nsps[socket.nsp].rooms[room]

    def _record(self, nsp: str, event: str, args: list[Any], rooms: frozenset[str],
                except_rooms: frozenset[str]) -> list[Any]:
        """With recovery on, give an EVENT its offset (its last argument) and keep it in the history."""
        if self._store is None:
            return args
        encode(Packet(PacketType.EVENT, nsp, [event, *args]))  # an ApiError here keeps it out of the history
        offset = f"{self._offset_prefix}-{next(self._offsets)}"
        args = [*args, offset]
        self._store.record(nsp, Sent(offset, rooms, except_rooms, (event, *args), self._now))
        return args

    def _broadcast(self, nsp_name: str, event: str, args: list[Any], rooms: frozenset[str],
                   except_rooms: frozenset[str]) -> None:
        nsp = self._nsps.get(nsp_name)
        if nsp is None:
            raise ApiError(f"no namespace {nsp_name!r}")
        args = self._record(nsp_name, event, args, rooms, except_rooms)
        payloads = encode(Packet(PacketType.EVENT, nsp_name, [event, *args]))  # once for every recipient
        targets = set().union(*(nsp.rooms.get(room, set()) for room in rooms)) if rooms else set(nsp.sockets)
        for room in except_rooms:
            targets -= nsp.rooms.get(room, set())
        for sid in sorted(targets):
            socket = nsp.sockets[sid]
            self._send(socket.eio_sid, socket.session.emit_encoded(nsp_name, payloads))
