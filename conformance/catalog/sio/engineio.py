"""The Engine.IO half of the socket.io-protocol test suite (its tests #1-#16), on the Socket.IO path.

The first thirteen are the engine.io catalog's own cases run again here (the same stimulus, requirement and
level; their quotes are the engine.io-protocol README's): the Engine.IO steps of
:class:`~conformance.catalog.sio.context.SioContext` connect the main namespace after the open packet, so
the heartbeat and close cases are not cut short by the server's connect timeout. The three upgrade tests
end with a Socket.IO event over the upgraded WebSocket instead of the Engine.IO echo, which a Socket.IO
server does not have.
"""

from __future__ import annotations

import asyncio

from conformance.catalog.eio import closing, handshake, heartbeat
from conformance.catalog.eio.context import HEARTBEAT_ATTEMPTS, SLACK, answered_by_heartbeat, packets_text
from conformance.catalog.eio.upgrade import probed
from conformance.catalog.sio.context import SioContext, WsTransport
from conformance.model import MUST, STRICT, Case, CaseFailed, Group, Verdict, group
from conformance.wire.eio import OpenPacket, PacketType
from conformance.wire.sio import SioClient, SioPacket, SioType
from conformance.wire.ws import WsClient

H = group("sio", "engine-io", "Engine.IO protocol (the test suite's first half)")

#: (the engine.io case, its test in the socket.io-protocol suite)
PORTED: tuple[tuple[Group, str, int], ...] = (
    (handshake.G, "polling-open-packet", 1),
    (handshake.Q, "polling-missing-eio-400", 2),
    (handshake.Q, "polling-missing-transport-400", 3),
    (handshake.Q, "post-without-sid-400", 4),
    (handshake.G, "websocket-open-packet", 5),
    (handshake.W, "missing-eio-closed", 6),
    (handshake.W, "missing-transport-closed", 7),
    (heartbeat.G, "polling-ping-pong", 8),
    (heartbeat.G, "polling-ping-timeout-closes", 9),
    (heartbeat.G, "websocket-ping-pong", 10),
    (heartbeat.G, "websocket-ping-timeout-closes", 11),
    (closing.G, "polling-close-packet", 12),
    (closing.G, "websocket-close-packet", 13),
)


def port(source: Group, slug: str, number: int) -> None:
    """Declare the engine.io case ``slug`` of ``source`` again in :data:`H`, as sio-suite test ``number``."""
    (case,) = [c for c in source.cases if c.slug == slug]
    H.cases.append(Case(id=f"sio/{H.section}/{slug}", spec="sio", section=H.section, slug=slug,
                        level=case.level, desc=case.desc, requirement=case.requirement, quote=case.quote,
                        run=case.run, group_title=H.title, timeout=case.timeout, exclusive=case.exclusive,
                        origin=f"sio-suite #{number}"))


for _ported in PORTED:
    port(*_ported)
del _ported  # a Group left in the module's namespace would be collected as one of its groups

UPGRADE_MUST = ("The server MUST: ... send a `noop` packet to any pending `GET` request (if applicable) to "
                "cleanly close HTTP long-polling transport ... respond with a `pong` packet with the string "
                "`probe` in the payload")


async def event_round_trip(ctx: SioContext, ws: WsClient, opened: OpenPacket, before: str) -> Verdict:
    """The main namespace answers a ``message`` event with ``message-back`` on the upgraded WebSocket."""
    client = SioClient(WsTransport(ctx, ws, opened))
    await client.send(SioPacket(SioType.EVENT, "/", ["message", "upgraded"]))
    got = await ctx.receive(client)
    if got is None or (got.type, got.nsp, got.data) != (SioType.EVENT, "/", ["message-back", "upgraded"]):
        raise CaseFailed(["'42[\"message-back\",\"upgraded\"]' on the upgraded WebSocket"],
                         f"{before}; then {got or ctx.ws_end(ws)}")
    return Verdict(actual=f"{before}; the main namespace answers on the WebSocket")


@H.case("polling-to-websocket", level=MUST, origin="sio-suite #14", timeout=60,
        desc="Polling session (main namespace connected) with a pending GET; WebSocket with its sid, "
             "'2probe', '5', then an event",
        requirement="The server MUST answer '3probe' and the pending GET with a noop; after '5' the "
                    "namespace's events run on the WebSocket (the test suite stopped after '5').",
        quote=UPGRADE_MUST)
async def polling_to_websocket(ctx: SioContext) -> Verdict:
    loop = asyncio.get_running_loop()
    for _ in range(HEARTBEAT_ATTEMPTS):
        opened = await ctx.handshake()
        sid = opened.sid
        # a ping answering the pending GET before the probe arrives would take the noop's place: wait for
        # a ping and answer it first, so the probe has a whole pingInterval
        first = await ctx.packets(sid, timeout=opened.ping_interval / 1000 + SLACK)
        if PacketType.PING in [p.type for p in first]:
            await ctx.post(sid, b"3")
        pending = await ctx.start_get(sid)
        ws = await probed(ctx, sid, upgrade=False)
        # a loaded machine can still let the next ping answer the GET before '3probe' came: try again
        if not answered_by_heartbeat(pending, loop.time()):
            break
        ws.release()
    else:
        raise TimeoutError(f"the target's heartbeat (pingInterval {opened.ping_interval} ms) answered the "
                           f"pending GET before the probe, {HEARTBEAT_ATTEMPTS} sessions in a row")
    answer = await ctx.finish(pending, 3.0)
    if answer is None or answer[0].status != 200:
        raise CaseFailed(["the pending GET answered with a noop"],
                         "still held" if answer is None else str(answer[0].status))
    packets = ctx.payload("the pending GET", *answer)
    await ws.send_text("5")
    if PacketType.NOOP not in [p.type for p in packets]:
        raise CaseFailed(["the pending GET answered with a noop"], packets_text(packets))
    return await event_round_trip(ctx, ws, opened, "'3probe'; the pending GET got a noop")


@H.case("polling-refused-after-upgrade", level=STRICT, origin="sio-suite #15",
        desc="Upgrades a session to WebSocket ('2probe', '5'), then GETs it over polling",
        requirement="The GET is answered 400 and the namespace still answers on the WebSocket, as the test "
                    "suite expects (the engine.io README does not say what a poll after the upgrade gets).",
        quote="By default, the client SHOULD create an HTTP long-polling connection, and then upgrade to "
              "better transports if available.")
async def polling_after_upgrade(ctx: SioContext) -> Verdict:
    opened = await ctx.handshake()
    sid = opened.sid
    ws = await probed(ctx, sid)
    await asyncio.sleep(ctx.left(0.1))  # let '5' arrive before the GET (separate connections)
    response, body = await ctx.answering_pings(ws, ctx.get(sid, timeout=3.0))
    if response.status != 400:
        raise CaseFailed(["400 for the GET"], f"GET after the upgrade: {response.status} {body[:40]!r}")
    return await event_round_trip(ctx, ws, opened, "GET after the upgrade: 400")


@H.case("second-websocket-closed", level=MUST, origin="sio-suite #16",
        desc="Upgrades a session to WebSocket, then opens a second WebSocket with the same sid",
        requirement="The server MUST close the second WebSocket (or refuse its handshake); the first one "
                    "still carries the namespace's events.",
        quote="A client MUST NOT open more than one WebSocket connection per session. Should it happen, the "
              "server MUST close the WebSocket connection.")
async def second_websocket(ctx: SioContext) -> Verdict:
    opened = await ctx.handshake()
    sid = opened.sid
    ws = await probed(ctx, sid)
    await asyncio.sleep(ctx.left(0.1))  # let '5' arrive before the second WebSocket
    second, refused = await ctx.answering_pings(ws, ctx.ws_connect(sid=sid))
    if refused:
        before = f"second WebSocket refused: {refused}"
    else:
        if not await ctx.answering_pings(ws, ctx.ws_closed(second, 3.0, answer_pings=True)):
            raise CaseFailed(["the second WebSocket closed"], "still open after 3 s")
        before = f"second WebSocket: 101, then {ctx.ws_end(second)}"
    return await event_round_trip(ctx, ws, opened, before)
