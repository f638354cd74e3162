"""permessage-deflate (RFC 7692) beyond Autobahn's compressed echoes: negotiation, RSV1, inflating, limits.

Autobahn's 12.x/13.x only test echoes under an agreed extension. These cases test what it never does:
offers the server must decline (§7), RSV1 where §6.1 forbids it, a message that does not inflate, the
sliding-window rules of §7.2.1/§7.2.2, and a decompression bomb. RSV1 without any negotiation is already
Autobahn 3.1/3.4-3.7 (``ws/5.2/rsv*``). A target that declines permessage-deflate where the case needs it
is unimplemented.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence

from conformance.catalog.ws import _deflate, _steps
from conformance.catalog.ws import verify as expect
from conformance.model import MAY, MUST, CaseFailed, Outcome, Verdict, group
from conformance.wire import deflate
from conformance.wire.ws import WsClient
from conformance.wire.wsframes import BINARY, CONT, PING, TEXT, frame
from conformance.wire.wshandshake import build_request, new_key, upgrade_problems

NEGOTIATION = group("ws", "rfc7692-7", "permessage-deflate negotiation")
RSV1 = group("ws", "rfc7692-6.1", "The Per-Message Compressed bit")
WINDOW = group("ws", "rfc7692-7.2", "Compression and decompression")
LIMITS = group("ws", "10.4", "Implementation-Specific Limits")

QUOTE_DECLINE = "A server MUST decline an extension negotiation offer for this extension if any of the " \
                "following conditions are met: "
DECLINE_WHY = {
    "unknown": "The negotiation offer contains an extension parameter not defined for use in an offer.",
    "invalid": "The negotiation offer contains an extension parameter with an invalid value.",
    "duplicate": "The negotiation offer contains multiple extension parameters with the same name.",
}
QUOTE_WINDOW_BITS = ('A client MAY include the "server_max_window_bits" extension parameter in an '
                     "extension negotiation offer.  This parameter has a decimal integer value without "
                     "leading zeroes between 8 to 15, inclusive, indicating the base-2 logarithm of the LZ77 "
                     "sliding window size, and MUST conform to the ABNF below.")
QUOTE_RSV1 = 'An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and non-first ' \
             "fragments of a data message.  An endpoint receiving such a frame MUST _Fail the WebSocket " \
             "Connection_."
QUOTE_VALIDATE = "Incoming data MUST always be validated by both clients and servers."
QUOTE_CLIENT_CONTEXT = 'If the "agreed parameters" contain the "client_no_context_takeover" extension ' \
                       "parameter, the server MAY decompress each new message with an empty LZ77 sliding " \
                       "window.  Otherwise, the server MUST decompress each new message using the LZ77 " \
                       "sliding window used to process the last compressed message."
QUOTE_SERVER_NO_CONTEXT = ('If the "agreed parameters" contain the "server_no_context_takeover" extension '
                           "parameter, the server MUST start compressing each new message with an empty LZ77 "
                           "sliding window.")
QUOTE_SERVER_CONTEXT = (QUOTE_SERVER_NO_CONTEXT + "  Otherwise, the server MAY take over the LZ77 sliding "
                        "window used to build the last compressed message.")
QUOTE_LIMITS = ("Implementations that have implementation- and/or platform-specific limitations regarding "
                "the frame size or total message size after reassembly from multiple frames MUST protect "
                "themselves against exceeding those limits.")

PLAIN = deflate.EXTENSION
#: a compressible text message (about 2 KiB) sent more than once by the window cases
REPEATED = ("permessage-deflate keeps an LZ77 sliding window between messages unless the peers agree "
            "otherwise; this sentence repeats so the second copy can refer back to the first. " * 12).encode()


async def _offered(ws: WsClient, offers: Sequence[str]) -> tuple[str, str]:
    """Open with ``offers`` (any text); (how the target answered, why that is a failure or "")."""
    key = new_key()
    ep = ws.endpoint
    raw = build_request(ep.resource, ep.host_header, key, subprotocols=ep.subprotocols, origin=ep.origin,
                        headers=ep.headers, extensions=offers)
    response = await ws.handshake(raw, offers=offers)
    if response is None:
        raise CaseFailed(["an answer to the opening request"], ws.handshake_error)
    shown = _steps.show_response(response)
    if response.status != 101:
        return shown, ""
    if problems := upgrade_problems(response, key):
        raise CaseFailed(["a valid 101, or an http error"], "; ".join(problems))
    return shown, ws.negotiation_error


def _decline_case(slug: str, bad: str, what: str, why: str, *, quote: str = "") -> None:
    @NEGOTIATION.case(
        slug, level=MUST,
        desc=f"Offers only '{bad}' ({what})",
        requirement="The server MUST decline that offer: no permessage-deflate in its answer (refusing the "
                    "whole handshake with an http error instead is non-strict).",
        quote=quote or QUOTE_DECLINE + DECLINE_WHY[why],
    )
    async def run(ws: WsClient) -> Verdict:
        shown, problem = await _offered(ws, [bad])
        expected = ["a 101 without permessage-deflate in sec-websocket-extensions"]
        if ws.response is not None and ws.response.status != 101:
            return Verdict(Outcome.NON_STRICT, Outcome.PASSED, (*expected, "(an http error: non-strict)"),
                           f"refused the handshake: {shown}")
        if ws.deflate is not None or problem:
            raise CaseFailed(expected, f"accepted the offer it must decline: {shown}")
        verdict = await expect.echo(ws, [])
        return dataclasses.replace(verdict, expected=(*expected, *verdict.expected),
                                   actual=f"{shown}; {verdict.actual}")


_decline_case("offer-unknown-parameter", f"{PLAIN}; x_unknown_parameter=1", "a parameter RFC 7692 does not "
              "define", "unknown")
_decline_case("offer-duplicate-parameter", f"{PLAIN}; server_no_context_takeover; server_no_context_takeover",
              "server_no_context_takeover twice", "duplicate")
_decline_case("offer-value-on-no-value-parameter", f"{PLAIN}; server_no_context_takeover=1",
              "server_no_context_takeover, which has no value, with a value", "invalid")
QUOTE_INVALID_BITS = QUOTE_DECLINE + DECLINE_WHY["invalid"] + " ... " + QUOTE_WINDOW_BITS
_decline_case("offer-window-bits-7", f"{PLAIN}; server_max_window_bits=7", "a window size below 8",
              "invalid", quote=QUOTE_INVALID_BITS)
_decline_case("offer-window-bits-16", f"{PLAIN}; server_max_window_bits=16", "a window size above 15",
              "invalid", quote=QUOTE_INVALID_BITS)
_decline_case("offer-window-bits-not-numeric", f"{PLAIN}; server_max_window_bits=abc",
              "a window size that is not a number", "invalid", quote=QUOTE_INVALID_BITS)
_decline_case("offer-client-window-bits-16", f"{PLAIN}; client_max_window_bits=16", "a client window size "
              "above 15", "invalid")


@NEGOTIATION.case(
    "first-offer-invalid-second-valid", level=MUST,
    desc=f"Offers '{PLAIN}; server_max_window_bits=16' then '{PLAIN}'",
    requirement="The server MUST decline the first offer; accepting the second is passed, declining both is "
                "non-strict when the server accepts the second offer on its own (else unimplemented).",
    quote=QUOTE_DECLINE + DECLINE_WHY["invalid"],
)
async def first_offer_invalid_second_valid(ws: WsClient) -> Verdict:
    offers = [f"{PLAIN}; server_max_window_bits=16", PLAIN]
    shown, problem = await _offered(ws, offers)
    expected = ("a 101 accepting the second offer (or declining both)",)
    if problem:
        raise CaseFailed(expected, f"{problem}; {shown}")
    if ws.response is None or ws.response.status != 101:
        raise CaseFailed(expected, shown)
    verdict = await expect.echo(ws, [])
    if ws.deflate is not None:
        return dataclasses.replace(verdict, expected=(*expected, *verdict.expected),
                                   actual=f"{shown}; {verdict.actual}")
    alone = WsClient(ws.endpoint, deadline=ws.deadline, transcript=ws.transcript,
                     close_timeout=ws.close_timeout)
    try:
        accepted = await _deflate.negotiated(alone, [PLAIN])
        await expect.echo(alone, [])
    finally:
        alone.release()
    if not accepted:
        return Verdict.unimplemented(f"declined both offers, and '{PLAIN}' alone too: {shown}")
    return Verdict(Outcome.NON_STRICT, verdict.close, expected,
                   f"declined both offers though it accepts '{PLAIN}' alone (RFC 7692 §5 recommends "
                   f"accepting the most preferred offer it supports): {shown}")


async def _agreed(ws: WsClient, offers: Sequence[str] = (PLAIN,)) -> bool:
    return await _deflate.negotiated(ws, offers)


def _rsv1_case(slug: str, what: str, frames: list[dict[str, object]]) -> None:
    @RSV1.case(
        slug, level=MUST,
        desc=f"Offers permessage-deflate and, once agreed, sends {what}",
        requirement="The server MUST fail the connection: close 1002 or TCP close.",
        quote=QUOTE_RSV1,
    )
    async def run(ws: WsClient) -> Verdict:
        if not await _agreed(ws):
            return await _deflate.unimplemented(ws, [PLAIN])
        data = b"".join(frame(**f) for f in _with_payloads(frames))  # type: ignore[arg-type]
        await ws.send(data, text=what)
        return await expect.fail(ws, 1002)


def _with_payloads(frames: list[dict[str, object]]) -> list[dict[str, object]]:
    """Fill ``payload=None`` of a two-frame message with the halves of a compressed message."""
    whole = deflate.compress_raw(b"Hello, compressed world!")
    halves = [whole[:len(whole) // 2], whole[len(whole) // 2:]]
    return [{**f, "payload": halves.pop(0)} if f.get("payload") is None else f for f in frames]


_rsv1_case("rsv1-on-ping", "a ping with RSV1 set", [{"opcode": PING, "payload": b"ping", "rsv1": True}])
_rsv1_case("rsv1-on-continuation", "a compressed text message in 2 frames with RSV1 set on both",
           [{"opcode": TEXT, "payload": None, "fin": False, "rsv1": True},
            {"opcode": CONT, "payload": None, "rsv1": True}])


@WINDOW.case(
    "compressed-message-not-deflate", level=MUST, section="rfc7692-7.2.2",
    desc="Offers permessage-deflate and, once agreed, sends a binary message with RSV1 set whose payload is "
         "not DEFLATE data (a block of the reserved type 11)",
    requirement="The server MUST fail the connection: close 1002 or 1007 (RFC 7692 names no code), or TCP "
                "close; it must not echo anything.",
    quote=QUOTE_VALIDATE,
)
async def compressed_message_not_deflate(ws: WsClient) -> Verdict:
    if not await _agreed(ws):
        return await _deflate.unimplemented(ws, [PLAIN])
    # 0xC2: FIN=1 RSV1=1 op=BINARY; payload 0xFF...: BFINAL=1 BTYPE=11, a reserved block type (RFC 1951)
    await ws.send_frame(BINARY, b"\xff" * 16, rsv1=True)
    return await expect.fail(ws, 1002, 1007)


@WINDOW.case(
    "client-context-takeover", level=MUST, section="rfc7692-7.2.2",
    desc=f"Offers '{PLAIN}' and, unless the answer has client_no_context_takeover, sends the same 2 KiB text "
         "message 3 times compressed with one sliding window (the 2nd and 3rd refer back to the 1st)",
    requirement="The server MUST decompress each message with the window of the previous ones and echo all "
                "3; an answer with client_no_context_takeover is unimplemented.",
    quote=QUOTE_CLIENT_CONTEXT,
)
async def client_context_takeover(ws: WsClient) -> Verdict:
    if not await _agreed(ws):
        return await _deflate.unimplemented(ws, [PLAIN])
    assert ws.deflate is not None
    if ws.deflate.agreement.client_no_context_takeover:
        await expect.echo(ws, [])
        return Verdict.unimplemented("the server's answer asks the client not to take over its window: "
                                     f"{ws.deflate.agreement.response}")
    verdict = await _deflate.echo_series(ws, lambda: REPEATED, count=3, binary=False)
    sizes = [len(f.payload) for f in ws.frames if f.opcode == TEXT]
    return dataclasses.replace(verdict, notes=(*verdict.notes, f"the echoes' payload sizes: {sizes}"))


@WINDOW.case(
    "server-no-context-takeover", level=MUST, section="rfc7692-7.2.1",
    desc=f"Offers '{PLAIN}; server_no_context_takeover'; sends the same 2 KiB text message 3 times and "
         "inflates each compressed echo with an empty window",
    requirement="An answer accepting the offer MUST include server_no_context_takeover (§7.1.1.1), and the "
                "server MUST then compress each echo from an empty window (each inflates on its own).",
    quote=QUOTE_SERVER_NO_CONTEXT,
)
async def server_no_context_takeover(ws: WsClient) -> Verdict:
    offers = [deflate.offer(server_no_context_takeover=True)]
    if not await _agreed(ws, offers):
        return await _deflate.unimplemented(ws, offers)
    verdict = await _deflate.echo_series(ws, lambda: REPEATED, count=3, binary=False)
    sizes = [len(f.payload) for f in ws.frames if f.opcode == TEXT]
    return dataclasses.replace(verdict, notes=(*verdict.notes, f"the echoes' payload sizes: {sizes}"))


@WINDOW.case(
    "server-context-takeover-sizes", level=MAY, section="rfc7692-7.2.1",
    desc=f"Offers '{PLAIN}'; sends the same 2 KiB text message 3 times; records the compressed size of each "
         "echo (with context takeover the 2nd and 3rd are much smaller)",
    requirement="Informational: the server MAY take over its window; whether it does is recorded (each echo "
                "must still be the message).",
    quote=QUOTE_SERVER_CONTEXT,
)
async def server_context_takeover_sizes(ws: WsClient) -> Verdict:
    if not await _agreed(ws):
        return await _deflate.unimplemented(ws, [PLAIN])
    verdict = await _deflate.echo_series(ws, lambda: REPEATED, count=3, binary=False)
    if verdict.outcome is not Outcome.PASSED:
        return verdict
    sizes = [len(f.payload) for f in ws.frames if f.opcode == TEXT]
    took_over = len(sizes) == 3 and sizes[1] < sizes[0] // 2
    how = "takes over its window" if took_over else "does not take over its window"
    return Verdict.informational(f"echo payload sizes {sizes}: the server {how}",
                                 remote_close_code=verdict.remote_close_code)


#: the inflated size of the bomb when the target declares no limit (``--profile max-message-size``): four
#: times the common 64 MiB default
UNDECLARED_BOMB = 256 * 2**20
_MIB = 2**20


def _bomb(size: int) -> bytes:
    """A compressed message payload inflating to ``size`` zero bytes, built without holding them: one MiB
    of zeros compressed and ended with a full flush (byte-aligned, no reference to what came before) is
    repeated, then the rest and the final sync flush (§7.2.1: its 4 trailing octets removed)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    whole = comp.compress(bytes(_MIB)) + comp.flush(zlib.Z_FULL_FLUSH)
    rest = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = rest.compress(bytes(size % _MIB)) + rest.flush(zlib.Z_SYNC_FLUSH)
    return whole * (size // _MIB) + (tail[:-4] if tail.endswith(deflate.TAIL) else tail)


@LIMITS.case(
    "deflate-bomb", level=MUST, timeout=20.0,
    desc="Offers permessage-deflate and, once agreed, sends one compressed binary message inflating to 1 "
         "byte more than the target's declared limit (--profile max-message-size; without it 64 MiB, "
         "recorded only)",
    requirement="The server MUST protect itself: fail the connection (close 1009, or TCP close) without "
                "echoing; another close code is non-strict. Without a declared limit the reaction is "
                "informational.",
    quote=QUOTE_LIMITS,
)
async def deflate_bomb(ws: WsClient) -> Verdict:
    if not await _agreed(ws):
        return await _deflate.unimplemented(ws, [PLAIN])
    declared = ws.endpoint.option("max-message-size")
    limit = int(declared) if declared and declared.isdigit() else None
    payload = _bomb(limit + 1 if limit is not None else UNDECLARED_BOMB)
    await ws.send_frame(BINARY, payload, rsv1=True)  # 0xC2: FIN=1 RSV1=1 op=BINARY
    if limit is None:
        what = f"{len(payload)} compressed bytes inflating to {UNDECLARED_BOMB}"
        await ws.wait(lambda: bool(ws.events) or not ws.is_open)
        if "inflates past the runner's limit" in ws.aborted:
            return Verdict.informational(f"{what}: the target accepted it and echoed it (the runner stopped "
                                         f"reading at its own limit); {ws.close_info().describe()}")
        verdict = await expect.informational(ws)
        return dataclasses.replace(verdict, actual=f"{what}: {verdict.actual}")
    verdict = await expect.fail(ws, 1009)
    if verdict.close is Outcome.FAILED and verdict.close_detail == "WRONG CODE":
        verdict = dataclasses.replace(verdict, close=Outcome.NON_STRICT, close_detail="NON-STRICT")
    return dataclasses.replace(verdict, actual=f"{len(payload)} compressed bytes inflating to {limit + 1}: "
                                               f"{verdict.actual}")

