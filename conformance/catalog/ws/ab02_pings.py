"""Autobahn 2.x (Pings/Pongs): pong payloads, unsolicited pongs, the 125-octet control frame limit.

RFC 6455 §5.5 (control frames), §5.5.2 (Ping), §5.5.3 (Pong). 2.10/2.11 are judged as the RFC allows:
a pong for only the most recent of several pings is conforming (informational), not a failure.
"""

from __future__ import annotations

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.model import MUST, STRICT, Verdict, group
from conformance.wire.ws import Pong, WsClient
from conformance.wire.wsframes import PING, PONG

PINGS = group("ws", "5.5.2", "Ping")

QUOTE_PONG = "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless it " \
             "already received a Close frame."
QUOTE_SAME = QUOTE_PONG + " ... A Pong frame sent in response to a Ping frame must have identical " \
             "\"Application data\" as found in the message body of the Ping frame being replied to."


@PINGS.case(
    "ping-empty", level=MUST, autobahn="2.1",
    desc="Sends a ping with an empty payload",
    requirement="The server MUST answer with a pong carrying the same (empty) payload.",
    quote=QUOTE_PONG,
)
async def ping_empty(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.ping(b"")  # 0x89 0x80 <mask>: FIN=1 op=PING, MASK=1 len=0
    return await expect.echo(ws, [Pong(b"")])


def _ping_case(slug: str, autobahn: str, payload: bytes, what: str, chop: int | None = None) -> None:
    how = " written one octet per TCP write" if chop else ""

    @PINGS.case(
        slug, level=MUST, autobahn=autobahn, section="5.5.3",
        desc=f"Sends a ping with {what}{how}",
        requirement="The server MUST answer with a pong carrying the identical payload.",
        quote=QUOTE_SAME,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await ws.ping(payload, chop=chop, pause=_steps.CHOP_PAUSE if chop else 0.0)  # 0x89 len <mask> <data>
        return await expect.echo(ws, [Pong(payload)])


_ping_case("ping-text-payload", "2.2", b"Hello, world!", "a 13-octet text payload")
_ping_case("ping-binary-payload", "2.3", b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", "an 8-octet binary payload")
_ping_case("ping-125-bytes", "2.4", b"\xfe" * 125, "a 125-octet payload (the largest allowed)")

CONTROL = group("ws", "5.5", "Control Frames")


@CONTROL.case(
    "ping-126-bytes", level=MUST, autobahn="2.5",
    desc="Sends a ping with a 126-byte payload (over the 125-byte limit for control frames)",
    requirement="The server MUST fail the connection: close 1002 or TCP close, and send no pong.",
    quote="All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented.",
)
async def ping_126_bytes(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(PING, b"\xfe" * 126)  # 0x89 0xFE 0x00 0x7E <mask>: op=PING, 16-bit len=126
    return await expect.fail(ws, 1002)


_ping_case("ping-125-bytes-octet-chops", "2.6", b"\xfe" * 125, "a 125-octet payload", chop=1)

PONGS = group("ws", "5.5.3", "Pong")

QUOTE_UNSOLICITED = "A Pong frame MAY be sent unsolicited.  This serves as a unidirectional heartbeat.  A " \
                    "response to an unsolicited Pong frame is not expected."


@PONGS.case(
    "unsolicited-pong-empty", level=STRICT, autobahn="2.7",
    desc="Sends an unsolicited pong with an empty payload, then closes with 1000",
    requirement="Stricter than RFC 6455 (Autobahn's expectation; \"not expected\" is descriptive and a pong "
                "MAY be sent unsolicited): the server does not answer the pong, and answers the close.",
    quote=QUOTE_UNSOLICITED,
)
async def unsolicited_pong_empty(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(PONG, b"")  # 0x8A 0x80 <mask>: FIN=1 op=PONG, len=0
    return await expect.echo(ws, [])


@PONGS.case(
    "unsolicited-pong-payload", level=STRICT, autobahn="2.8",
    desc="Sends an unsolicited pong with a 24-octet payload, then closes with 1000",
    requirement="Stricter than RFC 6455 (Autobahn's expectation; \"not expected\" is descriptive and a pong "
                "MAY be sent unsolicited): the server does not answer the pong, and answers the close.",
    quote=QUOTE_UNSOLICITED,
)
async def unsolicited_pong_payload(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(PONG, b"unsolicited pong payload")  # 0x8A 0x98 <mask>: op=PONG, len=24
    return await expect.echo(ws, [])


@PONGS.case(
    "unsolicited-pong-then-ping", level=MUST, autobahn="2.9",
    desc="Sends an unsolicited pong, then a ping with a payload",
    requirement="The server MUST answer the ping with a pong carrying its payload; a pong answering the "
                "unsolicited pong first is non-strict (a pong MAY be sent unsolicited; Autobahn fails it).",
    quote=QUOTE_PONG + " ... " + QUOTE_UNSOLICITED,
)
async def unsolicited_pong_then_ping(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_frame(PONG, b"unsolicited pong payload")
    await ws.ping(b"ping payload")
    await ws.wait(lambda: Pong(b"ping payload") in ws.events or not ws.is_open, ws.close_timeout)
    return await expect.conversation(ws, [Pong(b"ping payload")], timeout=_steps.QUIET_WAIT,
                                     non_strict=[Pong(b"unsolicited pong payload"), Pong(b"ping payload")])


QUOTE_RECENT = "If an endpoint receives a Ping frame and has not yet sent Pong frame(s) in response to " \
               "previous Ping frame(s), the endpoint MAY elect to send a Pong frame for only the most " \
               "recently processed Ping frame."


def _ten_pings(slug: str, autobahn: str, chop: int | None) -> None:
    how = ", every octet in its own TCP write" if chop else ""

    @PONGS.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Sends 10 pings with payloads payload-0 ... payload-9 back to back{how}",
        requirement="The server MUST answer the last ping with a pong carrying its payload; pongs for the "
                    "earlier pings are optional (all 10: passed; an ordered subset ending with the last: "
                    "informational).",
        quote=QUOTE_PONG + " ... " + QUOTE_RECENT,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        payloads = [f"payload-{i}".encode() for i in range(10)]
        await _steps.send_frames(ws, [(PING, p, True) for p in payloads], chop)
        return await _steps.pongs_for_pings(ws, payloads)


_ten_pings("ten-pings", "2.10", None)
_ten_pings("ten-pings-octet-chops", "2.11", 1)
