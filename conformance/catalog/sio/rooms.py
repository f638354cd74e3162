"""Rooms and broadcast delivery with several clients (issue 13's gap list).

The socket.io-protocol README has no rooms: they are the server API's (socket.io docs, "Rooms"), reached
here through the testee contract's ``join``, ``leave`` and ``broadcast`` events (docs/testee-contract.md):
``broadcast`` ``[room, ...args]`` emits ``broadcast-back`` ``[...args]`` to every socket of the namespace in
``room`` except the sender, and acks ``[]`` once that is done. So the cases are STRICT: they check the
contract's promise, which is the npm server's ``socket.to(room).emit(...)``.

No verdict waits for silence. Once the sender's ack came, the broadcast has been handed to every recipient,
and a target sends one socket's packets in order: each client then asks for an echo (``message`` ->
``message-back``), and whatever ``broadcast-back`` came before its echo is what it got. Each case's room is
its own (a random name), so on a correct target cases running together never reach each other's clients;
they are ``exclusive`` all the same, because a target whose broadcast ignores the room would send
``broadcast-back`` to the clients of whatever case runs beside them and fail it.
"""

from __future__ import annotations

import secrets
from typing import Any

from conformance.catalog.sio.context import SioContext
from conformance.catalog.sio.matrix import both
from conformance.model import STRICT, CaseFailed, Verdict, group
from conformance.wire.sio import SioClient, SioPacket, SioType

R = group("sio", "sending-and-receiving-data", "Sending and receiving data")

ROOMS = ("A room is an arbitrary channel that sockets can join and leave. It can be used to broadcast events "
         "to a subset of clients")  # socket.io docs, Server > Rooms
#: The ack ids the cases use for join, leave and broadcast (any unused id would do).
JOIN, LEAVE, BROADCAST = 11, 12, 13


async def acked(ctx: SioContext, client: SioClient, nsp: str, args: list[Any], ack_id: int) -> None:
    """Emit ``args`` on ``nsp`` with ``ack_id`` and wait for that ACK (no other packet may come first).

    Raises:
        CaseFailed: another packet, or none within the case's answer time.
    """
    await client.send(SioPacket(SioType.EVENT, nsp, args, ack_id))
    got = await ctx.expect(client, f"ACK {ack_id} for {args[0]!r} on {nsp}")
    if got.type is not SioType.ACK or got.nsp != nsp or got.id != ack_id:
        raise CaseFailed([f"ACK {ack_id} for {args[0]!r} on {nsp}"], str(got))


async def broadcasts_seen(ctx: SioContext, client: SioClient, nsp: str, token: str) -> int:
    """How many ``broadcast-back`` events carrying ``token`` reached ``client`` on any namespace before the
    echo of a ``message`` it sends on ``nsp`` now.

    Raises:
        CaseFailed: no echo within the answer time, or a packet that is neither.
    """
    await client.send(SioPacket(SioType.EVENT, nsp, ["message", token]))
    count = 0
    while True:
        got = await ctx.expect(client, f"EVENT 'message-back' on {nsp}")
        if got.type is SioType.EVENT and got.data == ["message-back", token] and got.nsp == nsp:
            return count
        if got.type is SioType.EVENT and got.data[:1] == ["broadcast-back"] and token in got.data[1:2]:
            count += 1
            continue
        raise CaseFailed([f"EVENT 'broadcast-back' or 'message-back' on {nsp}"], str(got))


@both(R, "room-broadcast-members-only", level=STRICT, origin="issue 13 (rooms)",
      desc="Clients A and B join room R on /, C stays out, D joins a room of the same name on /custom; "
           "A emits 'broadcast' [R, token]",
      requirement="B gets 'broadcast-back' [token] exactly once; the sender A, the non-member C and D of "
                   "the other namespace get nothing (testee contract: 'to every socket of the namespace in "
                   "room except the sender').",
      quote=ROOMS, exclusive=True)
async def room_broadcast(ctx: SioContext, transport: str) -> Verdict:
    room, token = f"room-{secrets.token_hex(6)}", secrets.token_hex(6)
    a, b, c = [await ctx.connected(transport) for _ in range(3)]
    d = await ctx.connected(transport, "/custom")
    for member, nsp in ((a, "/"), (b, "/"), (d, "/custom")):
        await acked(ctx, member, nsp, ["join", room], JOIN)
    await acked(ctx, a, "/", ["broadcast", room, token], BROADCAST)
    seen = {name: await broadcasts_seen(ctx, client, nsp, token)
            for name, client, nsp in (("B", b, "/"), ("A", a, "/"), ("C", c, "/"), ("D", d, "/custom"))}
    if seen != {"B": 1, "A": 0, "C": 0, "D": 0}:
        raise CaseFailed(["B: 1, A: 0, C: 0, D: 0"], "broadcast-back received: " +
                         ", ".join(f"{k}: {v}" for k, v in seen.items()))
    return Verdict(actual="broadcast-back received: B 1, A 0, C 0, D 0")


@both(R, "room-leave-stops-broadcast", level=STRICT, origin="issue 13 (rooms)",
      desc="A and B join room R on /; B leaves R; A emits 'broadcast' [R, token]",
      requirement="B, no longer in the room, gets no 'broadcast-back' (testee contract: 'leave' [room]).",
      quote=ROOMS, exclusive=True)
async def room_leave(ctx: SioContext, transport: str) -> Verdict:
    room, token = f"room-{secrets.token_hex(6)}", secrets.token_hex(6)
    a, b = [await ctx.connected(transport) for _ in range(2)]
    for member in (a, b):
        await acked(ctx, member, "/", ["join", room], JOIN)
    await acked(ctx, b, "/", ["leave", room], LEAVE)
    await acked(ctx, a, "/", ["broadcast", room, token], BROADCAST)
    got = await broadcasts_seen(ctx, b, "/", token)
    if got:
        raise CaseFailed(["no broadcast-back for B after it left"], f"B got {got}")
    return Verdict(actual="B got no broadcast-back after leaving")
