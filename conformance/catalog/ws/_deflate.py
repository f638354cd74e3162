"""Steps shared by the permessage-deflate cases (RFC 7692): negotiate, decline, echo compressed messages.

The codec is the runner's own (:mod:`conformance.wire.deflate`); the target's compressed messages are
inflated by the client with the agreed parameters, so a window longer than ``server_max_window_bits`` or a
reference to the previous message after ``server_no_context_takeover`` shows up as a deviation (the echo
does not inflate), and every frame's RSV bits are judged by RFC 7692 §6.1 (a deviation too).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.model import CaseFailed, Outcome, Verdict
from conformance.wire.ws import Message, WsClient

__all__ = ["ECHO_WAIT", "QUOTE_AGREED", "echo_series", "negotiated", "unimplemented"]

#: the longest wait for one echo (within the case's deadline): long enough for a loaded target serving many
#: compressed connections at once (4 s was not, with Autobahn's 1000 messages at --jobs 16), short enough
#: that a target which stops echoing fails the case long before its timeout
ECHO_WAIT = 15.0

#: RFC 7692 §5, what every compressed echo case relies on.
QUOTE_AGREED = ('If a server responds with a valid PMCE element in the "Sec-WebSocket-Extensions" header '
                "and _the WebSocket Connection is established_, both endpoints MUST use the algorithm "
                "described in Section 6 and the message payload transformation procedure of the PMCE "
                'configured with the "agreed parameters" returned by the server to exchange messages.')


async def negotiated(ws: WsClient, offers: Sequence[str]) -> bool:
    """Open the connection offering ``offers``; True when the target accepted permessage-deflate.

    Raises:
        CaseFailed: no valid 101, or an extensions answer that no offer allows (RFC 7692 §7.1).
    """
    response = await _steps.opened(ws, extensions=offers)
    if ws.negotiation_error:
        raise CaseFailed([f"a valid answer to the offer(s) {list(offers)} (RFC 7692 §7.1), or none"],
                         f"{ws.negotiation_error}; {_steps.show_response(response)}")
    return ws.deflate is not None


async def unimplemented(ws: WsClient, offers: Sequence[str]) -> Verdict:
    """The target declined the offers: close normally, report Autobahn's UNIMPLEMENTED."""
    verdict = await expect.echo(ws, [])
    if verdict.outcome is not Outcome.PASSED:
        return verdict
    answer = ws.response.header("sec-websocket-extensions") if ws.response else None
    return Verdict.unimplemented(f"the target declined permessage-deflate (offered {list(offers)}; "
                                 f"answered {answer!r})")


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:12]


async def echo_series(ws: WsClient, next_message: Callable[[], bytes], *, count: int, binary: bool,
                      fragment: int = 0) -> Verdict:
    """Send ``count`` messages one at a time (each after the previous echo, as Autobahn does), compressed,
    in frames of ``fragment`` bytes; each echo must have the same type and content.

    ``next_message`` is a callable giving the next message's bytes (``Ring.next`` bound to a size).
    """
    compressed = 0
    for i in range(count):
        data = next_message()
        await ws.send_message(data, binary=binary, fragment=fragment)
        await ws.wait(lambda: bool(ws.events) or not ws.is_open or bool(ws.deviations), ECHO_WAIT)
        events = ws.take_events()
        if not events and ws.is_open and not ws.deviations and ws.remaining() <= 0:
            # the case's time ran out, not the target's patience: errored, as Autobahn's timeout is
            raise TimeoutError(f"the case timed out after {i} of {count} echoes, all of them right")
        want = Message(data, binary)
        if events != [want] or ws.deviations:
            got = ", ".join(f"{e} sha1 {_sha1(e.data)}" if isinstance(e, Message) else str(e) for e in events)
            problems = f"; deviations: {'; '.join(ws.deviations[:3])}" if ws.deviations else ""
            raise CaseFailed(
                [f"echo {i + 1} of {count}: {want} sha1 {_sha1(data)}"],
                f"message {i + 1} of {count}: got [{got or 'nothing'}]{problems}; "
                f"{ws.close_info().describe()}")
        compressed += isinstance(events[0], Message) and events[0].compressed
    verdict = await expect.echo(ws, [])
    note = f"{count} messages echoed, {compressed} of the echoes compressed"
    expected = (f"{count} echoes, each equal to its message", *verdict.expected)
    return remarked(ws, dataclasses.replace(verdict, expected=expected, actual=f"{note}; {verdict.actual}"))


def remarked(ws: WsClient, verdict: Verdict) -> Verdict:
    """A passed behaviour becomes non-strict when the target's answer departs from what RFC 7692 describes
    without a requirement keyword (the agreement's ``remark``). Autobahn's client accepts any answer, so
    index.json keeps its "OK"."""
    remark = ws.deflate.agreement.remark if ws.deflate is not None else ""
    if not remark or verdict.behavior is not Outcome.PASSED:
        return verdict
    return dataclasses.replace(verdict, behavior=Outcome.NON_STRICT, notes=(*verdict.notes, remark),
                               actual=f"{verdict.actual}; {remark}", autobahn_behavior="OK")
