"""Autobahn 5.x (Fragmentation): fragmented control frames, interleaved pings, stray continuations.

RFC 6455 §5.4 (fragmentation) and §5.5 (control frames MUST NOT be fragmented). 5.19/5.20 replace
Autobahn's fixed 1 s pause by waiting for the first pong (at most 0.5 s): a pong that arrives while the
message is still incomplete is exactly what the pause is there to show.
"""

from __future__ import annotations

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.catalog.ws.verify import text
from conformance.model import MUST, Verdict, group
from conformance.wire.ws import Pong, WsClient
from conformance.wire.wsframes import CONT, PING, PONG, TEXT

FRAGMENTS = group("ws", "5.4", "Fragmentation")

QUOTE_CONTROL = "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be " \
                "fragmented."
QUOTE_MESSAGE = "A fragmented message consists of a single frame with the FIN bit clear and an opcode " \
                "other than 0, followed by zero or more frames with the FIN bit clear and the opcode set " \
                "to 0, and terminated by a single frame with the FIN bit set and an opcode of 0."
QUOTE_RECEIVE = "Clients and servers MUST support receiving both fragmented and unfragmented messages."
#: §5.4 defines the message structure; §10.7 makes checking it a MUST ("MAY drop the TCP connection" or,
#: after the handshake, "SHOULD send a Close frame with an appropriate status code")
QUOTE_STRAY = QUOTE_MESSAGE + " ... Incoming data MUST always be validated by both clients and servers."
QUOTE_INJECT = "Control frames (see Section 5.5) MAY be injected in the middle of a fragmented message. " \
               "... An endpoint MUST be capable of handling control frames in the middle of a fragmented " \
               "message."
QUOTE_ORDER = "The fragments of one message MUST NOT be interleaved between the fragments of another " \
              "message unless an extension has been negotiated that can interpret the interleaving."
CHOPS = {None: "", "frame": " (each frame one TCP write)", 1: " (one octet per TCP write)"}

Step = tuple[int, bytes, bool]  # opcode, payload, fin


def _fail_case(slug: str, autobahn: str, steps: list[Step], what: str, quote: str, *,
               chop: int | str | None = None, ok: tuple[str, ...] = ()) -> None:
    lax = " (failing before that echo is non-strict)" if ok else ""

    @FRAGMENTS.case(
        slug, level=MUST, autobahn=autobahn, section="5.5" if "control" in what else "5.4",
        desc=f"Sends {what}{CHOPS[chop]}",
        requirement="The server MUST fail the connection: close 1002 or TCP close"
                    + (f", after echoing {ok[0]!r}{lax}." if ok else "."),
        quote=quote,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await _steps.send_frames(ws, steps, chop)
        if ok:
            return await expect.fail(ws, 1002, ok=[text(s) for s in ok], non_strict=[])
        return await expect.fail(ws, 1002)


def _echo_case(slug: str, autobahn: str, steps: list[Step], what: str, expected: list[Pong | str], *,
               chop: int | str | None = None) -> None:
    @FRAGMENTS.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Sends {what}{CHOPS[chop]}",
        requirement="The server MUST " + ("answer the ping with a pong before echoing the whole message."
                                          if any(isinstance(e, Pong) for e in expected)
                                          else "reassemble the fragments and echo the whole message."),
        quote=QUOTE_INJECT if any(isinstance(e, Pong) for e in expected) else QUOTE_RECEIVE,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await _steps.send_frames(ws, steps, chop)
        return await expect.echo(ws, [e if isinstance(e, Pong) else text(e) for e in expected])


F1, F2, F3, F4, F5 = (f"fragment{i}".encode() for i in range(1, 6))
_fail_case("ping-fragmented", "5.1", [(PING, F1, False), (CONT, F2, True)],
           "a ping fragmented into 2 frames (a control frame)", QUOTE_CONTROL)
_fail_case("pong-fragmented", "5.2", [(PONG, F1, False), (CONT, F2, True)],
           "a pong fragmented into 2 frames (a control frame)", QUOTE_CONTROL)
TWO: list[Step] = [(TEXT, F1, False), (CONT, F2, True)]
_echo_case("text-2-fragments", "5.3", TWO, "a text message in 2 fragments", ["fragment1fragment2"])
_echo_case("text-2-fragments-frame-chops", "5.4", TWO, "a text message in 2 fragments",
           ["fragment1fragment2"], chop="frame")
_echo_case("text-2-fragments-octet-chops", "5.5", TWO, "a text message in 2 fragments",
           ["fragment1fragment2"], chop=1)
PING_IN: list[Step] = [(TEXT, F1, False), (PING, b"ping payload", True), (CONT, F2, True)]
PONG_MSG: list[Pong | str] = [Pong(b"ping payload"), "fragment1fragment2"]
_echo_case("ping-between-fragments", "5.6", PING_IN, "a text message in 2 fragments with a ping between them",
           PONG_MSG)
_echo_case("ping-between-fragments-frame-chops", "5.7", PING_IN,
           "a text message in 2 fragments with a ping between them", PONG_MSG, chop="frame")
_echo_case("ping-between-fragments-octet-chops", "5.8", PING_IN,
           "a text message in 2 fragments with a ping between them", PONG_MSG, chop=1)

HELLO = b"Hello, world!"
NC = b"non-continuation payload"
for _n, (_fin, _chop) in enumerate(((True, None), (True, "frame"), (True, 1), (False, None), (False, "frame"),
                                    (False, 1)), start=9):
    _flag = "fin" if _fin else "nofin"
    _chops = {None: "", "frame": "-frame-chops", 1: "-octet-chops"}[_chop]
    _fail_case(f"stray-cont-{_flag}-then-text{_chops}", f"5.{_n}", [(CONT, NC, _fin), (TEXT, HELLO, True)],
               f"a continuation frame with FIN={int(_fin)} when no message is in "
               "progress, then a text message", QUOTE_STRAY, chop=_chop)

_fail_case("stray-cont-after-message", "5.15",
           [(TEXT, F1, False), (CONT, F2, True), (CONT, F3, False), (TEXT, F4, True)],
           "a text message in 2 fragments, then a continuation frame (FIN=0) with nothing to continue, "
           "then a text message", QUOTE_STRAY, ok=("fragment1fragment2",))
_fail_case("stray-cont-nofin-twice", "5.16",
           [(CONT, F1, False), (TEXT, F2, False), (CONT, F3, True)] * 2,
           "twice: a continuation frame (FIN=0) with nothing to continue, then a text message in 2 fragments",
           QUOTE_STRAY)
_fail_case("stray-cont-fin-twice", "5.17",
           [(CONT, F1, True), (TEXT, F2, False), (CONT, F3, True)] * 2,
           "twice: a continuation frame (FIN=1) with nothing to continue, then a text message in 2 fragments",
           QUOTE_STRAY)
_fail_case("text-opcode-in-continuation", "5.18", [(TEXT, F1, False), (TEXT, F2, True)],
           "a text message in 2 fragments whose second frame has opcode text instead of continuation",
           QUOTE_ORDER)


def _five_fragments(slug: str, autobahn: str, frame_chops: bool) -> None:
    @FRAGMENTS.case(
        slug, level=MUST, autobahn=autobahn,
        desc="Sends fragments 1-2 of a text message and a ping, waits for the pong (at most 0.5 s), then "
             "fragments 3-4, a second ping and the final fragment 5"
             + (CHOPS["frame"] if frame_chops else ""),
        requirement="The server MUST answer each ping while the message is incomplete (pong 1, pong 2, then "
                    "the echo of the whole message).",
        quote=QUOTE_INJECT,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        chop = "frame" if frame_chops else None
        await _steps.send_frames(ws, [(TEXT, F1, False), (CONT, F2, False), (PING, b"pongme 1!", True)], chop)
        await ws.wait(lambda: bool(ws.events) or not ws.is_open, 0.5)
        await _steps.send_frames(ws, [(CONT, F3, False), (CONT, F4, False), (PING, b"pongme 2!", True),
                                      (CONT, F5, True)], chop)
        return await expect.echo(ws, [Pong(b"pongme 1!"), Pong(b"pongme 2!"),
                                      text("fragment1fragment2fragment3fragment4fragment5")])


_five_fragments("five-fragments-two-pings", "5.19", False)
_five_fragments("five-fragments-two-pings-frame-chops", "5.20", True)
