"""Messages over both transports: engine.io-protocol test-suite #8-#15, and the gaps EIO-1 (unknown sid),
EIO-2 (a second concurrent POST), EIO-3 (maxPayload), EIO-4 (binary Content-Type) and EIO-7 (a held GET).

The testee echoes every message (the protocol test suite's server). Pings the target sends meanwhile are
answered and left out of the comparison. The duplicate-GET case (#12) wants 400 for the second GET, as the
README says; the test suite also accepted 500.
"""

from __future__ import annotations

import asyncio
import secrets

from conformance.catalog.eio.context import (
    HEARTBEAT_ATTEMPTS,
    EioContext,
    answered_by_heartbeat,
    packets_text,
)
from conformance.model import MAY, MUST, SHOULD, STRICT, CaseFailed, Verdict, group
from conformance.wire.eio import Packet, PacketType, decode_payload

S = group("eio", "sending-data", "HTTP long-polling: sending data")
R = group("eio", "receiving-data", "HTTP long-polling: receiving data")
E = group("eio", "packet-encoding", "Packet encoding")
H = group("eio", "headers", "HTTP long-polling: headers")
M = group("eio", "message", "Messages over WebSocket")

UNKNOWN_SID = ("The server MUST return an HTTP 400 response if the session ID (from the `sid` query "
               "parameter) "
               "is not known.")
HELLO = Packet(PacketType.MESSAGE, "hello")
BYTES = Packet(PacketType.MESSAGE, b"\x01\x02\x03\x04")
#: How long a second request waits after the first one was sent, so the target has read the first.
OVERLAP = 0.1


async def posted(ctx: EioContext, sid: str, body: bytes) -> None:
    """POST ``body``; CaseFailed unless 200 (its body is ``post-ok-then-echo``'s subject, not checked "
    "here)."""
    response, answer = await ctx.post(sid, body)
    if response.status != 200:
        raise CaseFailed(["200"], f"POST: {response.status} {answer[:80]!r}")


def expect_messages(got: list[Packet], want: list[Packet], gets: int) -> Verdict:
    if got != want:
        raise CaseFailed([f"the echo {packets_text(want)}"], f"{packets_text(got)} in {gets} GET(s)")
    return Verdict(actual=f"{packets_text(got)} in {gets} GET(s)")


@S.case("post-ok-then-echo", level=MUST, origin="eio-suite #8",
        desc="POST '4hello' to a new session, then GET",
        requirement="The POST MUST be answered 200 'ok'; the GET returns the testee's echo '4hello'.",
        quote="To indicate success, the server MUST return an HTTP 200 response, with the string `ok` in the "
              "response body.")
async def post_ok_then_echo(ctx: EioContext) -> Verdict:
    sid = (await ctx.handshake()).sid
    response, body = await ctx.post(sid, b"4hello")
    if (response.status, body) != (200, b"ok"):
        raise CaseFailed(["200 'ok'"], f"POST: {response.status} {body[:80]!r}")
    got, gets = await ctx.messages(sid, 1)
    return expect_messages(got, [HELLO], gets)


@R.case("batched-echo", level=SHOULD, origin="eio-suite #9",
        desc="POST '4test1\\x1e4test2\\x1e4test3', then one GET",
        requirement="The server SHOULD send the three buffered echoes in one payload, separated by \\x1e.",
        quote="Once there are some packets to be sent, the server SHOULD encode them ... and send them "
              "in the "
              "response body of the HTTP request.")
async def batched_echo(ctx: EioContext) -> Verdict:
    sid = (await ctx.handshake()).sid
    want = [Packet(PacketType.MESSAGE, f"test{i}") for i in (1, 2, 3)]
    await posted(ctx, sid, b"4test1\x1e4test2\x1e4test3")
    packets = [p for p in await ctx.packets(sid) if p.type is not PacketType.PING]
    return expect_messages(packets, want, 1)


@E.case("binary-base64-polling", level=MUST, origin="eio-suite #10",
        desc="POST '4hello\\x1ebAQIDBA==' (text, then bytes 01 02 03 04), then GET",
        requirement="The echo of the binary packet MUST come back base64-encoded after a 'b'.",
        quote="Binary payloads MUST be base64-encoded and prefixed with a `b` character:")
async def binary_base64_polling(ctx: EioContext) -> Verdict:
    sid = (await ctx.handshake()).sid
    await posted(ctx, sid, b"4hello\x1ebAQIDBA==")
    got, gets = await ctx.messages(sid, 2)
    return expect_messages(got, [HELLO, BYTES], gets)


@E.case("invalid-packet-closes", level=STRICT, origin="eio-suite #11",
        desc="POST 'abc' (no packet type) to a session, then GET",
        requirement="The session is closed: the GET after it gets 400, as the protocol's test suite expects "
                    "(its check of the POST's own answer could not fail; the README says nothing of invalid "
                    "packets).",
        quote="Here is the list of available packet types:")
async def invalid_packet_closes(ctx: EioContext) -> Verdict:
    sid = (await ctx.handshake()).sid
    try:
        response, _ = await ctx.post(sid, b"abc")
        first = str(response.status)
    except CaseFailed:  # no response: the connection was cut
        first = "connection cut"
    response, _ = await ctx.get(sid)
    if response.status != 400:
        raise CaseFailed(["the session closed: the GET answered 400"], f"POST 'abc': {first}; GET: "
                          f"{response.status}")
    return Verdict(actual=f"POST: {first}; GET: 400")


@R.case("duplicate-get-400", level=MUST, origin="eio-suite #12",
        desc="Two overlapping GETs of one session, then a third GET",
        requirement="The second GET MUST be answered 400 and the session closed (the third GET: 400).",
        quote="To ensure packet ordering, a client MUST NOT have more than one active `GET` request. "
              "Should it "
              "happen, the server MUST return an HTTP 400 error status and close the session.")
async def duplicate_get(ctx: EioContext) -> Verdict:
    loop = asyncio.get_running_loop()
    for _ in range(HEARTBEAT_ATTEMPTS):
        opened = await ctx.handshake()
        sid = opened.sid
        held = await ctx.start_get(sid)
        await asyncio.sleep(ctx.left(OVERLAP))  # the first GET must be read before the second one comes
        if answered_by_heartbeat(held, loop.time()):
            continue  # a ping answered the first GET: a second one would not overlap it
        second, _ = await ctx.get(sid)
        # a ping answering the first GET while the second was on its way: the server saw no overlap
        if second.status == 400 or not answered_by_heartbeat(held, loop.time()):
            break
    else:
        raise TimeoutError(f"the target's heartbeat (pingInterval {opened.ping_interval} ms) answered the "
                           f"first GET before a second one met it, {HEARTBEAT_ATTEMPTS} sessions in a row")
    first = await ctx.finish(held, 3.0)
    shown = "held" if first is None else f"{first[0].status} {first[1][:20]!r}"
    third, _ = await ctx.get(sid)
    actual = f"first: {shown}; second: {second.status}; third: {third.status}"
    if second.status != 400 or third.status != 400:
        raise CaseFailed(["second 400, third 400"], actual)
    return Verdict(actual=actual)


@S.case("duplicate-post-400", level=MUST, origin="EIO-2",
        desc="A POST whose body is not complete yet, a second POST of the session, then a GET",
        requirement="The second POST MUST be answered 400 and the session closed (the GET: 400).",
        quote="To ensure packet ordering, a client MUST NOT have more than one active `POST` request. Should "
              "it happen, the server MUST return an HTTP 400 error status and close the session.")
async def duplicate_post(ctx: EioContext) -> Verdict:
    sid = (await ctx.handshake()).sid
    slow = await ctx.unfinished_post(sid, b"4hello", 2)
    await asyncio.sleep(ctx.left(OVERLAP))  # headers read, body still missing: this POST is active
    second, _ = await ctx.post(sid, b"4two")
    slow.close()
    third, _ = await ctx.get(sid)
    actual = f"second POST: {second.status}; GET: {third.status}"
    if second.status != 400 or third.status != 400:
        raise CaseFailed(["second POST 400, GET 400"], actual)
    return Verdict(actual=actual)


@S.case("unknown-sid-post-400", level=MUST, origin="EIO-1",
        desc="POST '4hello' with a sid no session has",
        requirement="The server MUST answer 400.", quote=UNKNOWN_SID)
async def unknown_sid_post(ctx: EioContext) -> Verdict:
    response, _ = await ctx.post(secrets.token_urlsafe(15), b"4hello")
    if response.status != 400:
        raise CaseFailed(["400"], f"POST: {response.status}")
    return Verdict(actual="400")


@R.case("unknown-sid-get-400", level=MUST, origin="EIO-1",
        desc="GET with a sid no session has", requirement="The server MUST answer 400.",
        quote=UNKNOWN_SID)
async def unknown_sid_get(ctx: EioContext) -> Verdict:
    response, _ = await ctx.get(secrets.token_urlsafe(15))
    if response.status != 400:
        raise CaseFailed(["400"], f"GET: {response.status}")
    return Verdict(actual="400")


@R.case("get-held", level=MAY, origin="EIO-7", exclusive=True,
        desc="GET a new session with nothing buffered",
        requirement="The server may hold the GET until it has packets (a long poll) instead of answering an "
                    "empty or no-op payload at once; it is held at least half the pingInterval (at most 1 s) "
                    "or until a packet.",
        quote="The server MAY not respond right away if there are no packets buffered for the given session.")
async def get_held(ctx: EioContext) -> Verdict:
    opened = await ctx.handshake()
    loop = asyncio.get_running_loop()
    start = loop.time()
    packets = await ctx.packets(opened.sid, timeout=ctx.heartbeat(opened)[0] + 2.0)
    held = loop.time() - start
    if held < min(1.0, opened.ping_interval / 2000) and not any(
            p.type in (PacketType.MESSAGE, PacketType.PING, PacketType.CLOSE) for p in packets):
        raise CaseFailed(["the GET held until a packet"], f"answered {packets_text(packets)} after "
                          f"{held:.2f} s")
    return Verdict(actual=f"held {held:.2f} s, then {packets_text(packets)}")


@S.case("max-payload-enforced", level=STRICT, origin="EIO-3", timeout=15,
        desc="POST a message one byte longer than the open packet's maxPayload",
        requirement="The server refuses it (4xx, or the connection closed) instead of answering 'ok'; the "
                    "README only says the client uses maxPayload to batch.",
        quote="The client SHOULD use the `maxPayload` value sent during the [handshake](#handshake) to "
              "decide "
              "how many packets should be concatenated.")
async def max_payload_enforced(ctx: EioContext) -> Verdict:
    opened = await ctx.handshake()
    if opened.max_payload > 16 * 2**20:
        return Verdict.informational(f"maxPayload {opened.max_payload}: larger than the 16 MiB this case "
                                     f"sends")
    body = b"4" + b"x" * opened.max_payload
    ex = await ctx.exchange("POST", ctx.resource(sid=opened.sid), body=body, wait_head=False,
                            headers=(("Content-Type", "text/plain;charset=UTF-8"), ("Connection", "close")))
    await ex.wait_done(ctx.left(5.0))
    if ex.response is None:
        if not ex.closed:
            raise CaseFailed(["4xx, or the connection closed"], f"{len(body)} bytes: no answer in 5 s")
        return Verdict(actual=f"{len(body)} bytes: the connection closed without an answer")
    if ex.response.status == 200:
        raise CaseFailed(["4xx, or the connection closed"], f"{len(body)} bytes: 200 {ex.body[:20]!r}")
    return Verdict(actual=f"{len(body)} bytes: {ex.response.status}")


@H.case("binary-content-type", level=STRICT, origin="EIO-4",
        desc="POST 'bAQIDBA==' with Content-Type application/octet-stream, then without a Content-Type",
        requirement="Recorded only: v4 always base64-encodes binary on polling, so whether a server "
                    "honours the "
                    "header is left open by the README.",
        quote="When sending binary data, the sender (client or server) MUST include a `Content-Type: "
              "application/octet-stream` header.")
async def binary_content_type(ctx: EioContext) -> Verdict:
    seen = []
    for label, headers in (("octet-stream", (("Content-Type", "application/octet-stream"),)), ("none", ())):
        sid = (await ctx.handshake()).sid
        response, body = await ctx.request("POST", ctx.resource(sid=sid), body=b"bAQIDBA==", headers=headers,
                                           timeout=5.0)
        echo = ""
        if response.status == 200:
            answer, raw = await ctx.get(sid, timeout=3.0)
            echo = f", echo {packets_text(decode_payload(raw))}" if answer.status == 200 else ""
        seen.append(f"{label}: {response.status} {body[:20]!r}{echo}")
    return Verdict.informational("; ".join(seen))


@M.case("websocket-text-echo", level=STRICT, origin="eio-suite #13",
        desc="Sends '4hello' on a WebSocket session",
        requirement="The testee echoes '4hello' in its own frame (the README describes messages; it "
                    "states no "
                    "requirement).",
        quote="Each packet (read or write) is sent its own [WebSocket frame]")
async def websocket_text_echo(ctx: EioContext) -> Verdict:
    ws, _ = await ctx.ws_session()
    await ws.send_text("4hello")
    got = await ctx.ws_message(ws, 5.0)
    if got != HELLO:
        raise CaseFailed(["'4hello'"], f"{got if got else 'no message'} ({ctx.ws_end(ws)})")
    return Verdict(actual="'4hello'")


@M.case("websocket-binary-echo", level=STRICT, origin="eio-suite #14",
        desc="Sends a binary frame 01 02 03 04 on a WebSocket session",
        requirement="The testee echoes the same bytes in a binary frame, unprefixed.",
        quote="Binary payloads are sent as is, without modification.")
async def websocket_binary_echo(ctx: EioContext) -> Verdict:
    ws, _ = await ctx.ws_session()
    await ws.send_binary(b"\x01\x02\x03\x04")
    got = await ctx.ws_message(ws, 5.0)
    if got != BYTES:
        raise CaseFailed(["a binary frame 01 02 03 04"], f"{got if got else 'no message'} ({ctx.ws_end(ws)})")
    return Verdict(actual="binary 01 02 03 04")


@M.case("websocket-invalid-packet-closes", level=STRICT, origin="eio-suite #15",
        desc="Sends 'abc' (no packet type) on a WebSocket session",
        requirement="The server closes the WebSocket, as the protocol's test suite expects (the README says "
                    "nothing of invalid packets).",
        quote="Here is the list of available packet types:")
async def websocket_invalid_packet(ctx: EioContext) -> Verdict:
    ws, _ = await ctx.ws_session()
    await ws.send_text("abc")
    if not await ctx.ws_closed(ws, 3.0, answer_pings=True):
        raise CaseFailed(["the WebSocket closed"], "still open after 3 s")
    return Verdict(actual=ctx.ws_end(ws))
