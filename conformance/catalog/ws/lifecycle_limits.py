"""Implementation limits (RFC 6455 §10.4): the declared message size, and the declared connection count.

§10.4 makes protecting against one's own limits a MUST but leaves the limit, and how to refuse, to the
implementation; 1009 is the code §7.4.1 defines for "a message that is too big for it to process". The
cases judge the target against its declared ``max-message-size`` and ``max-connections``, so they are
STRICT ("not an RFC requirement"); without a declared limit they skip (there is nothing to judge against,
and probing for an undeclared limit would mean sending unbounded data). The two that send a whole message
over the limit (16 MiB against the embedded reference) run ``exclusive`` with 20 s: that much input keeps
the target (and the runner, which masks it) busy for a second or more, which would decide other cases'
timed verdicts, and on a loaded machine the target may need more than the default 5 s to read it.
"""

from __future__ import annotations

import asyncio
import contextlib

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.catalog.ws.lifecycle import bound, promise_int
from conformance.catalog.ws.verify import binary
from conformance.model import STRICT, CaseFailed, Skip, Verdict, group
from conformance.wire.ws import HandshakeFailed, WsClient
from conformance.wire.wsframes import BINARY, CONT, frame
from conformance.wire.wshandshake import build_request, new_key

G = group("ws", "10.4", "Implementation-Specific Limits")

LIMITS_QUOTE = ("Implementations that have implementation- and/or platform-specific limitations regarding "
                "the frame size or total message size after reassembly from multiple frames MUST protect "
                "themselves against exceeding those limits.")
TOO_BIG = ("The target closes with 1009 (\"a message that is too big for it to process\", §7.4.1). "
           "Not an RFC requirement: the limit is the one the target declares (max-message-size).")
#: How long the target has to refuse an oversized message once the runner has sent what it sends.
REFUSE_WAIT = 2.0
#: The largest message the runner sends to see it echoed (the raw client reads up to 8 MiB).
ECHO_CAP = 8 * 2**20
#: The most connections the runner opens to reach a declared max-connections.
CONNECTIONS_CAP = 1024


def _max_size(ws: WsClient) -> int:
    size = promise_int(ws.endpoint, "max-message-size")
    if size is None:
        raise Skip("no max-message-size declared (--profile max-message-size=BYTES)")
    return size


async def _refused_1009(ws: WsClient) -> Verdict:
    await ws.wait(lambda: ws.tcp_closed or ws.target_close is not None, REFUSE_WAIT)
    close = ws.target_close
    if close is None or close.code != 1009:
        seen = (ws.close_info().describe() if ws.tcp_closed or close is not None
                else f"no close within {REFUSE_WAIT:g} s; {len(ws.events)} event(s)")
        raise CaseFailed(["close 1009"], seen)
    return Verdict(actual=f"close {close.code} {close.reason!r}", remote_close_code=close.code)


@G.case(
    "message-at-limit-echoed", level=STRICT,
    desc="Sends one binary message of exactly max-message-size bytes (when it is at most 8 MiB)",
    requirement="Not an RFC requirement: a message of the declared size limit is accepted and echoed.",
    quote=LIMITS_QUOTE,
)
async def message_at_limit_echoed(ws: WsClient) -> Verdict:
    size = _max_size(ws)
    if size > ECHO_CAP:
        raise Skip(f"max-message-size {size} is above the {ECHO_CAP} bytes the runner reads back")
    await _steps.opened(ws)
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    await ws.send_frame(BINARY, data)
    return await expect.echo(ws, [binary(data)])


@G.case(
    "message-over-limit-1009", level=STRICT, exclusive=True, timeout=20,
    desc="Sends one binary frame of max-message-size + 1 bytes, all of it",
    requirement=TOO_BIG, quote=LIMITS_QUOTE,
)
async def message_over_limit_1009(ws: WsClient) -> Verdict:
    size = _max_size(ws)
    await _steps.opened(ws)
    await ws.send_frame(BINARY, bytes(size + 1))
    return await _refused_1009(ws)


@G.case(
    "fragments-over-limit-1009", level=STRICT, exclusive=True, timeout=20,
    desc="Sends a binary message of max-message-size + 1 bytes as two fragments, each under the limit",
    requirement=TOO_BIG + " The size that counts is the reassembled message's.", quote=LIMITS_QUOTE,
)
async def fragments_over_limit_1009(ws: WsClient) -> Verdict:
    size = _max_size(ws)
    await _steps.opened(ws)
    half = (size + 1) // 2
    await ws.send_frame(BINARY, bytes(half), fin=False)
    await ws.send_frame(CONT, bytes(size + 1 - half))
    return await _refused_1009(ws)


@G.case(
    "header-over-limit-1009", level=STRICT,
    desc="Sends the header of one binary frame announcing max-message-size + 1 bytes and 16 bytes of its "
         "payload, then waits",
    requirement=TOO_BIG + " The header alone says the message is too big: the target refuses it without "
                          "waiting for (or buffering) the payload.", quote=LIMITS_QUOTE,
)
async def header_over_limit_1009(ws: WsClient) -> Verdict:
    size = _max_size(ws)
    await _steps.opened(ws)
    # 0x82 0xFF <64-bit length size+1> <mask>: FIN=1 op=BINARY, MASK=1, only 16 payload bytes follow
    await ws.send(frame(BINARY, bytes(16), length=size + 1, length_bytes=8))
    return await _refused_1009(ws)


HEAD_QUOTE = ("The 431 status code indicates that the server is unwilling to process the request because its "
              "header fields are too large. (RFC 6585 §5)")
HEAD_REQUIREMENT = ("Not an RFC 6455 requirement (RFC 6585 §5 defines 431; the limit is the target's "
                    "declared max-head-size): the target answers 431 rather than upgrading, failing "
                    "without an answer, or waiting for more.")


def _max_head(ws: WsClient) -> int:
    size = promise_int(ws.endpoint, "max-head-size")
    if size is None:
        raise Skip("no max-head-size declared (--profile max-head-size=BYTES)")
    return size


async def _refused_431(ws: WsClient, fields: list[tuple[str, str]]) -> Verdict:
    ep = ws.endpoint
    raw = build_request(ep.resource, ep.host_header, new_key(), headers=(*ep.headers, *fields))
    response = await ws.handshake(raw)
    if response is None or response.status != 431:
        seen = f"status {response.status}" if response is not None else ws.handshake_error
        raise CaseFailed([f"431 for a {len(raw)}-byte request head"], seen)
    return Verdict(actual=f"431 for a {len(raw)}-byte request head")


@G.case(
    "head-field-over-limit-431", level=STRICT,
    desc="Sends an opening handshake with one extra header field whose value alone is max-head-size + 1 "
         "bytes",
    requirement=HEAD_REQUIREMENT, quote=HEAD_QUOTE,
)
async def head_field_over_limit_431(ws: WsClient) -> Verdict:
    size = _max_head(ws)
    return await _refused_431(ws, [("X-Rtconform-Pad", "a" * (size + 1))])


@G.case(
    "many-header-fields-431", level=STRICT,
    desc="Sends an opening handshake with enough 12-byte header fields to pass max-head-size",
    requirement=HEAD_REQUIREMENT + " Many small fields count like one large one.", quote=HEAD_QUOTE,
)
async def many_header_fields_431(ws: WsClient) -> Verdict:
    size = _max_head(ws)
    return await _refused_431(ws, [(f"X-{i:06x}", "1") for i in range(size // 12 + 1)])


async def _open_one(ws: WsClient) -> WsClient:
    client = WsClient(ws.endpoint, deadline=ws.deadline)
    with contextlib.suppress(HandshakeFailed, OSError, TimeoutError):
        await client.connect()
        # A target that closed at once (under load: an accept queue that overflowed) did not serve it; its
        # EOF may come before connect() returns, and then there is no request to send.
        if not client.tcp_closed:
            await client.open()
    return client


def _served(client: WsClient) -> bool:
    return client.response is not None and client.response.status == 101 and not client.tcp_closed


@G.case(
    "max-connections-refused-then-freed", level=STRICT, exclusive=True, timeout=30,
    desc="Sends max-connections opening handshakes on as many connections, then one more; then resets one "
         "of the first (TCP closed without a Close frame) and sends another",
    requirement="Not an RFC requirement (the declared max-connections): every connection up to the limit "
                "is served; the next is refused cleanly (503 before the upgrade, or close 1013 after it); "
                "a slot freed by a peer that vanished without a Close frame is usable again.",
    quote=LIMITS_QUOTE,
)
async def max_connections_refused_then_freed(ws: WsClient) -> Verdict:
    limit = promise_int(ws.endpoint, "max-connections")
    if limit is None:
        raise Skip("no max-connections declared (--profile max-connections=N)")
    if limit > CONNECTIONS_CAP:
        raise Skip(f"max-connections {limit} is above the {CONNECTIONS_CAP} the runner opens")
    clients: list[WsClient] = []
    try:
        for start in range(0, limit, 64):
            clients += await asyncio.gather(*(_open_one(ws) for _ in range(min(64, limit - start))))
        served = sum(map(_served, clients))
        ws.transcript.note(f"{served} of {limit} connections served (their traffic is not recorded)")
        if served < limit:
            raise CaseFailed([f"{limit} connections served"], f"{served} of {limit} served")
        extra = await _open_one(ws)
        clients.append(extra)
        refused, how = await _refused(extra)
        ws.transcript.note(f"connection {limit + 1}: {how}")
        if not refused:
            raise CaseFailed(["connection over the limit refused: 503, or close 1013"],
                             f"connection {limit + 1}: {how}")
        clients[0].abort("the runner vanishes without a Close frame")
        again = await _retry_open(ws, bound(1.0))
        clients.append(again)
        ws.transcript.note("after one connection vanished, a new one was "
                           + ("served" if _served(again) else "refused"))
        if not _served(again):
            seen = f"status {again.response.status}" if again.response else again.handshake_error
            raise CaseFailed(["a freed slot served again"], f"a new connection after the reset: {seen}")
        return Verdict(actual=f"{limit} served; number {limit + 1} refused with {how}; a freed slot "
                              "served again")
    finally:
        for client in clients:
            client.release()


async def _refused(client: WsClient) -> tuple[bool, str]:
    """Whether the connection over the limit was refused cleanly, and how it was answered."""
    response = client.response
    if response is None:
        return False, f"no response ({client.handshake_error})"
    if response.status != 101:
        return response.status == 503, f"status {response.status}"
    await client.wait(lambda: client.tcp_closed or client.target_close is not None, REFUSE_WAIT)
    close = client.target_close
    if close is not None:
        return close.code == 1013, f"101, then close {close.code}"
    return False, "served (101)" + (", then tcp closed" if client.tcp_closed else "")


async def _retry_open(ws: WsClient, seconds: float) -> WsClient:
    """Open connections until one is served or ``seconds`` passed (the target notices the reset when it
    reads the peer next); returns the last one tried."""
    end = ws.loop.time() + seconds
    while True:
        client = await _open_one(ws)
        if _served(client) or ws.loop.time() >= end:
            return client
        client.release()
        await asyncio.sleep(0.05)
