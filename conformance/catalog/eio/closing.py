"""The close packet: engine.io-protocol test-suite #20 and #21 (the README gives the close packet's use
without a keyword, so both are STRICT)."""

from __future__ import annotations

from conformance.catalog.eio.context import EioContext
from conformance.model import STRICT, CaseFailed, Verdict, group
from conformance.wire.eio import PacketType, decode_payload

G = group("eio", "protocol", "Close packet")

QUOTE = "| close   | 1   | Used to indicate that a transport can be closed. |"


@G.case("polling-close-packet", level=STRICT, origin="eio-suite #20",
        desc="A held GET, then POST '1' (close) to the session, then another GET",
        requirement="The held GET is answered (the reference server sends a noop) and the session is "
                    "closed: the "
                    "later GET gets 400.",
        quote=QUOTE)
async def polling_close(ctx: EioContext) -> Verdict:
    sid = (await ctx.handshake()).sid
    held = await ctx.start_get(sid)
    response, _ = await ctx.post(sid, b"1")
    answer = await ctx.finish(held, 3.0)
    after, _ = await ctx.get(sid)
    shown = "still held" if answer is None else f"{answer[0].status} {answer[1][:20]!r}"
    actual = f"POST '1': {response.status}; held GET: {shown}; later GET: {after.status}"
    if answer is None or answer[0].status != 200 or after.status != 400:
        raise CaseFailed(["the held GET answered 200, the later GET 400"], actual)
    try:
        types = [p.type for p in decode_payload(answer[1])]
    except ValueError:
        raise CaseFailed(["a payload in the held GET's answer"], actual) from None
    if not set(types) <= {PacketType.NOOP, PacketType.CLOSE, PacketType.PING}:
        raise CaseFailed(["noop or close in the held GET's answer"], actual)
    return Verdict(actual=actual)


@G.case("websocket-close-packet", level=STRICT, origin="eio-suite #21",
        desc="Sends '1' (close) on a WebSocket session",
        requirement="The server closes the WebSocket.", quote=QUOTE)
async def websocket_close(ctx: EioContext) -> Verdict:
    ws, _ = await ctx.ws_session()
    await ws.send_text("1")
    if not await ctx.ws_closed(ws, 3.0, answer_pings=True):
        raise CaseFailed(["the WebSocket closed"], "still open after 3 s")
    return Verdict(actual=ctx.ws_end(ws))
