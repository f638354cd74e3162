"""Upgrade from polling to WebSocket: engine.io-protocol test-suite #22-#24.

#22 follows the README: the noop goes to the GET that is pending when the probe arrives (the test suite sent
a new GET after the probe). The probe is answered before ``5`` is sent, as a client does (the test suite
sent ``2probe`` and ``5`` back to back in #23 and #24).
"""

from __future__ import annotations

import asyncio

from conformance.catalog.eio.context import (
    HEARTBEAT_ATTEMPTS,
    EioContext,
    answered_by_heartbeat,
    packets_text,
)
from conformance.model import MUST, STRICT, CaseFailed, Verdict, group
from conformance.wire.eio import Packet, PacketType
from conformance.wire.ws import WsClient

G = group("eio", "upgrade", "Upgrade")
W = group("eio", "websocket", "WebSocket transport")

PROBE = Packet(PacketType.PONG, "probe")
HELLO = Packet(PacketType.MESSAGE, "hello")


async def probed(ctx: EioContext, sid: str, *, upgrade: bool = True) -> WsClient:
    """A WebSocket on the session ``sid``, ``2probe`` answered by ``3probe``, then (``upgrade``) ``5`` "
    "sent."""
    ws, refused = await ctx.ws_connect(sid=sid)
    if refused:
        raise CaseFailed(["101 for the upgrade"], refused)
    await ws.send_text("2probe")
    answer = await ctx.ws_next(ws, 5.0)
    if answer != PROBE:
        raise CaseFailed(["'3probe'"], f"{answer or ctx.ws_end(ws)}")
    if upgrade:
        await ws.send_text("5")
    return ws


async def still_echoes(ctx: EioContext, ws: WsClient, before: str) -> Verdict:
    await ws.send_text("4hello")
    got = await ctx.ws_message(ws, 5.0)
    if got != HELLO:
        raise CaseFailed(["'4hello' echoed on the upgraded WebSocket"],
                         f"{before}; then {got or ctx.ws_end(ws)}")
    return Verdict(actual=f"{before}; '4hello' echoed on the WebSocket")


@G.case("polling-to-websocket", level=MUST, origin="eio-suite #22",
        desc="Polling session with a pending GET; WebSocket with its sid, '2probe', then '5' and '4hello'",
        requirement="The server MUST answer '3probe' and answer the pending GET with a noop packet; "
                    "after '5' "
                    "the session runs on the WebSocket (the testee echoes '4hello' there).",
        quote="The server MUST: ... send a `noop` packet to any pending `GET` request (if applicable) to "
              "cleanly "
              "close HTTP long-polling transport ... respond with a `pong` packet with the string "
              "`probe` in the "
              "payload")
async def polling_to_websocket(ctx: EioContext) -> Verdict:
    loop = asyncio.get_running_loop()
    for _ in range(HEARTBEAT_ATTEMPTS):
        opened = await ctx.handshake()
        pending = await ctx.start_get(opened.sid)
        ws = await probed(ctx, opened.sid, upgrade=False)
        # a ping that answered the GET before '3probe' came: no GET was pending when the probe arrived
        if not answered_by_heartbeat(pending, loop.time()):
            break
        ws.release()
    else:
        raise TimeoutError(f"the target's heartbeat (pingInterval {opened.ping_interval} ms) answered the "
                           f"pending GET before the probe, {HEARTBEAT_ATTEMPTS} sessions in a row")
    answer = await ctx.finish(pending, 3.0)  # a client pauses polling: it waits for this answer before '5'
    await ws.send_text("5")
    if answer is None or answer[0].status != 200:
        shown = "still held" if answer is None else f"{answer[0].status}"
        raise CaseFailed(["the pending GET answered with a noop"], shown)
    packets = ctx.payload("the pending GET", *answer)
    if PacketType.NOOP not in [p.type for p in packets]:
        raise CaseFailed(["the pending GET answered with a noop"], packets_text(packets))
    return await still_echoes(ctx, ws, f"'3probe'; the pending GET got {packets_text(packets)}")


@G.case("polling-refused-after-upgrade", level=STRICT, origin="eio-suite #23",
        desc="Upgrades a session to WebSocket ('2probe', '5'), then GETs it over polling",
        requirement="The GET is answered 400 and the WebSocket still echoes, as the protocol's test suite "
                    "expects (the README does not say what a poll after the upgrade gets).",
        quote="By default, the client SHOULD create an HTTP long-polling connection, and then upgrade to "
              "better "
              "transports if available.")
async def polling_after_upgrade(ctx: EioContext) -> Verdict:
    sid = (await ctx.handshake()).sid
    ws = await probed(ctx, sid)
    await ws.wait(lambda: False, ctx.left(0.1))  # let '5' arrive before the GET (separate connections)
    response, body = await ctx.answering_pings(ws, ctx.get(sid, timeout=3.0))
    if response.status != 400:
        raise CaseFailed(["400 for the GET"], f"GET after the upgrade: {response.status} {body[:40]!r}")
    return await still_echoes(ctx, ws, "GET after the upgrade: 400")


@W.case("second-websocket-closed", level=MUST, origin="eio-suite #24", section="websocket",
        desc="Upgrades a session to WebSocket, then opens a second WebSocket with the same sid",
        requirement="The server MUST close the second WebSocket (or refuse its handshake); the first still "
                    "echoes.",
        quote="A client MUST NOT open more than one WebSocket connection per session. Should it happen, the "
              "server MUST close the WebSocket connection.")
async def second_websocket(ctx: EioContext) -> Verdict:
    sid = (await ctx.handshake()).sid
    ws = await probed(ctx, sid)
    await ws.wait(lambda: False, ctx.left(0.1))  # let '5' arrive before the second WebSocket
    second, refused = await ctx.answering_pings(ws, ctx.ws_connect(sid=sid))
    if refused:
        before = f"second WebSocket refused: {refused}"
    else:
        if not await ctx.answering_pings(ws, ctx.ws_closed(second, 3.0, answer_pings=True)):
            raise CaseFailed(["the second WebSocket closed"], "still open after 3 s")
        before = f"second WebSocket: 101, then {ctx.ws_end(second)}"
    return await still_echoes(ctx, ws, before)
