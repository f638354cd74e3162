"""Verdicts on what a WebSocket client did, on Autobahn's two axes (behaviour, close).

Three shapes cover the catalog:

* :func:`conversation`: the client must answer with ``expected`` (echoed messages, pongs), then the server
  closes (1000) and the client MUST answer with a close frame (§5.5.1);
* :func:`fails`: after a frame the client must fail the connection on, it must not go on (no echo, no pong)
  and must close: a close frame (its code judged non-strict when it is not one of ``codes``) or TCP;
* :func:`not_established`: after a handshake answer the client must refuse, it must send no data frame and
  close TCP (§4.1: _Fail the WebSocket Connection_ before it was established).

Every wait ends at the case's deadline or sooner; events are compared as values (:class:`Message` equality
ignores nothing but compression, which is never agreed here).
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.catalog.wsclient.context import ClientCase
from conformance.catalog.wsclient.peer import Closed, ServerSide, WsEvent
from conformance.model import Outcome, Verdict
from conformance.wire.wsrecv import CloseFrame, Message, Ping, Pong

__all__ = ["conversation", "describe", "fails", "not_established", "server_closes"]

Expected = Message | Pong

#: what the reports say a client must do when the server closes
ANSWER_CLOSE = "a close frame in reply to the server's close (§5.5.1)"


def describe(events: Sequence[object]) -> str:
    return ", ".join(str(e) for e in events) or "nothing"


async def _collect(side: ServerSide, count: int, within: float
                   ) -> tuple[list[WsEvent], CloseFrame | Closed | None]:
    """Up to ``count`` messages and pongs from the client within ``within`` seconds; also the close frame
    or TCP close that ended them early (None if none)."""
    got: list[WsEvent] = []
    end = side.window(within)
    while len(got) < count:
        ev = await side.event_by(end)
        if ev is None:
            return got, None
        if isinstance(ev, Ping):  # the client's own keepalive: answered, not judged here
            continue
        if isinstance(ev, (CloseFrame, Closed)):
            return got, ev
        got.append(ev)
    return got, None


def _same(got: Sequence[WsEvent], expected: Sequence[Expected]) -> bool:
    """The messages in order and the pongs in order: how the two interleave is not a requirement (a
    browser answers a ping at once and echoes through its application later)."""
    def split(events: Sequence[object]) -> tuple[list[object], list[object]]:
        messages: list[object] = [e for e in events if isinstance(e, Message)]
        return messages, [e for e in events if not isinstance(e, Message)]
    return split(got) == split(expected)


async def server_closes(
    side: ServerSide,
    ctx: ClientCase,
    code: int | None = 1000,
    reason: bytes = b"",
    *,
    echo: tuple[int | None, ...] = (1000,),
) -> tuple[Outcome, str, str, int | None]:
    """The server sends a close frame; the client MUST answer with one (§5.5.1), then the server closes TCP.

    Returns the close axis, Autobahn's close word, what happened, and the client's close code. A reply
    whose code is not in ``echo`` is non-strict (§5.5.1: an endpoint "typically echos the status code")."""
    side.send_close(code, reason)
    end = side.window(ctx.close_timeout)
    while True:
        ev = await side.event_by(end)
        if ev is None:
            side.close_tcp()
            return Outcome.FAILED, "FAILED", f"no close frame within {ctx.close_timeout:g}s", None
        if isinstance(ev, Closed):
            return Outcome.FAILED, "FAILED", f"{ev} without a close frame in reply", None
        if isinstance(ev, CloseFrame):
            side.close_tcp()
            if ev.code in echo:
                return Outcome.PASSED, "OK", f"close {ev.code}", ev.code
            return (
                Outcome.NON_STRICT,
                "WRONG CODE",
                f'close {ev.code} (the server\'s close was {code}; an endpoint "typically echos" it)',
                ev.code,
            )


async def conversation(
    ctx: ClientCase,
    side: ServerSide,
    expected: Sequence[Expected],
    *,
    close_code: int | None = 1000,
    close_reason: bytes = b"",
    echo: tuple[int | None, ...] = (1000,),
) -> Verdict:
    """The client must send ``expected`` (messages in order, pongs in order: :func:`_same`), then answer the
    server's close with a close frame."""
    within = max(0.0, side.remaining() - ctx.close_timeout - 0.2)
    got, ended = await _collect(side, len(expected), within)
    behavior = Outcome.PASSED if _same(got, expected) else Outcome.FAILED
    actual = describe(got)
    if ended is not None:
        # the client closed before the server did: it was not asked to (the echo contract)
        actual += f", then {ended if isinstance(ended, Closed) else f'close {ended.code}'}"
        side.close_tcp()
        return Verdict(
            behavior,
            Outcome.FAILED,
            expected=(describe(expected), ANSWER_CLOSE),
            actual=actual,
            close_detail="FAILED",
            remote_close_code=getattr(ended, "code", None),
        )
    close, word, how, code = await server_closes(side, ctx, close_code, close_reason, echo=echo)
    return Verdict(
        behavior,
        close,
        expected=(f"{describe(expected)}, then {ANSWER_CLOSE}",),
        actual=f"{actual}; {how}",
        close_detail=word,
        remote_close_code=code,
    )


async def fails(
    ctx: ClientCase,
    side: ServerSide,
    codes: tuple[int, ...] = (1002,),
    before: Sequence[Expected] = (),
    *,
    bad_close: bytes | None = None,
) -> Verdict:
    """The client may send ``before`` (the echoes of what came before the bad frame), then must fail the
    connection: no other message or pong; a close frame (code in ``codes``, else non-strict; no code:
    non-strict, §7.1.7 makes the code a SHOULD) or a TCP close, within :attr:`ClientCase.fail_wait`
    seconds. ``bad_close``: the malformed close payload the server sent; a reply echoing it took the close
    as valid (failed)."""
    want = " or ".join(str(c) for c in codes)
    expected = (
        f"{describe(before) + ', then ' if before else ''}close {want} or TCP close, nothing processed "
        "after the frame",
    )
    # The echoes of what came before the bad frame are the application's: a client may fail the connection
    # before its application sends them (a browser does), so they may come or not, in order; anything else
    # (an echo of the bad frame, a pong for the ping after it) means the client went on.
    got: list[WsEvent] = []
    ended: CloseFrame | Closed | None = None
    end = side.window(ctx.fail_wait)
    while ended is None:
        ev = await side.event_by(end)
        if ev is None:
            side.close_tcp()
            return Verdict(
                Outcome.FAILED,
                Outcome.FAILED,
                expected=expected,
                close_detail="FAILED",
                actual=f"the connection was still open {ctx.fail_wait:g}s later"
                + (f"; it sent: {describe(got)}" if got else ""),
            )
        if isinstance(ev, (CloseFrame, Closed)):
            ended = ev
        elif not isinstance(ev, Ping):
            got.append(ev)
    allowed = 0
    while allowed < min(len(got), len(before)) and got[allowed] == before[allowed]:
        allowed += 1
    went_on = got[allowed:]
    behavior = Outcome.FAILED if went_on else Outcome.PASSED
    prefix = f"it went on: {describe(went_on)}, then " if went_on else ""
    if isinstance(ended, Closed):
        return Verdict(behavior, Outcome.PASSED, expected=expected, actual=f"{prefix}{ended}")
    if not side.sent_close:
        side.send_close(ended.code if ended.code is not None else None)
    side.close_tcp()
    if bad_close is not None and ended.payload[:2] == bad_close[:2]:
        return Verdict(
            Outcome.FAILED,
            Outcome.FAILED,
            expected=expected,
            close_detail="FAILED",
            actual=f"{prefix}it answered the malformed close as a valid one, echoing {ended.payload[:2]!r}",
            remote_close_code=ended.code,
        )
    if ended.code in codes:
        return Verdict(
            behavior,
            Outcome.PASSED,
            expected=expected,
            actual=f"{prefix}close {ended.code}",
            remote_close_code=ended.code,
        )
    why = "no status code (§7.1.7 makes it a SHOULD)" if ended.code is None else f"code {ended.code}"
    return Verdict(
        behavior,
        Outcome.NON_STRICT,
        expected=expected,
        actual=f"{prefix}close with {why}",
        close_detail="WRONG CODE",
        remote_close_code=ended.code,
    )


async def not_established(ctx: ClientCase, side: ServerSide) -> Verdict:
    """After an answer the client must refuse: it sends no data frame and closes TCP (a close frame on the
    way is noted, not judged). The server sends a text message to see whether the client takes it."""
    side.send(0x1, b"Hello")
    expected = ("no data frame (the connection is not established), TCP close",)
    noted: list[str] = []
    end = side.window(ctx.fail_wait)
    while True:
        ev = await side.event_by(end)
        if ev is None:
            side.close_tcp()
            return Verdict(
                Outcome.FAILED,
                Outcome.FAILED,
                expected=expected,
                close_detail="FAILED",
                actual=f"{'; '.join([*noted, ''])}the connection was still open {ctx.fail_wait:g}s "
                "after the answer",
            )
        if isinstance(ev, Message):
            side.close_tcp()
            return Verdict(
                Outcome.FAILED,
                Outcome.FAILED,
                expected=expected,
                close_detail="FAILED",
                actual=f"the client took the connection as established and sent {ev}",
            )
        if isinstance(ev, CloseFrame):  # it failed the connection as if established: noted, TCP closed here
            noted.append(f"close frame {ev.code}")
            side.close_tcp()
            return Verdict(
                expected=expected,
                actual="; ".join(noted),
                notes=(f"a close frame ({ev.code}) on a connection never established",),
            )
        if isinstance(ev, Closed):
            return Verdict(
                expected=expected,
                actual="; ".join([*noted, str(ev)]),
                notes=tuple(f"a {n} on a connection never established" for n in noted),
            )
