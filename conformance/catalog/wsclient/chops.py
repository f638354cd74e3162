"""Autobahn 5.4-5.17 for clients: the fragmentation cases again with other TCP chopping (all frames in one
write, one write per frame, one octet per write) and stray continuation frames in every position.

How the bytes are cut into writes must not change what a client does (RFC 6455 §5.4: "an intermediary
might coalesce and/or split frames"); a stray continuation frame is a protocol error wherever it comes.
"""

from __future__ import annotations

from conformance.catalog.ws.ab05_fragmentation import QUOTE_INJECT, QUOTE_RECEIVE, QUOTE_STRAY
from conformance.catalog.wsclient import judge
from conformance.catalog.wsclient.context import ClientCase
from conformance.catalog.wsclient.peer import ServerSide
from conformance.model import MUST, Verdict, group
from conformance.wire.wsframes import CONT, PING, TEXT, frame
from conformance.wire.wsrecv import Message, Pong

CHOPPED = group("wsclient", "5.4", "Fragmentation")

Step = tuple[int, bytes, bool]  # opcode, payload, fin
#: how the frames are written: all in one write, one write per frame, one octet per write
CHOPS = {"one": "all frames in one TCP write", "frame": "one TCP write per frame",
         "octet": "one octet per TCP write"}


def send_chopped(side: ServerSide, steps: list[Step], chop: str) -> None:
    """Send ``steps`` as server frames, cut into writes as ``chop`` says."""
    if chop == "frame":
        for op, payload, fin in steps:
            side.send(op, payload, fin=fin)
        return
    raw = b"".join(frame(op, payload, fin=fin, mask=False) for op, payload, fin in steps)
    shown = ", ".join(f"{op:#x}{'' if fin else ' (fin=0)'} {payload!r}" for op, payload, fin in steps)
    if chop == "one":
        side.write(raw, f"frames in one write: {shown}")
        return
    for i in range(len(raw)):
        side.write(raw[i:i + 1], "" if i else f"frames one octet per write: {shown}")


def _valid(slug: str, autobahn: str, steps: list[Step], expected: list[Message | Pong], chop: str) -> None:
    ping = any(op == PING for op, _, _ in steps)

    @CHOPPED.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Sends a text message in 2 fragments{' with a ping between them' if ping else ''}, "
             f"{CHOPS[chop]}",
        requirement="The client MUST " + ("answer the ping and " if ping else "") + "receive the message "
                    "(it echoes it), however the bytes are cut.",
        quote=QUOTE_INJECT if ping else QUOTE_RECEIVE,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        send_chopped(side, steps, chop)
        return await judge.conversation(ctx, side, expected)


TWO: list[Step] = [(TEXT, b"fragment1", False), (CONT, b"fragment2", True)]
WITH_PING: list[Step] = [(TEXT, b"fragment1", False), (PING, b"ping payload", True),
                         (CONT, b"fragment2", True)]
WHOLE = Message(b"fragment1fragment2")

_valid("text-in-2-fragments-frame-writes", "5.4", TWO, [WHOLE], "frame")
_valid("text-in-2-fragments-octet-writes", "5.5", TWO, [WHOLE], "octet")
_valid("ping-between-fragments-frame-writes", "5.7", WITH_PING, [Pong(b"ping payload"), WHOLE], "frame")
_valid("ping-between-fragments-octet-writes", "5.8", WITH_PING, [Pong(b"ping payload"), WHOLE], "octet")


def _stray(slug: str, autobahn: str, steps: list[Step], what: str, chop: str) -> None:
    @CHOPPED.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Sends {what}, {CHOPS[chop]}",
        requirement="The client MUST fail the connection at the stray continuation frame (close 1002 or TCP "
                    "close), echoing nothing after it.",
        quote=QUOTE_STRAY,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.open()
        send_chopped(side, steps, chop)
        # 5.15: the message before the stray frame may be echoed (the client fails at the stray frame)
        before = [WHOLE] if steps[:2] == TWO else []
        return await judge.fails(ctx, side, before=before)


STRAY_FIN: list[Step] = [(CONT, b"fragment1", True), (TEXT, b"Hello", True)]
STRAY_MORE: list[Step] = [(CONT, b"fragment1", False), (TEXT, b"Hello", True)]
_stray("continuation-without-start-frame-writes", "5.10", STRAY_FIN,
       "a continuation frame (FIN set) with no message to continue, then a text message", "frame")
_stray("continuation-without-start-octet-writes", "5.11", STRAY_FIN,
       "a continuation frame (FIN set) with no message to continue, then a text message", "octet")
_stray("open-continuation-without-start", "5.12", STRAY_MORE,
       "a continuation frame (FIN clear) with no message to continue, then a text message", "one")
_stray("open-continuation-without-start-frames", "5.13", STRAY_MORE,
       "a continuation frame (FIN clear) with no message to continue, then a text message", "frame")
_stray("open-continuation-without-start-octets", "5.14", STRAY_MORE,
       "a continuation frame (FIN clear) with no message to continue, then a text message", "octet")
_stray("continuation-after-whole-message", "5.15",
       [*TWO, (CONT, b"fragment3", False), (TEXT, b"Hello", True)],
       "a text message in 2 fragments, then a continuation frame (FIN clear) with nothing to continue, then "
       "a text message", "one")
_stray("stray-continuation-then-fragments-twice", "5.16",
       [(CONT, b"fragment1", False), *TWO, (CONT, b"fragment1", False), *TWO],
       "twice: a continuation frame (FIN clear) with nothing to continue, then a text message in 2 "
       "fragments", "one")
_stray("stray-final-continuation-then-fragments", "5.17",
       [(CONT, b"fragment1", True), *TWO, (CONT, b"fragment1", True), *TWO],
       "twice: a continuation frame (FIN set) with nothing to continue, then a text message in 2 fragments",
       "one")
