"""Handshake and query parameters: engine.io-protocol test-suite #1-#7, and the protocol version (EIO-5).

The suite's two WebSocket "invalid EIO / transport" tests (#6, #7) never awaited the close they waited
for, so they asserted nothing; here the target must refuse the opening handshake or close the WebSocket
before it sends an open packet. ``EIO=abc``, ``transport=abc`` and ``PUT`` (halves of #2-#4 that the README
does not cover) are a STRICT case of their own.
"""

from __future__ import annotations

from conformance.catalog.eio.context import EioContext
from conformance.model import MUST, STRICT, CaseFailed, Verdict, group
from conformance.wire.eio import OPEN_KEYS, OpenPacket
from conformance.wire.ws import WsClient

G = group("eio", "handshake", "Handshake")
Q = group("eio", "query-parameters", "HTTP long-polling: query parameters")
W = group("eio", "websocket", "WebSocket transport")

OPEN_MUST = ("If the server accepts the connection, then it MUST respond with an `open` packet with the "
             "following JSON-encoded payload:")
MISSING_400 = ("If a mandatory query parameter is missing, then the server MUST respond with an HTTP 400 "
               "error status.")
MISSING_WS = "If a mandatory query parameter is missing, then the server MUST close the WebSocket connection."


def judge_open(ctx: EioContext, opened: OpenPacket, transport: str) -> Verdict:
    """The open packet has the README's keys and types (checked by the codec) and what the profile says."""
    if wrong := ctx.promised(opened):
        raise CaseFailed(["the ping settings and maxPayload the profile names"], "; ".join(wrong))
    extra = [k for k in opened.keys if k not in OPEN_KEYS]
    notes = (f"extra keys: {extra}",) if extra else ()
    return Verdict(actual=f"{transport}: sid {opened.sid!r}, upgrades {list(opened.upgrades)}, pingInterval "
                          f"{opened.ping_interval}, pingTimeout {opened.ping_timeout}, maxPayload "
                          f"{opened.max_payload}", notes=notes)


@G.case("polling-open-packet", level=MUST, origin="eio-suite #1",
        desc="GET ?EIO=4&transport=polling",
        requirement="The server MUST answer 200 with an open packet: sid (string), upgrades (string list), "
                    "pingInterval, pingTimeout, maxPayload (numbers), equal to the profile's values if "
                    "given.",
        quote=OPEN_MUST)
async def polling_open_packet(ctx: EioContext) -> Verdict:
    return judge_open(ctx, await ctx.handshake(), "polling")


@G.case("websocket-open-packet", level=MUST, origin="eio-suite #5",
        desc="Opens a WebSocket on ?EIO=4&transport=websocket",
        requirement="The server MUST send an open packet as the first message, with the README's keys.",
        quote=OPEN_MUST)
async def websocket_open_packet(ctx: EioContext) -> Verdict:
    _, opened = await ctx.ws_session()
    return judge_open(ctx, opened, "websocket")


async def status_of(ctx: EioContext, method: str, resource: str) -> int:
    response, _ = await ctx.request(method, resource, timeout=5.0)
    return response.status


@Q.case("polling-missing-eio-400", level=MUST, origin="eio-suite #2",
        desc="GET ?transport=polling (no EIO)",
        requirement="The server MUST answer 400.", quote=MISSING_400)
async def polling_missing_eio(ctx: EioContext) -> Verdict:
    status = await status_of(ctx, "GET", ctx.resource(eio=None))
    if status != 400:
        raise CaseFailed(["400"], f"GET without EIO: {status}")
    return Verdict(actual="400")


@Q.case("polling-missing-transport-400", level=MUST, origin="eio-suite #3",
        desc="GET ?EIO=4 (no transport)",
        requirement="The server MUST answer 400.", quote=MISSING_400)
async def polling_missing_transport(ctx: EioContext) -> Verdict:
    status = await status_of(ctx, "GET", ctx.resource(transport=None))
    if status != 400:
        raise CaseFailed(["400"], f"GET without transport: {status}")
    return Verdict(actual="400")


@Q.case("post-without-sid-400", level=MUST, origin="eio-suite #4",
        desc="POST ?EIO=4&transport=polling (no sid: a handshake with the wrong method)",
        requirement="The server MUST answer 400: sid is mandatory once the session is established, and only "
                    "a GET opens one.",
        quote="If a mandatory query parameter is missing, then the server MUST respond with an HTTP 400 "
              "error status. ... The client MUST send the `sid` value in the query parameters of all "
              "subsequent requests.")
async def post_without_sid(ctx: EioContext) -> Verdict:
    response, _ = await ctx.post(None, b"4hello")
    if response.status != 400:
        raise CaseFailed(["400"], f"POST without sid: {response.status}")
    return Verdict(actual="400")


@Q.case("invalid-values-400", level=STRICT, origin="eio-suite #2-#4 (second halves)",
        desc="GET ?EIO=abc, GET ?transport=abc, PUT ?EIO=4&transport=polling",
        requirement="Each is answered 400, as the protocol's test suite expects (the README names only "
                    "missing parameters).",
        quote="| `EIO`       | `4`       | Mandatory, the version of the protocol.                       "
              "     |")
async def invalid_values(ctx: EioContext) -> Verdict:
    got = {"EIO=abc": await status_of(ctx, "GET", ctx.resource(eio="abc")),
           "transport=abc": await status_of(ctx, "GET", ctx.resource(transport="abc")),
           "PUT": await status_of(ctx, "PUT", ctx.resource())}
    if any(s != 400 for s in got.values()):
        raise CaseFailed(["400 for each"], ", ".join(f"{k}: {v}" for k, v in got.items()))
    return Verdict(actual="400 for each")


@Q.case("unsupported-version-400", level=STRICT, origin="EIO-5",
        desc="GET ?EIO=3&transport=polling (protocol v3)",
        requirement="The server answers 400 (the reference server's 'Unsupported protocol version'); the "
                    "README only says EIO is 4.",
        quote="| `EIO`       | `4`       | Mandatory, the version of the protocol.                       "
              "     |")
async def unsupported_version(ctx: EioContext) -> Verdict:
    response, body = await ctx.request("GET", ctx.resource(eio="3"), timeout=5.0)
    if response.status != 400:
        raise CaseFailed(["400"], f"EIO=3: {response.status} {body[:80]!r}")
    return Verdict(actual=f"400 {body[:80]!r}")


async def ws_refused(ctx: EioContext, ws: WsClient, refused: str) -> Verdict:
    """Passes when the handshake was refused, or the WebSocket closes with no open packet first."""
    if refused:
        return Verdict(actual=f"handshake refused: {refused}")
    first = await ctx.ws_next(ws, 2.0)
    if first is not None:
        raise CaseFailed(["the handshake refused, or the WebSocket closed"], f"sent {first} on the WebSocket")
    if not await ctx.ws_closed(ws, 2.0):
        raise CaseFailed(["the handshake refused, or the WebSocket closed"], "still open after 2 s")
    return Verdict(actual=f"101, then {ctx.ws_end(ws)}")


@W.case("missing-eio-closed", level=MUST, origin="eio-suite #6",
        desc="Opens a WebSocket on ?transport=websocket (no EIO)",
        requirement="The server MUST close the WebSocket (or refuse the handshake) without an open packet.",
        quote=MISSING_WS)
async def ws_missing_eio(ctx: EioContext) -> Verdict:
    ws, refused = await ctx.ws_connect(eio=None)
    return await ws_refused(ctx, ws, refused)


@W.case("missing-transport-closed", level=MUST, origin="eio-suite #7",
        desc="Opens a WebSocket on ?EIO=4 (no transport)",
        requirement="The server MUST close the WebSocket (or refuse the handshake) without an open packet.",
        quote=MISSING_WS)
async def ws_missing_transport(ctx: EioContext) -> Verdict:
    ws, refused = await ctx.ws_connect(transport=None)
    return await ws_refused(ctx, ws, refused)
