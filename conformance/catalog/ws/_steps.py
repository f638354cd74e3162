"""Steps and verifiers shared by the WebSocket catalog modules (on top of :mod:`.verify`).

Cases open their connection with :func:`opened`: a failed handshake becomes the case's failure (the raw
client only reports it). Everything here waits for events with a deadline; the only fixed waits are
Autobahn's timeout markers (:meth:`WsClient.checkpoint`), shortened from Autobahn's 1 s to what a local
target needs and returning early as soon as the target fails the connection.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

from conformance.catalog.ws import verify as expect
from conformance.model import CaseFailed, Outcome, Verdict
from conformance.statustext import status_set
from conformance.wire.http import HttpResponse
from conformance.wire.ws import HandshakeFailed, Pong, Timeout, WsClient
from conformance.wire.wsframes import frame
from conformance.wire.wshandshake import build_request, new_key
from conformance.wire.wsrecv import close_code_problem

__all__ = [
    "CHOP_PAUSE",
    "FAST_WAIT",
    "QUIET_WAIT",
    "code_required",
    "fail_fast",
    "informational_close",
    "opened",
    "pongs_for_pings",
    "rejected",
    "request",
    "send_chopped_frame",
]

#: Pause between TCP chops (and between frames sent "frame-wise"), so that on loopback each chop reaches the
#: target as its own read, as Autobahn's reactor round per chop does; the only purpose is TCP-cleanliness.
CHOP_PAUSE = 0.001
#: How long a valid prefix must leave the connection open (Autobahn's first 1 s timeout marker).
QUIET_WAIT = 0.1
#: How long a fail-fast target gets to react to the invalid part (Autobahn's second 1 s marker); the
#: wait ends as soon as the target fails, so a fail-fast target costs only its reaction time.
FAST_WAIT = 0.5


async def opened(ws: WsClient, *, resource: str | None = None, headers: Sequence[tuple[str, str]] = (),
                 subprotocols: Sequence[str] | None = None, origin: str | None = None,
                 host: str | None = None, key: str | None = None, version: str = "13",
                 extensions: Sequence[str] = ()) -> HttpResponse:
    """Do the opening handshake (:meth:`WsClient.open`, same arguments); the case fails without a valid 101.

    RFC 6455 §4.1: "If the server's response is validated as provided for above, it is said that _The
    WebSocket Connection is Established_"; every case that needs an open connection starts here.

    Raises:
        CaseFailed: the target did not answer with a valid 101 (what it did instead is ``actual``).
    """
    try:
        return await ws.open(resource=resource, headers=headers, subprotocols=subprotocols, origin=origin,
                             host=host, key=key, version=version, extensions=extensions)
    except HandshakeFailed as exc:
        raise CaseFailed(exc.expected, exc.actual) from None


def code_required(verdict: Verdict, ws: WsClient, codes: Sequence[int], *, empty_stimulus: bool = False
                  ) -> Verdict:
    """Judge a close frame without a status code in answer to a malformed close frame.

    RFC 6455 §7.1.7: "the endpoint SHOULD send a Close frame with an appropriate status code (Section 7.4)
    before proceeding to _Close the WebSocket Connection_". Failing the connection is the requirement;
    the code in its close frame is a SHOULD, so an empty close frame is a deviation (non-strict), not a
    failure (Autobahn accepts a missing code everywhere: ``close_detail``, its word, stays as it was).
    With ``empty_stimulus`` the runner's close frame itself had no payload: an empty reply is then just
    the normal answer to it and shows no failure at all (failed, "WRONG CODE").
    """
    close = ws.close_info().target_close
    if close is None or close.code is not None or verdict.close is Outcome.FAILED:
        return verdict
    want = " or ".join(map(str, codes))
    if empty_stimulus:
        return dataclasses.replace(
            verdict, close=Outcome.FAILED, close_detail="WRONG CODE",
            expected=(*verdict.expected, f"a close frame with status code {want} (an empty close in reply "
                                         "to an empty close is the normal answer, not a failure)"),
            actual=f"{verdict.actual}; the target's close frame had no status code")
    return dataclasses.replace(
        verdict, close=Outcome.NON_STRICT,
        expected=(*verdict.expected, f"a close frame with status code {want} (§7.1.7: SHOULD; a close "
                                     "without a code is non-strict)"),
        actual=f"{verdict.actual}; the target's close frame had no status code")


async def informational_close(ws: WsClient, code: int) -> Verdict:
    """:func:`conformance.catalog.ws.verify.informational` after the runner closed with ``code``, a status
    code RFC 6455 does not define (5000, 65535): echoing it back is one of the recorded answers, so the
    deviation the receiver notes for the echoed code is not held against the target (any other deviation
    still is).
    """
    echoed = close_code_problem(code)
    try:
        return await expect.informational(ws)
    except CaseFailed as exc:
        # the deviation names the code of the target's close frame: it did react to the runner's close
        if echoed is None or set(ws.deviations) != {echoed}:
            raise
        verdict = Verdict.informational(exc.actual, remote_close_code=ws.close_info().target_code)
        return dataclasses.replace(verdict, notes=(f"the target echoed {code}, recorded ({echoed})",))


async def send_chopped_frame(ws: WsClient, data: bytes, cuts: Sequence[int],
                             waits: Sequence[tuple[str, float]]) -> None:
    """Send one frame's bytes in pieces cut at payload offsets ``cuts``, a timeout marker after each piece.

    ``data`` is a whole masked client frame with a 7-bit length (6 header bytes); ``waits`` pairs a
    marker tag with its wait for every piece but the last. Stops early once the target failed.
    """
    bounds = [0, *(6 + c for c in cuts), len(data)]
    for i, (start, end) in enumerate(itertools.pairwise(bounds)):
        await ws.send(data[start:end], text=f"frame bytes {start}-{end}")
        if i < len(waits) and not await ws.checkpoint(*waits[i]):
            return


async def fail_fast(ws: WsClient, *codes: int, strict: bool) -> Verdict:
    """Judge a three-part invalid stream sent with timeout markers A (after part 1) and B (after part 2).

    Failing during B (the invalid part is in, the message is not complete) is fail-fast. With ``strict``
    (the STRICT-level case: Autobahn's preference, RFC 6455 has no fail-fast sentence) only that passes
    and only that is listed as expected; otherwise (the MUST case) failing after part 3 passes too, with
    a note, and index.json gets Autobahn's NON-STRICT. Either way the target must fail with one of
    ``codes`` or a TCP drop, never before part 2.
    """
    verdict = await expect.conversation(ws, [Timeout("A")], non_strict=[Timeout("A"), Timeout("B")],
                                        close=expect.target_fails(*codes))
    if strict:
        # the late list is not acceptable here: do not show it among the expected reactions
        late_list = f"({Outcome.NON_STRICT.value})"
        verdict = dataclasses.replace(verdict, expected=tuple(e for e in verdict.expected
                                                              if not e.endswith(late_list)))
    if verdict.behavior is not Outcome.NON_STRICT:
        return verdict
    late = "the target failed only after the whole message arrived, not while the invalid part was pending"
    if strict:
        return dataclasses.replace(verdict, behavior=Outcome.FAILED, actual=f"{late}; {verdict.actual}")
    return dataclasses.replace(verdict, behavior=Outcome.PASSED, notes=(*verdict.notes, late),
                               autobahn_behavior="NON-STRICT")


async def pongs_for_pings(ws: WsClient, payloads: Sequence[bytes]) -> Verdict:
    """Judge the pongs for pings sent with ``payloads`` (RFC 6455 §5.5.3 allows skipping older pings).

    Passed: one pong per ping, in order. Informational: pongs for an ordered subset that includes the
    last ping (the RFC's "MAY elect to send a Pong frame for only the most recently processed Ping
    frame"). Failed: anything else (no pong for the last ping, a pong nobody asked for, wrong order).
    """
    last = Pong(payloads[-1])
    await ws.wait(lambda: last in ws.events or not ws.is_open, ws.close_timeout)
    await ws.wait(lambda: len(ws.events) >= len(payloads) or not ws.is_open, QUIET_WAIT)
    verdict = await expect.conversation(ws, [Pong(p) for p in payloads])
    if verdict.behavior is not Outcome.FAILED or ws.deviations:
        return verdict
    got = [e.payload for e in ws.events if isinstance(e, Pong)]
    sent = iter(payloads)
    ordered = len(got) == len(ws.events) and all(any(p == s for s in sent) for p in got)
    if ordered and got and got[-1] == payloads[-1]:
        note = f"pongs for {len(got)} of {len(payloads)} pings, the last included (allowed by §5.5.3)"
        return dataclasses.replace(verdict, behavior=Outcome.INFORMATIONAL, notes=(*verdict.notes, note))
    return dataclasses.replace(verdict, expected=(
        *verdict.expected, "or pongs for an ordered subset of the pings that includes the last (§5.5.3)"))


def request(ws: WsClient, *, key: str | None = "", host: str | None = "", method: str = "GET",
            http_version: str = "HTTP/1.1", version: str | None = "13", upgrade: str | None = "websocket",
            connection: str | None = "Upgrade", subprotocols: Sequence[str] = (), origin: str | None = "",
            extra: Sequence[tuple[str, str]] = ()) -> tuple[bytes, str | None]:
    """A handshake request for the target with any field changed or left out (None); returns it and its key.

    ``key=""`` / ``host=""`` / ``origin=""`` mean a fresh valid key / the target's authority / the
    ``--origin`` option. A ``host`` of None leaves the Host header out.
    """
    ep = ws.endpoint
    key = new_key() if key == "" else key
    raw = build_request(ep.resource, ep.host_header if host == "" else host or "", key, version=version,
                        subprotocols=subprotocols, origin=ep.origin if origin == "" else origin,
                        headers=[*ep.headers, *extra],
                        method=method, http_version=http_version, upgrade=upgrade, connection=connection)
    if host is None:
        raw = raw.replace(b"\r\nHost: \r\n", b"\r\n", 1)
    return raw, key


async def rejected(ws: WsClient, raw: bytes, *, statuses: Sequence[int] = range(400, 500)) -> Verdict:
    """The target must refuse the handshake ``raw`` with an HTTP error status (no upgrade).

    RFC 6455 §4.2.1: the server "MUST stop processing the client's handshake and return an HTTP
    response with an appropriate error code (such as 400 Bad Request)".
    """
    response = await ws.handshake(raw)
    expected = [f"an http error response (status {status_set(statuses)}), no upgrade"]
    if response is None:
        raise CaseFailed(expected, ws.handshake_error or "no response")
    if response.status not in statuses:
        raise CaseFailed(expected, f"status {response.status} {response.reason}".strip())
    return Verdict(expected=tuple(expected), actual=f"status {response.status} {response.reason}".strip())


def show_response(response: HttpResponse) -> str:
    """The status line and the WebSocket headers of a response, for ``actual``."""
    keep = [f"{n}: {v}" for n, v in response.headers if n.lower().startswith("sec-websocket")]
    return f"status {response.status} {response.reason}".strip() + "".join(f"; {h}" for h in keep)


def frame_bytes(opcode: int, payload: bytes) -> bytes:
    """A masked client frame with a fixed mask key (so chop offsets are stable in transcripts)."""
    return frame(opcode, payload, mask_key=b"\x37\xfa\x21\x3d")


__all__ += ["frame_bytes", "show_response"]


async def send_frames(ws: WsClient, frames: Sequence[tuple[int, bytes, bool]], chop: int | str | None = None
                      ) -> None:
    """Send ``(opcode, payload, fin)`` frames, chopped as :func:`send_raw` does."""
    await send_raw(ws, [frame(op, payload, fin=fin) for op, payload, fin in frames], chop)


async def send_raw(ws: WsClient, frames: Sequence[bytes], chop: int | str | None = None) -> None:
    """Send whole frames (bytes): all in one TCP write (``chop=None``, Autobahn's "one chop"), one write per
    frame (``"frame"``, Autobahn's ``sync=True``) or ``chop`` octets per write, with :data:`CHOP_PAUSE`
    between writes in the last two modes."""
    if chop is None:
        await ws.send(b"".join(frames), text=f"{len(frames)} frames in one write")
        return
    for i, data in enumerate(frames):
        if i:
            await ws.pause(CHOP_PAUSE)
        how = f" in {chop}-octet chops" if isinstance(chop, int) else ""
        await ws.send(data, chop=chop if isinstance(chop, int) else None, pause=CHOP_PAUSE,
                      text=f"frame {i + 1} of {len(frames)}{how}")


__all__ += ["send_frames", "send_raw"]
