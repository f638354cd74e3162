"""RFC 6455 §4.1, the client's side of the opening handshake: its request, and the answers it must refuse.

A refused answer is followed by a text message: a client that echoes it took a connection that was never
established (:func:`~.judge.not_established`).
"""

from __future__ import annotations

import base64
import binascii

from conformance.catalog.wsclient import judge
from conformance.catalog.wsclient.context import ClientCase
from conformance.catalog.wsclient.peer import ServerSide
from conformance.model import MUST, Outcome, Verdict, group
from conformance.wire.wsframes import TEXT
from conformance.wire.wshandshake import accept_key
from conformance.wire.wsrecv import Message

OPENING = group("wsclient", "4.1", "Client Requirements")

QUOTE_FAIL = (
    "If the server's response does not conform to the requirements for the server's handshake as "
    "defined in this section and in Section 4.2.2, the client MUST _Fail the WebSocket Connection_."
)


@OPENING.case(
    "request-is-an-upgrade",
    level=MUST,
    desc="Reads the client's opening handshake request (then answers it correctly and echoes one message)",
    requirement="The request MUST be a GET of HTTP/1.1 or later with Host, Upgrade: websocket, Connection: "
    "Upgrade and Sec-WebSocket-Version: 13.",
    quote="The method of the request MUST be GET, and the HTTP version MUST be at least 1.1. ... The request "
    "MUST contain a |Host| header field ... The request MUST contain an |Upgrade| header field whose "
    'value MUST include the "websocket" keyword. ... The request MUST contain a |Connection| header '
    'field whose value MUST include the "Upgrade" token. ... The request MUST include a header field '
    "with the name |Sec-WebSocket-Version|. The value of this header field MUST be 13.",
)
async def request_is_an_upgrade(ctx: ClientCase) -> Verdict:
    side = await ctx.connect()
    req = await side.read_request()  # read as sent: a request that is no upgrade fails here, not errors
    problems = []
    if req.method != "GET":
        problems.append(f"method {req.method!r}")
    version = req.version.removeprefix("HTTP/")
    if not version.replace(".", "").isdigit() or tuple(int(p or 0) for p in version.split(".")[:2]) < (1, 1):
        problems.append(f"version {req.version!r}")
    if not (req.header("host") or "").strip():
        problems.append("no Host")
    if "websocket" not in req.tokens("upgrade"):
        problems.append(f"Upgrade {req.header('upgrade')!r}")
    if "upgrade" not in req.tokens("connection"):
        problems.append(f"Connection {req.header('connection')!r}")
    if (req.header("sec-websocket-version") or "").strip() != "13":
        problems.append(f"Sec-WebSocket-Version {req.header('sec-websocket-version')!r}")
    if problems:
        return _refuse(side, "a GET HTTP/1.1 upgrade request", "request: " + ", ".join(problems))
    side.answer()
    side.send(TEXT, b"Hello")
    return await judge.conversation(ctx, side, [Message(b"Hello")])


def _refuse(side: ServerSide, expected: str, actual: str) -> Verdict:
    """Answer a request that breaks §4.1 with 400 (RFC 6455 §4.2.1) and fail the case."""
    side.answer([("Content-Length", "0")], status="400 Bad Request")
    side.close_tcp()
    return Verdict(Outcome.FAILED, Outcome.PASSED, expected=(expected,), actual=actual)


@OPENING.case(
    "key-is-16-byte-nonce",
    level=MUST,
    desc="Reads the client's Sec-WebSocket-Key (then answers correctly and echoes one message)",
    requirement="Sec-WebSocket-Key MUST be 16 bytes base64-encoded (24 characters).",
    quote="The request MUST include a header field with the name |Sec-WebSocket-Key|. The value of this "
    "header "
    "field MUST be a nonce consisting of a randomly selected 16-byte value that has been base64-encoded "
    "(see Section 4 of [RFC4648]).",
)
async def key_is_16_byte_nonce(ctx: ClientCase) -> Verdict:
    side = await ctx.connect()
    await side.read_request()
    try:
        raw = base64.b64decode(side.key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16 or len(side.key) != 24:
        return _refuse(side, "a base64-encoded 16-byte key", f"Sec-WebSocket-Key {side.key[:60]!r}")
    side.answer()
    side.send(TEXT, b"Hello")
    return await judge.conversation(ctx, side, [Message(b"Hello")])


def _refused(
    slug: str,
    what: str,
    quote: str,
    headers: list[tuple[str, str]] | None = None,
    status: str = "101 Switching Protocols",
    *,
    section: str | None = None,
) -> None:
    @OPENING.case(
        slug,
        level=MUST,
        section=section,
        desc=f"Answers the opening handshake with {what}, then sends a text message",
        requirement="The client MUST fail the connection: close TCP without sending a data frame.",
        quote=quote,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.request()
        fields = side.accept_headers() if headers is None else headers
        side.answer([(n, v.replace("{accept}", accept_key(side.key))) for n, v in fields], status=status)
        return await judge.not_established(ctx, side)


_refused(
    "wrong-accept-key",
    "a Sec-WebSocket-Accept computed from another key",
    "If the response lacks a |Sec-WebSocket-Accept| header field or the |Sec-WebSocket-Accept| contains "
    "a value other than the base64-encoded SHA-1 of the concatenation of the |Sec-WebSocket-Key| (as a "
    'string, not base64-decoded) with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" but ignoring '
    "any leading and trailing whitespace, the client MUST _Fail the WebSocket Connection_.",
    [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key("dGhlIHNhbXBsZSBub25jZQ==")),
    ],
)
_refused(
    "missing-accept",
    "a 101 without Sec-WebSocket-Accept",
    "If the response lacks a |Sec-WebSocket-Accept| header field ... the client MUST _Fail the "
    "WebSocket Connection_.",
    [("Upgrade", "websocket"), ("Connection", "Upgrade")],
)
_refused(
    "missing-upgrade",
    "a 101 without an Upgrade header",
    "If the response lacks an |Upgrade| header field or the |Upgrade| header field contains a value "
    'that is not an ASCII case-insensitive match for the value "websocket", the client MUST _Fail the '
    "WebSocket Connection_.",
    [("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "{accept}")],
)
_refused(
    "wrong-upgrade",
    "a 101 with Upgrade: h2c",
    "If the response lacks an |Upgrade| header field or the |Upgrade| header field contains a value "
    'that is not an ASCII case-insensitive match for the value "websocket", the client MUST _Fail the '
    "WebSocket Connection_.",
    [("Upgrade", "h2c"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "{accept}")],
)
_refused(
    "missing-connection",
    "a 101 without a Connection header",
    "If the response lacks a |Connection| header field or the |Connection| header field doesn't contain "
    'a token that is an ASCII case-insensitive match for the value "Upgrade", the client MUST _Fail '
    "the WebSocket Connection_.",
    [("Upgrade", "websocket"), ("Sec-WebSocket-Accept", "{accept}")],
)
_refused(
    "status-200",
    "200 OK with an empty body (Content-Length: 0; otherwise the headers of a correct upgrade answer)",
    "If the status code received from the server is not 101, the client handles the response per HTTP "
    "[RFC2616] procedures. ... " + QUOTE_FAIL,
    # the body's length is given: without it the body would last until the server closes (RFC 9112 §6.3),
    # and a client reading it "per HTTP procedures" would rightly wait
    [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "{accept}"),
     ("Content-Length", "0")],
    status="200 OK",
)
_refused(
    "unrequested-extension",
    "a 101 agreeing to an extension the client did not offer",
    "If the response includes a |Sec-WebSocket-Extensions| header field and this header field indicates "
    "the use of an extension that was not present in the client's handshake (the server has indicated "
    "an extension not requested by the client), the client MUST _Fail the WebSocket Connection_.",
    [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", "{accept}"),
        ("Sec-WebSocket-Extensions", "x-rtconform-unrequested"),
    ],
)
_refused(
    "unrequested-subprotocol",
    "a 101 selecting a subprotocol the client did not offer",
    "If the response includes a |Sec-WebSocket-Protocol| header field and this header field indicates "
    "the use of a subprotocol that was not present in the client's handshake (the server has indicated "
    "a subprotocol not requested by the client), the client MUST _Fail the WebSocket Connection_.",
    [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", "{accept}"),
        ("Sec-WebSocket-Protocol", "x-rtconform-unrequested"),
    ],
)
