"""The opening handshake (RFC 6455 §4.2, §4.4), which Autobahn never tests.

Each bad request changes or removes exactly one field of a valid request; the server must refuse it
with an HTTP error and must not switch protocols.
"""

from __future__ import annotations

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.model import MUST, STRICT, CaseFailed, Level, Skip, Verdict, group
from conformance.statustext import status_set
from conformance.wire.http import HttpResponse
from conformance.wire.ws import WsClient

READING = group("ws", "4.2.1", "Reading the Client's Opening Handshake")
SENDING = group("ws", "4.2.2", "Sending the Server's Opening Handshake")
VERSIONS = group("ws", "4.4", "Supporting Multiple Versions of WebSocket Protocol")

QUOTE_READ = "If the server, while reading the handshake, finds that the client did not send a handshake " \
             "that matches the description below ..., the server MUST stop processing the client's " \
             "handshake and return an HTTP response with an appropriate error code (such as 400 Bad " \
             "Request)."
#: RFC 6455 §4.2.1 asks for "A |Host| header field containing the server's authority"; what to answer
#: a request without a valid one is RFC 9112's rule.
QUOTE_HOST = "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message " \
             "that lacks a Host header field and to any request message that contains more than one Host " \
             "header field line or a Host header field with an invalid field value. (RFC 9112 §3.2)"
QUOTE_ACCEPT = "If the server chooses to accept the incoming connection, it MUST reply with a valid HTTP " \
               "response indicating the following. ... A |Sec-WebSocket-Accept| header field.  The " \
               "value of this header field is constructed by " \
               "concatenating /key/, defined above in step 4 in Section 4.2.2, with the string " \
               "\"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\", taking the SHA-1 hash of this concatenated value " \
               "to obtain a 20-byte value and base64-encoding (see Section 4 of [RFC4648]) this 20-byte hash."
QUOTE_VERSION = "If the server doesn't support the requested version, it MUST respond with a " \
                "|Sec-WebSocket-Version| header field (or multiple |Sec-WebSocket-Version| header fields) " \
                "containing all versions it is willing to use."
QUOTE_PROTOCOL = "The value chosen MUST be derived from the client's handshake, specifically by selecting " \
                 "one of the values from the |Sec-WebSocket-Protocol| field that the server is willing to " \
                 "use for this connection (if any)."


@SENDING.case(
    "valid-upgrade", level=MUST,
    desc="Sends a valid opening handshake (GET, Host, Upgrade, Connection, a fresh 16-byte key, version 13; "
         "the --subprotocol options, if any)",
    requirement="The server MUST answer 101 with Upgrade: websocket, Connection: Upgrade and the exact "
                "Sec-WebSocket-Accept for the key, and no subprotocol or extension nobody offered.",
    quote=QUOTE_ACCEPT,
)
async def valid_upgrade(ws: WsClient) -> Verdict:
    response = await _steps.opened(ws)
    chosen = response.header("sec-websocket-protocol")
    if response.header("sec-websocket-extensions") or (chosen and chosen not in ws.endpoint.subprotocols):
        raise CaseFailed(["101 with no extension and no subprotocol that was not offered"],
                         _steps.show_response(response))
    return await expect.echo(ws, [])


def _bad_request(slug: str, what: str, level: Level = MUST, quote: str = QUOTE_READ,
                 statuses: range | tuple[int, ...] = range(400, 500), **changes: object) -> None:
    shown = "status " + status_set(statuses)

    @READING.case(
        slug, level=level, desc=f"Sends an otherwise valid opening handshake {what}",
        requirement=f"The server MUST refuse the handshake with an HTTP error ({shown}), not 101.",
        quote=quote,
    )
    async def run(ws: WsClient) -> Verdict:
        raw, _ = _steps.request(ws, **changes)  # type: ignore[arg-type]
        return await _steps.rejected(ws, raw, statuses=statuses)


_bad_request("missing-host", "without a Host header", quote=QUOTE_HOST, host=None)
_bad_request("invalid-host", "with the invalid Host value 'bad host' (a space is not allowed)",
             quote=QUOTE_HOST, host="bad host")
_bad_request("missing-upgrade", "without an Upgrade header", upgrade=None)
_bad_request("upgrade-not-websocket", "with Upgrade: h2c instead of websocket", upgrade="h2c")
_bad_request("missing-connection", "without a Connection header", connection=None)
_bad_request("connection-without-upgrade", "with Connection: keep-alive (no Upgrade token)",
             connection="keep-alive")
_bad_request("missing-key", "without a Sec-WebSocket-Key header", key=None)
_bad_request("key-15-bytes", "with a Sec-WebSocket-Key that decodes to 15 bytes, not 16",
             key="AAECAwQFBgcICQoLDA0O")
_bad_request("key-not-base64", "with a Sec-WebSocket-Key that is not base64", key="not base64 at all!!")
_bad_request("method-post", "with method POST instead of GET", method="POST")
_bad_request("http-1-0", "as HTTP/1.0", statuses=(*range(400, 500), 505), http_version="HTTP/1.0")
_bad_request("missing-version", "without a Sec-WebSocket-Version header", version=None)


def _check_version_header(response: HttpResponse) -> None:
    offered = response.tokens("sec-websocket-version")
    if "13" not in offered:
        raise CaseFailed(["an http error with a sec-websocket-version header listing 13"],
                         _steps.show_response(response) + "; no sec-websocket-version header listing 13")


def _unsupported_version(slug: str, version: str, level: Level) -> None:
    exact = level is STRICT

    @VERSIONS.case(
        slug, level=level,
        desc=f"Sends an opening handshake with Sec-WebSocket-Version: {version}",
        requirement="Stricter than RFC 6455 (426 is the RFC's example, \"such as 426 Upgrade Required\"): "
                    "the server answers exactly 426 Upgrade Required (with Sec-WebSocket-Version)."
        if exact else "The server MUST refuse with an HTTP error (4xx) carrying a Sec-WebSocket-Version "
                      "header that lists the versions it supports (13).",
        quote="If this version does not match a version understood by the server, the server MUST abort the "
              "WebSocket handshake described in this section and instead send an appropriate HTTP error code "
              "(such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header field indicating the "
              "version(s) the server is capable of understanding." if exact else QUOTE_VERSION,
    )
    async def run(ws: WsClient) -> Verdict:
        raw, _ = _steps.request(ws, version=version)
        verdict = await _steps.rejected(ws, raw, statuses=(426,) if exact else range(400, 500))
        assert ws.response is not None
        _check_version_header(ws.response)
        return verdict


# 9 is reserved in the IANA WebSocket Version Number Registry and 14 unassigned; 8 (hybi-08) is not used:
# servers may still support it (npm ws, aiohttp do), which §4.4 allows
_unsupported_version("unsupported-version-9", "9", MUST)
_unsupported_version("unsupported-version-14", "14", MUST)
_unsupported_version("unsupported-version-426", "9", STRICT)


@SENDING.case(
    "no-subprotocol-when-none-offered", level=MUST,
    desc="Sends a valid opening handshake without Sec-WebSocket-Protocol",
    requirement="The server MUST NOT select a subprotocol (no Sec-WebSocket-Protocol in the 101).",
    quote=QUOTE_PROTOCOL,
)
async def no_subprotocol_when_none_offered(ws: WsClient) -> Verdict:
    try:
        response = await _steps.opened(ws, subprotocols=())
    except CaseFailed:
        if ws.endpoint.subprotocols:  # a server may refuse clients that offer none of its subprotocols
            raise Skip("the target refuses a handshake without its subprotocol (--subprotocol)") from None
        raise
    if response.header("sec-websocket-protocol") is not None:
        raise CaseFailed(["101 without sec-websocket-protocol"], _steps.show_response(response))
    return await expect.echo(ws, [])


@SENDING.case(
    "subprotocol-from-offered", level=MUST,
    desc="Offers the target's own subprotocols (--subprotocol) plus rtconform-a and rtconform-b",
    requirement="The server MUST select at most one subprotocol, and only one of those offered.",
    quote=QUOTE_PROTOCOL,
)
async def subprotocol_from_offered(ws: WsClient) -> Verdict:
    offered = (*ws.endpoint.subprotocols, "rtconform-a", "rtconform-b")
    response = await _steps.opened(ws, subprotocols=offered)
    chosen = response.header("sec-websocket-protocol")
    if chosen is not None and chosen.strip() not in offered:
        raise CaseFailed([f"101 without sec-websocket-protocol or with exactly one of {list(offered)}"],
                         _steps.show_response(response))
    return await expect.echo(ws, [])


@SENDING.case(
    "foreign-origin", level=STRICT, section="10.2",
    desc="Sends a valid opening handshake with Origin: http://rtconform.invalid",
    requirement="Informational (a measurement): the RFC's recommendation applies only to servers meant for "
                "certain sites, which the runner cannot know; whether the server refuses (403) is recorded.",
    quote="If the origin indicated is unacceptable to the server, then it SHOULD respond to the WebSocket "
          "handshake with a reply containing HTTP 403 Forbidden status code.",
)
async def foreign_origin(ws: WsClient) -> Verdict:
    raw, _ = _steps.request(ws, origin="http://rtconform.invalid")
    response = await ws.handshake(raw)
    if response is None:
        return Verdict.informational(f"no response: {ws.handshake_error}")
    if response.status == 101:
        await ws.close(1000)
        await ws.wait(lambda: ws.tcp_closed, ws.close_timeout)
    return Verdict.informational(_steps.show_response(response))
