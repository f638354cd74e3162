"""maxPayload (npm ``maxHttpBufferSize``) enforced on Socket.IO packets (issue 13's gap list).

The limit is the one the target declares with ``--profile max-payload=BYTES`` (the Engine.IO open packet's
``maxPayload``); without it the cases are skipped. A Socket.IO EVENT whose Engine.IO message (``4`` and the
Socket.IO packet text, so the whole polling body) is exactly that size is served; one a byte longer is
refused. Neither README requires a reaction (the engine.io one only tells the client to respect the value),
so the cases are STRICT; the reactions taken are the npm server's and the testee contract's: a WebSocket
message over the limit ends the session (close 1009), a POST over it is answered 413 (or the session
closed), and the event is never handed to the namespace.
"""

from __future__ import annotations

import json

from conformance.catalog.sio.context import PollingTransport, SioContext
from conformance.catalog.sio.matrix import both
from conformance.model import STRICT, CaseFailed, Skip, Verdict, group
from conformance.wire.eio import Packet, PacketType
from conformance.wire.sio import SioClient, SioPacket, SioType

F = group("sio", "packet-encoding", "Packet encoding")

MAX_PAYLOAD = ("The client SHOULD use the `maxPayload` value sent during the handshake to decide how many "
               "packets should be concatenated.")  # engine.io-protocol README
#: The largest declared limit the cases send (each sends about that much, and gets it echoed).
LARGEST = 16 * 2**20
PREFIX = '2["message","'
SUFFIX = '"]'


def sized_event(size: int) -> str:
    """An EVENT ``message`` ["xxx..."] on ``/`` whose Engine.IO message (with its ``4``) is ``size`` bytes."""
    fill = size - 1 - len(PREFIX) - len(SUFFIX)
    return PREFIX + "x" * fill + SUFFIX


def limit_or_skip(ctx: SioContext) -> int:
    """The declared limit.

    Raises:
        Skip: none declared, or one outside 100 bytes .. :data:`LARGEST`.
    """
    limit = ctx.number("max-payload")
    if limit is None:
        raise Skip("no --profile max-payload=BYTES: the target's limit is not declared")
    if not 100 <= limit <= LARGEST:
        raise Skip(f"max-payload {limit:g} is outside the 100..{LARGEST} bytes this case sends")
    return int(limit)


@both(F, "max-payload-at-limit-served", level=STRICT, origin="issue 13 (maxHttpBufferSize)", timeout=15,
      desc="Sends an EVENT 'message' whose Engine.IO message is exactly --profile max-payload bytes",
      requirement="The testee answers 'message-back' with the same argument: a packet at the declared limit "
                  "is served (engine.io-protocol README: maxPayload is what the client may send).",
      quote=MAX_PAYLOAD)
async def at_limit(ctx: SioContext, transport: str) -> Verdict:
    limit = limit_or_skip(ctx)
    client = await ctx.connected(transport)
    text = sized_event(limit)
    await client.send_raw(text)
    got = await ctx.expect(client, f"EVENT 'message-back' ({limit} bytes sent)")
    want = ["message-back", json.loads(text[1:])[1]]
    if got.type is not SioType.EVENT or got.nsp != "/" or got.data != want:
        raise CaseFailed([f"EVENT 'message-back' with the {limit}-byte message's argument"], str(got))
    return Verdict(actual=f"{limit} bytes: 'message-back' with the same argument")


async def post_over(ctx: SioContext, transport: PollingTransport, text: str) -> str | None:
    """POST ``text`` as one message: what the target answered, or None when it did not answer in 5 s.

    Raises:
        CaseFailed: it answered 200.
    """
    body = b"4" + text.encode()
    ex = await ctx.exchange("POST", ctx.resource(sid=transport.sid), body=body, wait_head=False,
                            headers=(("Content-Type", "text/plain;charset=UTF-8"), ("Connection", "close")))
    try:
        await ex.wait_done(ctx.left(5.0))
    finally:
        ex.close()
    if ex.response is None:
        return f"{len(body)} bytes: the connection closed without an answer" if ex.closed else None
    if ex.response.status == 200:
        raise CaseFailed(["413 (or another 4xx), or the connection closed"], f"{len(body)} bytes: 200 "
                         f"{ex.body[:20]!r}")
    return f"{len(body)} bytes: {ex.response.status}"


async def not_delivered(ctx: SioContext, client: SioClient) -> str | None:
    """If the session goes on: an echo of a small message comes back, and no 'message-back' before it
    (None); else how the session ended.

    Raises:
        CaseFailed: a 'message-back' of the oversized event came first.
    """
    await client.send(SioPacket(SioType.EVENT, "/", ["message", "small"]))
    got = await ctx.receive(client, 3.0)
    if got is None:
        return ctx.state(client)
    if got.type is not SioType.EVENT or got.data != ["message-back", "small"]:
        raise CaseFailed(["the oversized event not handed to the namespace"], f"then {got}")
    return None


@both(F, "max-payload-over-limit-refused", level=STRICT, origin="issue 13 (maxHttpBufferSize)", timeout=15,
      desc="Sends an EVENT 'message' whose Engine.IO message is --profile max-payload + 1 bytes",
      requirement="The target refuses it: over WebSocket the session ends (npm: close 1009); over polling "
                  "the POST is not answered 200 (npm: 413), or gets no answer while the session is ended, "
                  "and the event never reaches the namespace.",
      quote=MAX_PAYLOAD)
async def over_limit(ctx: SioContext, transport: str) -> Verdict:
    limit = limit_or_skip(ctx)
    client = await ctx.connected(transport)
    text = sized_event(limit + 1)
    sio_transport = ctx.transport(client)
    if isinstance(sio_transport, PollingTransport):
        answer = await post_over(ctx, sio_transport, text)
        ended = await not_delivered(ctx, client)
        if answer is None and ended is None:
            raise CaseFailed(["413 (or another 4xx), the connection closed, or the session ended"],
                             f"{limit + 1} bytes: no answer to the POST in 5 s, and the session goes on")
        after = ended or "the session goes on; the oversized event was not handed to the namespace"
        return Verdict(actual=f"{answer or f'{limit + 1} bytes: no answer to the POST in 5 s'}; {after}")
    await sio_transport.send([Packet(PacketType.MESSAGE, text)])
    if not await ctx.closed(client):
        raise CaseFailed(["the session ended"], f"{limit + 1} bytes: after 3 s {ctx.state(client)}")
    return Verdict(actual=f"{limit + 1} bytes: {ctx.state(client)}")
