"""RFC 7692 (permessage-deflate) for clients: compressed echoes (Autobahn 12.x and 13.x, a subset), the
server's context takeover, and the extension responses a client must refuse.

Every case needs a client that offers permessage-deflate; one that does not is skipped with that reason
(the extension is optional). The echo cases accept the client's first valid offer with the parameters of
the Autobahn case (Autobahn's client mode: the server's acceptance asks the client for
``client_no_context_takeover`` and ``client_max_window_bits``), add what the offer makes the server answer
(``server_no_context_takeover``, ``server_max_window_bits``), and send slices of the server catalog's
corpora compressed, each after the previous echo (:data:`~conformance.catalog.ws.ab12_13_compression`'s
default message counts: at most 16 messages, about 16 KiB per case). The client's echoes are inflated with
the agreed client parameters (:mod:`.peer`): a client that ignores ``client_no_context_takeover`` or
``client_max_window_bits`` sends echoes that do not inflate.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.catalog.ws._deflate import QUOTE_AGREED
from conformance.catalog.ws.ab12_13_compression import CASE_BYTES, MAX_COUNT, MIN_COUNT
from conformance.catalog.ws.compression import REPEATED
from conformance.catalog.ws.compression_corpus import CORPORA, MSG_SIZES, Corpus
from conformance.catalog.wsclient import judge
from conformance.catalog.wsclient.context import ClientCase
from conformance.catalog.wsclient.peer import Closed, ServerSide
from conformance.model import MUST, Group, Outcome, Skip, Verdict, group
from conformance.wire import deflate
from conformance.wire.wsframes import BINARY, TEXT
from conformance.wire.wsrecv import CloseFrame, Message, Ping

PAYLOADS = group("wsclient", "rfc7692-5", "WebSocket Compression (different payloads)")
PARAMETERS = group("wsclient", "rfc7692-7.1", "WebSocket Compression (different parameters)")
WINDOW = group("wsclient", "rfc7692-7.2", "Compression and decompression")
REFUSED = group("wsclient", "rfc7692-7", "The \"permessage-deflate\" Extension: responses to refuse")

QUOTE_CLIENT_FAILS = ("A client MUST _Fail the WebSocket Connection_ if the peer server accepted an "
                      "extension negotiation offer for this extension with an extension negotiation "
                      "response meeting any of the following conditions: ")
QUOTE_CLIENT_WINDOW = ('If the "agreed parameters" contain the "server_no_context_takeover" extension '
                       "parameter, the client MAY decompress each new message with an empty LZ77 sliding "
                       "window.  Otherwise, the client MUST decompress each new message using the LZ77 "
                       "sliding window used to process the last compressed message.")

#: seconds one echo may take (within the case's deadline)
ECHO_WAIT = 10.0


def offers(side: ServerSide) -> list[dict[str, str | None]]:
    """The client's permessage-deflate offers with valid parameters (RFC 7692 §7: an offer with an unknown,
    duplicated or invalid parameter is one a server must decline), in the client's order.

    Raises:
        Skip: the client offers no valid permessage-deflate (the extension is optional).
    """
    assert side.request is not None
    header = side.request.header("sec-websocket-extensions") or ""
    try:
        elements = deflate.parse_extensions(header)
    except ValueError:
        elements = []
    valid = []
    for name, params in elements:
        if name.lower() != deflate.EXTENSION:
            continue
        seen: dict[str, str | None] = {}
        for name_, value in params:
            key = name_.lower()
            if key not in deflate.PARAMS or key in seen:
                break
            if key.endswith("context_takeover") and value is not None:
                break
            if key.endswith("window_bits") and value is not None and value not in map(str, range(8, 16)):
                break
            if key == "server_max_window_bits" and value is None:
                break
            seen[key] = value
        else:
            valid.append(seen)
    if not valid:
        side.answer([("Content-Length", "0")], status="400 Bad Request")
        side.close_tcp()
        raise Skip(f"the client offers no permessage-deflate (Sec-WebSocket-Extensions: {header[:80]!r})")
    return valid


def _client_bits(offer: dict[str, str | None], bits: int | None) -> str | None:
    """``client_max_window_bits=bits`` for a response to ``offer``, None when the case asks for none.

    Raises:
        Skip: the case needs it and the offer does not allow it (RFC 7692 §7.1.2.2: the response "MUST NOT
            include" it then).
    """
    if bits is None:
        return None
    if "client_max_window_bits" not in offer:
        raise Skip("the case answers with client_max_window_bits, which the client's offer does not include")
    limit = offer["client_max_window_bits"]
    return str(min(bits, int(limit)) if limit else bits)


def accept(side: ServerSide, *, cnct: bool = False, client_bits: int | None = None) -> deflate.Agreement:
    """Answer the client's first valid offer with a 101 accepting permessage-deflate with the case's client
    parameters and what the offer requires of the server; set the connection's codec. Returns the agreed
    parameters (as a client sees them)."""
    offer = offers(side)[0]
    params = []
    if cnct:
        params.append("client_no_context_takeover")
    bits = _client_bits(offer, client_bits)
    if bits is not None:
        params.append(f"client_max_window_bits={bits}")
    # §7.1.1.1: accepting an offer with server_no_context_takeover, the server "MUST include" it
    if "server_no_context_takeover" in offer:
        params.append("server_no_context_takeover")
    if offer.get("server_max_window_bits"):  # §7.1.2.1: "the same or smaller value as the offer"
        params.append(f"server_max_window_bits={offer['server_max_window_bits']}")
    response = "; ".join([deflate.EXTENSION, *params])
    agreement = deflate.Agreement(
        server_no_context_takeover="server_no_context_takeover" in offer,
        client_no_context_takeover=cnct,
        server_max_window_bits=int(offer.get("server_max_window_bits") or 15),
        client_max_window_bits=int(bits or 15),
        response=response,
    )
    side.answer([*side.accept_headers(), ("Sec-WebSocket-Extensions", response)])
    # the runner is the server: it compresses with the server's parameters and inflates with the client's
    side.deflate = deflate.PerMessageDeflate(deflate.Agreement(
        server_no_context_takeover=agreement.client_no_context_takeover,
        client_no_context_takeover=agreement.server_no_context_takeover,
        server_max_window_bits=agreement.client_max_window_bits,
        client_max_window_bits=agreement.server_max_window_bits,
        response=response,
    ))
    return agreement


async def echo_series(ctx: ClientCase, side: ServerSide, messages: Callable[[], bytes], count: int, *,
                      binary: bool, fragment: int = 0) -> Verdict:
    """Send ``count`` messages compressed, each after the previous echo; every echo must carry the same
    type and content (inflated with the agreed client parameters) with no RFC 7692 §6 deviation; then the
    server closes with 1000 and the client must answer with a close frame."""
    expected = (f"{count} echoes with the same type and content (compressed or not), then "
                f"{judge.ANSWER_CLOSE}",)
    for n in range(count):
        data = messages()
        sent = Message(data, binary)
        side.send_compressed(BINARY if binary else TEXT, data, fragment)
        end = side.window(ECHO_WAIT)
        ev = await side.event_by(end)
        while isinstance(ev, Ping):
            ev = await side.event_by(end)
        problem = ""
        if ev is None:
            problem = f"no echo of message {n + 1} within {ECHO_WAIT:g}s"
        elif isinstance(ev, (CloseFrame, Closed)):
            problem = f"{ev if isinstance(ev, Closed) else f'close {ev.code}'} instead of echo {n + 1}"
        elif ev != sent or side.deviations:
            problem = f"echo {n + 1} differs: sent {sent}, got {ev}"
        if problem:
            side.close_tcp()
            return Verdict(Outcome.FAILED, Outcome.FAILED, expected=expected, close_detail="FAILED",
                           actual="; ".join([problem, *side.deviations[:3]]))
    close, word, how, code = await judge.server_closes(side, ctx)
    behavior = Outcome.FAILED if side.deviations else Outcome.PASSED
    return Verdict(behavior, close, expected=expected, close_detail=word, remote_close_code=code,
                   actual="; ".join([f"{count} echoes", *side.deviations[:3], how]))


def message_count(size: int) -> int:
    """The server catalog's default count: about :data:`CASE_BYTES` bytes of ``size``-byte messages."""
    return max(MIN_COUNT, min(MAX_COUNT, CASE_BYTES // size))


def _echo_case(grp: Group, autobahn: str, slug: str, corpus: Corpus, what: str, *, size: int, fragment: int,
               cnct: bool = False, client_bits: int | None = None) -> None:
    kind = "binary" if corpus.binary else "text"
    count = message_count(size)
    frames = f" in {fragment}-byte frames" if fragment else ""

    @grp.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Accepts the client's permessage-deflate offer {what}; sends {count} {size}-byte {kind} "
             f"messages{frames} (slices of the {corpus.name} corpus) compressed, each after the previous "
             "echo",
        requirement="Under the agreed permessage-deflate the client MUST echo every message with the same "
                    "type and content (its compressed echoes inflated with the agreed client parameters; "
                    "RSV1 on first frames only), then answer the server's close. A client that offers no "
                    "permessage-deflate is skipped.",
        quote=QUOTE_AGREED,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.request()
        accept(side, cnct=cnct, client_bits=client_bits)
        ring = corpus.ring()
        return await echo_series(ctx, side, lambda: ring.next(size), count, binary=corpus.binary,
                                 fragment=fragment)


#: the Autobahn sizes of the subset: x.1 (16 bytes, unfragmented) and x.11 (8192 bytes in 256-byte frames)
SUBSET = (1, 11)


def _slug(prefix: str, index: int) -> str:
    size, fragment = MSG_SIZES[index - 1]
    return f"{prefix}-{size}-bytes" + (f"-frag-{fragment}" if fragment else "")


for _j, _corpus in enumerate(CORPORA, start=1):
    for _i in SUBSET:
        _echo_case(PAYLOADS, f"12.{_j}.{_i}", _slug(_corpus.name, _i), _corpus, "with no parameter",
                   size=MSG_SIZES[_i - 1][0], fragment=MSG_SIZES[_i - 1][1])

#: 13.1-13.7: what the server asks of the client (client_no_context_takeover, client_max_window_bits)
CLIENT_PARAMETERS: tuple[tuple[str, bool, int | None], ...] = (
    ("default", False, None),
    ("cnct", True, None),
    ("cmwb-9", False, 9),
    ("cmwb-15", False, 15),
    ("cnct-cmwb-9", True, 9),
    ("cnct-cmwb-15", True, 15),
)

for _j, (_name, _cnct, _bits) in enumerate(CLIENT_PARAMETERS, start=1):
    _asked = [*(["client_no_context_takeover"] if _cnct else []),
              *([f"client_max_window_bits={_bits}"] if _bits else [])]
    for _i in SUBSET:
        _echo_case(PARAMETERS, f"13.{_j}.{_i}", _slug(_name, _i), CORPORA[0],
                   f"with {' and '.join(_asked)}" if _asked else "with no parameter",
                   size=MSG_SIZES[_i - 1][0], fragment=MSG_SIZES[_i - 1][1], cnct=_cnct, client_bits=_bits)


def _three_offers(slug: str, index: int) -> None:
    """13.7: Autobahn's three parameter sets in order of preference; the first the client's offer allows."""
    size, fragment = MSG_SIZES[index - 1]
    count = message_count(size)

    @PARAMETERS.case(
        slug, level=MUST, autobahn=f"13.7.{index}",
        desc="Accepts the client's permessage-deflate offer with the first of client_no_context_takeover and "
             "client_max_window_bits=9, client_no_context_takeover, no parameter that the offer allows; "
             f"sends {count} {size}-byte text messages{f' in {fragment}-byte frames' if fragment else ''} "
             "(slices of the json corpus) compressed, each after the previous echo",
        requirement="Under the agreed permessage-deflate the client MUST echo every message with the same "
                    "type and content, then answer the server's close. A client that offers no "
                    "permessage-deflate is skipped.",
        quote=QUOTE_AGREED,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.request()
        bits = 9 if "client_max_window_bits" in offers(side)[0] else None
        accept(side, cnct=True, client_bits=bits)
        ring = CORPORA[0].ring()
        return await echo_series(ctx, side, lambda: ring.next(size), count, binary=False, fragment=fragment)


for _i in SUBSET:
    _three_offers(_slug("three-offers", _i), _i)


@WINDOW.case(
    "server-context-takeover", level=MUST,
    desc="Accepts permessage-deflate (server context takeover unless the client offered "
         "server_no_context_takeover); sends the same 2 KiB text twice compressed, the second referring back "
         "to the first",
    requirement="The client MUST inflate the second message with the window of the first (it echoes both "
                "unchanged). A client that offers server_no_context_takeover or no permessage-deflate is "
                "skipped.",
    quote=QUOTE_CLIENT_WINDOW,
)
async def server_context_takeover(ctx: ClientCase) -> Verdict:
    side = await ctx.request()
    if "server_no_context_takeover" in offers(side)[0]:
        raise Skip("the client offers server_no_context_takeover: the server must not take over its window")
    accept(side)
    return await echo_series(ctx, side, lambda: REPEATED, 2, binary=False)


def _refused(slug: str, what: str, condition: str, params: str, *, unoffered: str | None = None) -> None:
    @REFUSED.case(
        slug, level=MUST,
        desc=f"Answers the client's permessage-deflate offer with a 101 accepting it with {what} "
             f"('{deflate.EXTENSION}; {params}'), then sends a text message",
        requirement="The client MUST fail the connection: close TCP without sending a data frame. A client "
                    "that offers no permessage-deflate is skipped"
                    + (f", and one whose offer includes {unoffered}." if unoffered else "."),
        quote=QUOTE_CLIENT_FAILS + condition,
    )
    async def run(ctx: ClientCase) -> Verdict:
        side = await ctx.request()
        offer = offers(side)[0]
        if unoffered is not None and unoffered in offer:
            raise Skip(f"the client's offer includes {unoffered}: a response with it is valid")
        side.answer([*side.accept_headers(), ("Sec-WebSocket-Extensions", f"{deflate.EXTENSION}; {params}")])
        return await judge.not_established(ctx, side)


_INVALID = "The negotiation response contains an extension parameter with an invalid value."
_refused("server-max-window-bits-7", "server_max_window_bits=7 (below 8)", _INVALID,
         "server_max_window_bits=7")
_refused("server-max-window-bits-16", "server_max_window_bits=16 (above 15)", _INVALID,
         "server_max_window_bits=16")
_refused("unknown-parameter", "a parameter permessage-deflate does not define",
         "The negotiation response contains an extension parameter not defined for use in a response.",
         "x_rtconform_unknown=1")
_refused("duplicate-parameter", "server_no_context_takeover twice",
         "The negotiation response contains multiple extension parameters with the same name.",
         "server_no_context_takeover; server_no_context_takeover")
_refused("unoffered-client-max-window-bits", "client_max_window_bits=10 the client did not offer",
         "The client does not support the configuration that the response represents. ... If a received "
         'extension negotiation offer doesn\'t have the "client_max_window_bits" extension parameter, the '
         "corresponding extension negotiation response to the offer MUST NOT include the "
         '"client_max_window_bits" extension parameter.', "client_max_window_bits=10",
         unoffered="client_max_window_bits")
