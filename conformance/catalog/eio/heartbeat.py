"""Heartbeat: engine.io-protocol test-suite #16-#19, and the measured ping period and time to close a
silent peer (EIO-6).

Every wait comes from the target's own open packet (pingInterval, pingTimeout), with :data:`SLACK` added
for load: the verdicts judge the target's timers, never the machine's speed. A target whose heartbeat is
longer than the case's time is skipped with the time it would need (raise ``--timeout``).
"""

from __future__ import annotations

import asyncio

from conformance.catalog.eio.context import SLACK, EioContext, packets_text
from conformance.model import SHOULD, STRICT, CaseFailed, Skip, Verdict, group
from conformance.wire.eio import OpenPacket, PacketType

G = group("eio", "heartbeat", "Heartbeat")

DESCRIBED = ("At a given interval (the `pingInterval` value sent in the handshake) the server sends a `ping` "
             "packet and the client has a few seconds (the `pingTimeout` value) to send a `pong` packet "
             "back.")
NO_PONG = ("If the server does not receive a `pong` packet back, then it SHOULD consider that the "
           "connection is closed.")
#: Pings a ping/pong case waits for (as the protocol's test suite).
ROUNDS = 3
#: A measured period passes between these fractions of pingInterval (plus SLACK above).
PERIOD_LOW, PERIOD_HIGH = 0.5, 1.5
#: A silent peer is closed within this many times pingInterval + pingTimeout (plus SLACK): by the end of
#: the heartbeat round after the missed pong at the latest (python-engineio closes a silent polling session
#: at twice pingInterval + pingTimeout: the ping waits in the buffer until the client polls).
CLOSE_HIGH = 2.0


def budget(ctx: EioContext, opened: OpenPacket, seconds: float) -> None:
    """Skip when the case has less than ``seconds`` left."""
    if seconds > ctx.left():
        raise Skip(f"pingInterval {opened.ping_interval} ms, pingTimeout {opened.ping_timeout} ms: the "
                   f"case needs "
                   f"{seconds:.0f} s and has {ctx.left():.0f} s (raise --timeout)")


@G.case("polling-ping-pong", level=STRICT, origin="eio-suite #16", timeout=100,
        desc="Three rounds on a polling session: GET, answer the ping with POST '3'",
        requirement="Each GET returns exactly one ping packet within pingInterval (+1 s), and each pong is "
                    "answered 200 (the README describes the heartbeat without a keyword).",
        quote=DESCRIBED)
async def polling_ping_pong(ctx: EioContext) -> Verdict:
    opened = await ctx.handshake()
    interval, _ = ctx.heartbeat(opened)
    budget(ctx, opened, ROUNDS * (interval + SLACK))
    for i in range(ROUNDS):
        packets = await ctx.packets(opened.sid, timeout=interval + SLACK)
        if [p.type for p in packets] != [PacketType.PING] or packets[0].data:
            raise CaseFailed(["one ping packet '2'"], f"GET {i + 1}: {packets_text(packets)}")
        response, body = await ctx.post(opened.sid, b"3")
        if response.status != 200:
            raise CaseFailed(["200 for the pong"], f"POST '3' {i + 1}: {response.status} {body[:40]!r}")
    return Verdict(actual=f"{ROUNDS} pings answered")


@G.case("polling-ping-timeout-closes", level=SHOULD, origin="eio-suite #17", timeout=100, exclusive=True,
        desc="Opens a polling session and stays silent (no GET, no pong) for pingInterval + pingTimeout",
        requirement="The server SHOULD close the session: GETs after the silence (none answered with a pong) "
                    "get 400 within twice pingInterval + pingTimeout (+1 s) of the handshake.",
        quote=NO_PONG)
async def polling_ping_timeout(ctx: EioContext) -> Verdict:
    opened = await ctx.handshake()
    loop = asyncio.get_running_loop()
    start = loop.time()
    interval, timeout = ctx.heartbeat(opened)
    limit = CLOSE_HIGH * (interval + timeout) + SLACK
    budget(ctx, opened, limit + SLACK)
    await asyncio.sleep(interval + timeout)  # the stimulus: a silent client
    seen: list[str] = []
    while (left := limit - (loop.time() - start)) > 0:
        response, body = await ctx.get(opened.sid, timeout=left)
        if response.status == 400:
            return Verdict(actual=f"400 after {loop.time() - start:.2f} s", notes=tuple(seen))
        seen.append(f"{response.status} {body[:20]!r}")
    raise CaseFailed([f"400 within {limit:.1f} s"], f"after {loop.time() - start:.2f} s: {', '.join(seen)}")


@G.case("websocket-ping-pong", level=STRICT, origin="eio-suite #18", timeout=100,
        desc="Three rounds on a WebSocket session: receive the ping, send '3'",
        requirement="A ping packet '2' comes within pingInterval (+1 s) each time (the README describes the "
                    "heartbeat without a keyword).",
        quote=DESCRIBED)
async def websocket_ping_pong(ctx: EioContext) -> Verdict:
    ws, opened = await ctx.ws_session()
    interval, _ = ctx.heartbeat(opened)
    budget(ctx, opened, ROUNDS * (interval + SLACK))
    for i in range(ROUNDS):
        packet = await ctx.ws_next(ws, interval + SLACK)
        if packet is None or packet.type is not PacketType.PING or packet.data:
            raise CaseFailed(["a ping packet '2'"], f"round {i + 1}: {packet or ctx.ws_end(ws)}")
        await ws.send_text("3")
    return Verdict(actual=f"{ROUNDS} pings answered")


@G.case("websocket-ping-timeout-closes", level=SHOULD, origin="eio-suite #19", timeout=100, exclusive=True,
        desc="Opens a WebSocket session and never answers a ping; measures the time to the close",
        requirement="The server SHOULD close the WebSocket after pingInterval + pingTimeout: not before half "
                    "the pingInterval, and not later than twice pingInterval + pingTimeout (+1 s).",
        quote=NO_PONG)
async def websocket_ping_timeout(ctx: EioContext) -> Verdict:
    ws, opened = await ctx.ws_session()
    loop = asyncio.get_running_loop()
    start = loop.time()
    interval, timeout = ctx.heartbeat(opened)
    limit = CLOSE_HIGH * (interval + timeout) + SLACK
    budget(ctx, opened, limit)
    closed = await ctx.ws_closed(ws, limit)
    took = loop.time() - start
    if not closed:
        raise CaseFailed([f"closed within {limit:.1f} s"], f"still open after {took:.2f} s")
    if took < PERIOD_LOW * interval:
        early = PERIOD_LOW * interval
        raise CaseFailed([f"closed after {interval + timeout:.1f} s (not before {early:.2f} s)"],
                         f"closed after {took:.2f} s, before a ping was due")
    due = interval + timeout
    return Verdict(actual=f"closed after {took:.2f} s (pingInterval + pingTimeout = {due:.2f} s)")


@G.case("ping-period", level=STRICT, origin="EIO-6", timeout=100, exclusive=True,
        desc="Answers three pings on a WebSocket session and measures the time between them",
        requirement="Each ping comes between half and 1.5 times the pingInterval (+1 s) after the open "
                    "packet "
                    "or the previous pong.",
        quote=DESCRIBED)
async def ping_period(ctx: EioContext) -> Verdict:
    ws, opened = await ctx.ws_session()
    interval, _ = ctx.heartbeat(opened)
    budget(ctx, opened, ROUNDS * (PERIOD_HIGH * interval + SLACK))
    loop = asyncio.get_running_loop()
    periods = []
    for i in range(ROUNDS):
        start = loop.time()
        packet = await ctx.ws_next(ws, PERIOD_HIGH * interval + SLACK)
        periods.append(loop.time() - start)
        if packet is None or packet.type is not PacketType.PING:
            raise CaseFailed(["a ping packet '2'"], f"round {i + 1}: {packet or ctx.ws_end(ws)}")
        await ws.send_text("3")
    shown = ", ".join(f"{p:.2f}" for p in periods)
    if not all(PERIOD_LOW * interval <= p <= PERIOD_HIGH * interval + SLACK for p in periods):
        raise CaseFailed([f"each period near pingInterval {interval:.2f} s"], f"periods {shown} s")
    return Verdict(actual=f"periods {shown} s (pingInterval {interval:.2f} s)")
