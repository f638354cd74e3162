"""Example cases showing the case API (Autobahn 1.1.1, 2.1, 2.5, 3.1). See docs/writing-cases.md."""

from __future__ import annotations

from conformance import expect
from conformance.expect import text
from conformance.model import MUST, Verdict, group
from conformance.wire.ws import Pong, WsClient
from conformance.wire.wsframes import PING, TEXT

DATA = group("ws", "5.6", "Data Frames")


@DATA.case(
    "echo-text-empty", level=MUST, autobahn="1.1.1",
    desc="Sends a text message with an empty payload, then closes with 1000",
    requirement="The echo server MUST send the same (empty) text message back and answer the close.",
    quote="Text: The \"Payload data\" is text data encoded as UTF-8.",
)
async def echo_text_empty(ws: WsClient) -> Verdict:
    await ws.open()
    await ws.send_frame(TEXT, b"")  # 0x81 0x80 <mask>: FIN=1 op=TEXT, MASK=1 len=0
    return await expect.echo(ws, [text("")])


PINGS = group("ws", "5.5.2", "Ping")


@PINGS.case(
    "ping-empty", level=MUST, autobahn="2.1",
    desc="Sends a ping with an empty payload",
    requirement="The server MUST answer with a pong carrying the same (empty) payload.",
    quote="Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless it "
          "already received a Close frame.",
)
async def ping_empty(ws: WsClient) -> Verdict:
    await ws.open()
    await ws.ping(b"")  # 0x89 0x80 <mask>: FIN=1 op=PING, MASK=1 len=0
    return await expect.echo(ws, [Pong(b"")])


CONTROL = group("ws", "5.5", "Control Frames")


@CONTROL.case(
    "ping-126-bytes", level=MUST, autobahn="2.5",
    desc="Sends a ping with a 126-byte payload (over the 125-byte limit for control frames)",
    requirement="The server MUST fail the connection: close 1002 or TCP close, and send no pong.",
    quote="All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented.",
)
async def ping_126_bytes(ws: WsClient) -> Verdict:
    await ws.open()
    await ws.send_frame(PING, b"\xfe" * 126)  # 0x89 0xFE 0x00 0x7E <mask>: op=PING, 16-bit len=126
    return await expect.fail(ws, 1002)


FRAMING = group("ws", "5.2", "Base Framing Protocol")


@FRAMING.case(
    "rsv1-without-extension", level=MUST, autobahn="3.1",
    desc="Sends a text frame with RSV1 set; no extension was negotiated",
    requirement="The server MUST fail the connection: close 1002 or TCP close.",
    quote="If a nonzero value is received and none of the negotiated extensions defines the meaning of "
          "such a nonzero value, the receiving endpoint MUST _Fail the WebSocket Connection_.",
)
async def rsv1_without_extension(ws: WsClient) -> Verdict:
    await ws.open()
    await ws.send_frame(TEXT, b"Hello, world!", rsv1=True)  # 0xC1 0x8D: FIN=1 RSV1=1 op=TEXT, MASK=1 len=13
    return await expect.fail(ws, 1002)
