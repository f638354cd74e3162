"""Connection state recovery (Socket.IO 4.6+ ``connectionStateRecovery``; issue 13's gap list).

Not in the protocol README: the socket.io docs describe it, and the testee contract says how it looks on the
wire (docs/testee-contract.md): the CONNECT answer carries a ``pid``, every event the server emits without
an ack id carries an offset as its last argument, and a client whose transport dropped and whose CONNECT
within the window carries ``{"pid": ..., "offset": ...}`` gets its sid and rooms back, then every event
after that offset, once each. The case runs only when the target declares it (``--profile
recovery-window=MS``): recovery changes every event (the offset), which the official suite's cases do not
expect, so the embedded reference server runs without it and the case is skipped there.

Timing never decides the verdict: after the drop the client tries to recover on a fresh session until the
target has noticed the drop (a CONNECT that is answered with another sid is a fresh session, left at once),
for at most the target's heartbeat (pingInterval + pingTimeout) and a margin. The case is ``exclusive``, as
the room cases are (a target whose broadcast ignores the room would reach other cases' clients).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from conformance.catalog.eio.context import SLACK
from conformance.catalog.sio.context import SioContext, WsTransport
from conformance.catalog.sio.matrix import both
from conformance.catalog.sio.rooms import BROADCAST, JOIN, acked
from conformance.model import STRICT, CaseFailed, Skip, Verdict, group
from conformance.wire.sio import SioClient, SioPacket, SioType

R = group("sio", "connection-to-a-namespace", "Connection to a namespace")

RECOVERY = ("Connection state recovery is a feature which allows restoring a client's state after a "
            "temporary disconnection, including any missed packets.")  # socket.io docs
#: Events broadcast while the client is away.
MISSED = 3
#: Most packets a case keeps around the recovered CONNECT (a target flooding it fails the case).
MOST_KEPT = 256


def keep(packets: list[SioPacket], got: SioPacket) -> None:
    """Append ``got`` to ``packets``.

    Raises:
        CaseFailed: more than :data:`MOST_KEPT`.
    """
    if len(packets) >= MOST_KEPT:
        raise CaseFailed([f"at most {MOST_KEPT} packets around the recovered CONNECT"], f"then {got}")
    packets.append(got)


async def broadcast_seen(ctx: SioContext, client: SioClient, token: str, n: int) -> str:
    """Read until ``broadcast-back`` [token, n, offset]: its offset (the last argument).

    Raises:
        CaseFailed: none, or no string offset at its end.
    """
    while True:
        got = await ctx.expect(client, f"EVENT 'broadcast-back' [{token!r}, {n}, offset]")
        data = got.data
        if got.type is SioType.EVENT and data[:3] == ["broadcast-back", token, n]:
            if len(data) != 4 or not isinstance(data[3], str):
                raise CaseFailed(["an offset (a string) as the event's last argument"], str(got))
            return data[3]


async def drop(ctx: SioContext, client: SioClient) -> None:
    """End the client's transport without a DISCONNECT or a close packet (a network loss): the WebSocket's
    TCP connection is cut; a polling session's pending GET is cut and no request follows (the target ends it
    by its ping timeout)."""
    transport = ctx.transport(client)
    if isinstance(transport, WsTransport):
        transport.ws.abort("the case drops the connection (recovery)")
    else:
        transport.abandon()


async def reconnect(ctx: SioContext, transport: str, sid: str, auth: dict[str, Any],
                    within: float) -> tuple[SioClient, list[SioPacket], int]:
    """Fresh sessions CONNECTing with ``auth`` until one is answered with ``sid``: that client, the packets
    that came with or before the answer, and the attempts made.

    Raises:
        CaseFailed: no attempt recovered ``sid`` within ``within`` seconds.
    """
    loop = asyncio.get_running_loop()
    end, attempts, seen = loop.time() + within, 0, ""
    while True:
        attempts += 1
        client = await ctx.client(transport)
        await client.send(SioPacket(SioType.CONNECT, "/", auth))
        before: list[SioPacket] = []
        while True:
            got = await ctx.expect(client, "CONNECT / with a sid")
            if got.type is SioType.CONNECT and got.nsp == "/":
                break
            keep(before, got)
        answered = got.data.get("sid") if isinstance(got.data, dict) else None
        if answered == sid:
            return client, [*before, got], attempts
        seen = str(got)
        await client.send(SioPacket(SioType.DISCONNECT, "/"))
        ctx.transport(client).release()
        if loop.time() > end:
            raise CaseFailed([f"CONNECT / with the old sid {sid!r}"], f"{attempts} attempts in {within:g} s; "
                             f"the last: {seen}")
        await asyncio.sleep(0.2)


@both(R, "recovery-missed-events-once", level=STRICT, origin="issue 13 (connection state recovery)",
      timeout=30,
      desc="A joins room R and gets one broadcast; its connection drops; B broadcasts 3 events to R; A "
           "reconnects with {pid, offset} on a fresh session",
      requirement="With --profile recovery-window=MS declared: A gets its sid back and each of the 3 missed "
                  "events exactly once, and not the one it had already (testee contract, connection state "
                  "recovery).",
      quote=RECOVERY, exclusive=True)
async def recovery(ctx: SioContext, transport: str) -> Verdict:
    window = ctx.number("recovery-window")
    if window is None:
        raise Skip("no --profile recovery-window=MS: the target does not declare connection state recovery")
    room, token = f"room-{secrets.token_hex(6)}", secrets.token_hex(6)
    a, b = await ctx.client(transport), await ctx.connected(transport)
    await a.send(SioPacket(SioType.CONNECT, "/"))
    answer = await ctx.expect(a, "CONNECT / with a sid and a pid")
    data = answer.data if isinstance(answer.data, dict) else {}
    sid, pid = data.get("sid"), data.get("pid")
    if answer.type is not SioType.CONNECT or not isinstance(sid, str) or not isinstance(pid, str):
        raise CaseFailed(["CONNECT / with a sid and a pid (recovery declared)"], str(answer))
    auth = await ctx.expect(a, "the testee's 'auth' event")
    if auth.type is not SioType.EVENT or auth.data[:1] != ["auth"]:
        raise CaseFailed(["the testee's 'auth' event"], str(auth))
    interval, timeout = ctx.heartbeat(ctx.transport(a).opened)
    within = interval + timeout + 2 * SLACK
    if window / 1000 < within + 1:
        raise Skip(f"recovery-window {window:g} ms is shorter than this case's drop ({within + 1:g} s)")
    for member, ack in ((a, JOIN), (b, JOIN + 1)):
        await acked(ctx, member, "/", ["join", room], ack)
    await acked(ctx, b, "/", ["broadcast", room, token, 0], BROADCAST)
    offset = await broadcast_seen(ctx, a, token, 0)
    await drop(ctx, a)
    for n in range(1, MISSED + 1):
        await acked(ctx, b, "/", ["broadcast", room, token, n], BROADCAST + n)
    again, packets, attempts = await reconnect(ctx, transport, sid, {"pid": pid, "offset": offset}, within)
    await again.send(SioPacket(SioType.EVENT, "/", ["message", token]))
    while True:
        got = await ctx.expect(again, "EVENT 'message-back' after the recovered CONNECT")
        if got.type is SioType.EVENT and got.data[:2] == ["message-back", token]:
            break
        keep(packets, got)
    events = [p.data[:3] for p in packets if p.type is SioType.EVENT]
    counts = [events.count(["broadcast-back", token, n]) for n in range(MISSED + 1)]
    shown = ", ".join(f"#{n}: {c}" for n, c in enumerate(counts))
    if counts != [0] + [1] * MISSED:
        raise CaseFailed(["#0: 0, then each of #1..#3 once"], f"after recovery, broadcast-back {shown}")
    return Verdict(actual=f"sid {sid!r} recovered (attempt {attempts}); broadcast-back {shown}")
