"""Closing behaviour Autobahn does not judge: who closes TCP first, fail-fast on an invalid close reason.

RFC 6455 §7.1.1 (a SHOULD) and fail-fast on §8.1 (Autobahn's preference, not an RFC sentence: STRICT).
Both run with ``--strict``. (Every runner-closed case already records a target that leaves TCP open after
the closing handshake as non-strict.)
"""

from __future__ import annotations

import dataclasses

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.model import SHOULD, STRICT, Outcome, Verdict, group
from conformance.wire.ws import WsClient
from conformance.wire.wsframes import CLOSE, close_payload

TCP = group("ws", "7.1.1", "Close the WebSocket Connection")


@TCP.case(
    "server-closes-tcp-first", level=SHOULD,
    desc="Closes with 1000 and, after the target's close reply, waits for the target to close TCP",
    requirement="The server SHOULD close the TCP connection first once the closing handshake is done "
                "(the runner waits the close timeout, then closes it itself).",
    quote="The underlying TCP connection, in most normal cases, SHOULD be closed first by the server, so "
          "that it holds the TIME_WAIT state and not the client",
)
async def server_closes_tcp_first(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    verdict = await expect.echo(ws, [])
    if verdict.close is Outcome.NON_STRICT:
        return dataclasses.replace(verdict, close=Outcome.FAILED, close_detail="FAILED")
    return verdict


UTF8 = group("ws", "8.1", "Handling Errors in UTF-8-Encoded Data (close reason)")


@UTF8.case(
    "close-reason-fail-fast", level=STRICT,
    desc="Sends a close frame (1000) whose reason becomes invalid UTF-8 (ED A0 80), in 3 TCP chops: the "
         "header, code and valid 'κόσμε', then ED A0 80, then the rest; pausing 0.1 s and up to 0.5 s "
         "between them",
    requirement="Stricter than RFC 6455 (Autobahn's fail-fast preference; no RFC sentence asks for it): the "
                "server fails the connection (1007 or 1002, or TCP close) once the invalid octets arrive, "
                "before the close frame is complete; failing only after it is not accepted here.",
    quote="When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not, in "
          "fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_.",
)
async def close_reason_fail_fast(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    reason = bytes.fromhex("cebae1bdb9cf83cebcceb5") + b"\xed\xa0\x80" + b"edited"
    data = _steps.frame_bytes(CLOSE, close_payload(1000, reason))
    await _steps.send_chopped_frame(ws, data, (13, 16), (("A", _steps.QUIET_WAIT), ("B", _steps.FAST_WAIT)))
    return await _steps.fail_fast(ws, 1007, 1002, strict=True)
