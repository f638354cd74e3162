"""The namespaces of the Socket.IO testee: the official test suite's handlers plus the gap cases' ones.

socket.io-protocol/test-suite's server (its README, "Test suite"):

* ``/``: on connection, emit ``auth`` with the CONNECT payload; ``message`` -> emit ``message-back`` with
  the same arguments; ``message-with-ack`` -> ack with the same arguments;
* ``/custom``: on connection, emit ``auth`` with the CONNECT payload (and the same two events);
* any other namespace: CONNECT_ERROR ``{"message":"Invalid namespace"}`` (``Server`` does that).

Added for the gap cases (docs/testee-contract.md names them; on ``/`` and ``/custom``):

* ``emit-with-ack`` ``[...args]``: the server emits ``ack-request`` with the args and an ack id; the
  client's ACK makes it emit ``ack-response`` with what the ACK carried (SIO-1);
* ``disconnect-me``: the server sends DISCONNECT for this namespace (SIO-5);
* ``join`` ``room`` / ``leave`` ``room``: join or leave a room, acked with ``[room]`` when asked; a socket
  is in at most ``MAX_ROOMS`` rooms (its own included), a join past that is acked with ``[]`` and ignored,
  so a peer cannot grow the server's memory without bound;
* ``broadcast`` ``room, ...args``: emit ``broadcast-back`` ``[...args]`` to every socket in ``room``
  except the sender, acked with ``[]`` once queued when asked;
* ``/refused``: every CONNECT gets CONNECT_ERROR ``{"message":"Not authorized","data":{"reason":"testee"}}``
  (SIO-2).
"""

from __future__ import annotations

from typing import Any

from reference.core.sio.server import Ack, Namespace, Refused, Socket

__all__ = ["MAX_ROOMS", "build_testee_namespaces"]

#: Most rooms a socket of the testee may be in.
MAX_ROOMS = 64


def _echo_auth(socket: Socket) -> None:
    socket.emit("auth", socket.auth)


def _message(socket: Socket, args: list[Any], ack: Ack | None) -> None:
    socket.emit("message-back", *args)


def _message_with_ack(socket: Socket, args: list[Any], ack: Ack | None) -> None:
    if ack is not None:
        ack(*args)


def _emit_with_ack(socket: Socket, args: list[Any], ack: Ack | None) -> None:
    socket.emit("ack-request", *args, callback=lambda got: socket.emit("ack-response", *got)
                if socket.connected else None)


def _disconnect_me(socket: Socket, args: list[Any], ack: Ack | None) -> None:
    socket.disconnect()


def _room_call(join: bool) -> Any:
    def handler(socket: Socket, args: list[Any], ack: Ack | None) -> None:
        if not args or not isinstance(args[0], str):
            return
        if join and args[0] not in socket.rooms and len(socket.rooms) >= MAX_ROOMS:
            if ack is not None:
                ack()
            return
        (socket.join if join else socket.leave)(args[0])
        if ack is not None:
            ack(args[0])
    return handler


def _broadcast(socket: Socket, args: list[Any], ack: Ack | None) -> None:
    if not args or not isinstance(args[0], str):
        return
    socket.to(args[0]).emit("broadcast-back", *args[1:])
    if ack is not None:
        ack()


def _refuse(auth: dict[str, Any]) -> None:
    raise Refused("Not authorized", {"reason": "testee"})


def build_testee_namespaces() -> list[Namespace]:
    """Fresh ``Namespace`` objects for ``/``, ``/custom`` and ``/refused``."""
    out = []
    for name in ("/", "/custom"):
        nsp = Namespace(name, on_connect=_echo_auth)
        nsp.on("message", _message)
        nsp.on("message-with-ack", _message_with_ack)
        nsp.on("emit-with-ack", _emit_with_ack)
        nsp.on("disconnect-me", _disconnect_me)
        nsp.on("join", _room_call(join=True))
        nsp.on("leave", _room_call(join=False))
        nsp.on("broadcast", _broadcast)
        out.append(nsp)
    out.append(Namespace("/refused", authorize=_refuse))
    return out
