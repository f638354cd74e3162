"""Disconnection and several namespaces on one session: socket.io-protocol test-suite #24-#25, namespaces
multiplexed (SIO-4) and a DISCONNECT sent by the server (SIO-5).

The testee answers ``message`` with ``message-back`` and sends DISCONNECT on ``disconnect-me``
(docs/testee-contract.md). ``41/custom`` of the test suite is sent as ``1/custom,`` (the README's format).
"""

from __future__ import annotations

from conformance.catalog.eio.context import SLACK, packets_text
from conformance.catalog.sio.context import PollingTransport, SioContext
from conformance.catalog.sio.matrix import both
from conformance.model import MAY, STRICT, CaseFailed, Verdict, group
from conformance.wire.eio import PacketType
from conformance.wire.sio import SioClient, SioPacket, SioType

G = group("sio", "disconnection-from-a-namespace", "Disconnection from a namespace")
N = group("sio", "connection-to-a-namespace", "Connection to a namespace")

KEPT_ALIVE = "The low-level connection MAY be kept alive if the client is connected to another namespace."


async def answers(ctx: SioContext, client: SioClient, nsp: str, text: str) -> str:
    """Emits ``message [text]`` on ``nsp``: the ``message-back`` that must come back on it, shown."""
    await client.send(SioPacket(SioType.EVENT, nsp, ["message", text]))
    got = await ctx.expect(client, f"'message-back' on {nsp}")
    if (got.type, got.nsp, got.data) != (SioType.EVENT, nsp, ["message-back", text]):
        raise CaseFailed([f"EVENT {nsp} ['message-back', {text!r}]"], str(got))
    return str(got)


@both(G, "main-namespace", level=STRICT, origin="sio-suite #24",
      desc="Connects the main namespace, then sends DISCONNECT '1'",
      requirement="The server sends nothing for it and keeps the Engine.IO session: the next packet is a "
                  "ping, as the test suite expects (the README only says no response is expected).",
      quote="No response is expected from the other side.")
async def disconnect_main(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.connected(transport)
    await client.send(SioPacket(SioType.DISCONNECT, "/"))
    link = ctx.transport(client)
    wait = link.opened.ping_interval / 1000 + SLACK
    if isinstance(link, PollingTransport):
        packets = await ctx.packets(link.sid, timeout=wait)
    else:
        packet = await ctx.ws_next(link.ws, wait)
        packets = [packet] if packet is not None else []
        if link.ws.target_close is not None or link.ws.tcp_closed:  # a ping, and then the close
            raise CaseFailed(["a ping, and the session kept"],
                             f"{packets_text(packets)}, {ctx.state(client)}")
    if [p.type for p in packets] != [PacketType.PING]:
        raise CaseFailed(["a ping, and nothing else"], f"{packets_text(packets)} ({ctx.state(client)})")
    return Verdict(actual=f"then {packets_text(packets)}")


@both(G, "custom-then-main", level=MAY, origin="sio-suite #25",
      desc="Connects / and /custom, sends DISCONNECT '1/custom,', then a 'message' event on /",
      requirement="The main namespace still answers ('message-back') after /custom was left.",
      quote=KEPT_ALIVE)
async def custom_then_main(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.connected(transport, "/", "/custom")
    await client.send(SioPacket(SioType.DISCONNECT, "/custom"))
    return Verdict(actual=await answers(ctx, client, "/", "message to main namespace"))


@both(N, "multiplexed-namespaces", level=MAY, origin="SIO-4",
      desc="Connects / and /custom on one session, emits 'message' on /custom then on /",
      requirement="Each namespace answers on its own namespace, in order, over the one Engine.IO session.",
      quote="A client MAY be connected to multiple namespaces at the same time, with the same underlying "
            "WebSocket connection.")
async def multiplexed(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.connected(transport, "/", "/custom")
    first = await answers(ctx, client, "/custom", "to custom")
    second = await answers(ctx, client, "/", "to main")
    return Verdict(actual=f"{first}, {second}")


@both(G, "server-disconnect", level=STRICT, origin="SIO-5",
      desc="Connects / and /custom, emits 'disconnect-me' on /custom, then 'message' on /",
      requirement="The server sends DISCONNECT '1/custom,' for /custom only; / still answers.",
      quote="At any time, one side can end the connection to a namespace by sending a `DISCONNECT` packet:")
async def server_disconnect(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.connected(transport, "/", "/custom")
    await client.send(SioPacket(SioType.EVENT, "/custom", ["disconnect-me"]))
    got = await ctx.expect(client, "DISCONNECT /custom")
    if (got.type, got.nsp) != (SioType.DISCONNECT, "/custom"):
        raise CaseFailed(["DISCONNECT /custom"], str(got))
    return Verdict(actual=f"{got}, then {await answers(ctx, client, '/', 'still here')}")
