"""Run one plan against a target over the wire and judge the target's reaction.

The oracle (an echo server is assumed, as for the conformance catalog):

* valid traffic: every message comes back, in order, byte for byte, with no RFC deviation in the
  target's frames; then the runner's Close (or the plan's valid Close) is answered by a Close with a
  valid code and a TCP close. When the plan ends with its own Close, the target may answer it before
  echoing the messages that came just before (echoing is the application's choice; RFC 6455 §5.5.1
  only says it "MAY delay sending a Close frame until its current message is sent"), so the echoes
  only need to be a prefix of the messages;
* a violation: the target fails the connection, with a Close frame carrying one of the plan's codes or
  a TCP close without one (RFC 6455 §7.1.7), and never echoes the violating message (unless the rule
  binds only the sender, see ``Plan.tolerated``); the messages before it may or may not be echoed
  (a failing connection sends nothing more, and they may have arrived in the same read);
* in both cases nothing may hang: the reaction must come within ``timeout`` seconds.

``liveness`` checks separately that the target still accepts a new connection and echoes on it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from conformance.wire.endpoint import Endpoint
from conformance.wire.transcript import Transcript
from conformance.wire.ws import HandshakeFailed, Message, WsClient
from conformance.wire.wsframes import TEXT, frame
from conformance.wire.wsrecv import close_code_problem
from conformance.wirefuzz.plan import Group, Plan

__all__ = ["Verdict", "execute", "liveness"]

_PROBE = Plan((Group("liveness probe", (frame(TEXT, b"alive?"),), (False, b"alive?")),))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement of one plan: ``kind`` is "" when the target behaved.

    Attributes:
        kind: "handshake", "wrong-echo", "deviation", "hang", "accepted-invalid", "bad-close-code",
            "no-close-answer", "not-live" or "" (fine).
        detail: one line saying what was expected and what happened.
        transcript: what crossed the wire.
    """

    kind: str
    detail: str
    transcript: Transcript

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.kind


async def execute(plan: Plan, endpoint: Endpoint, *, timeout: float = 3.0) -> Verdict:
    """Send ``plan`` on a new connection and judge the reaction (see the module docstring).

    Raises:
        OSError: the target refused the TCP connection (the caller decides whether that is a finding).
    """
    loop = asyncio.get_running_loop()
    transcript = Transcript()
    ws = WsClient(endpoint, deadline=loop.time() + timeout + 0.5, transcript=transcript,
                  close_timeout=timeout, reserve=0.25)
    try:
        try:
            await ws.open()
        except HandshakeFailed as exc:
            return Verdict("handshake", f"no valid 101: {exc}", transcript)
        kind, detail = await _drive(ws, plan)
        return Verdict(kind, detail, transcript)
    finally:
        ws.release()


async def _drive(ws: WsClient, plan: Plan) -> tuple[str, str]:
    for group in plan.groups:
        ws.transcript.note(f"fuzz group: {group.label}")
        await ws.send(group.data, chop=group.chop)
        if ws.tcp_closed:
            break
    if plan.violation is not None:
        return await _judge_violation(ws, plan)
    return await _judge_valid(ws, plan)


def _messages(ws: WsClient) -> list[tuple[bool, bytes]]:
    return [(ev.binary, ev.data) for ev in ws.events if isinstance(ev, Message)]


def _show(echoes: list[tuple[bool, bytes]]) -> str:
    return "[" + ", ".join(f"{'binary' if b else 'text'} {len(d)}B {d[:12]!r}" for b, d in echoes[:6]) + \
        (", ..." if len(echoes) > 6 else "") + "]"


async def _judge_valid(ws: WsClient, plan: Plan) -> tuple[str, str]:
    want = plan.echoes
    await ws.wait(lambda: len(_messages(ws)) >= len(want) or ws.target_close is not None)
    got = _messages(ws)
    if got != want and not (plan.closes and ws.target_close is not None and got == want[:len(got)]):
        kind = "hang" if ws.is_open and len(got) < len(want) else "wrong-echo"
        return kind, f"expected echoes {_show(want)}, got {_show(got)}; {ws.close_info().describe()}"
    if ws.deviations:
        return "deviation", "; ".join(ws.deviations[:3])
    if not plan.closes:
        await ws.close(1000)
    await ws.wait(lambda: ws.target_close is not None and ws.tcp_closed)
    info = ws.close_info()
    if ws.target_close is None:
        return ("hang" if not ws.tcp_closed else "no-close-answer"), \
            f"expected a close frame answering the runner's close, then a tcp close; {info.describe()}"
    code = ws.target_close.code
    if code is not None and (problem := close_code_problem(code)) is not None:
        return "bad-close-code", problem
    if not ws.tcp_closed:
        return "hang", f"expected the tcp close after the closing handshake; {info.describe()}"
    return "", ""


async def _judge_violation(ws: WsClient, plan: Plan) -> tuple[str, str]:
    want = plan.echoes
    # Decided as soon as one message more than the valid ones comes back (the violating one, accepted).
    await ws.wait(lambda: ws.tcp_closed or len(_messages(ws)) > len(want))
    got = _messages(ws)
    info = ws.close_info()
    expected = f"expected close {'/'.join(map(str, plan.codes))} or a tcp close after {plan.violation}"
    if plan.tolerated is not None and got == [*want, plan.tolerated] and not ws.deviations:
        return "", ""  # the target accepted a frame whose rule binds only the sender
    if len(got) > len(want):
        return "accepted-invalid", f"{expected}; echoes {_show(got)} instead of {_show(want)}"
    if got != want[:len(got)]:
        return "wrong-echo", f"expected echoes {_show(want)} (or fewer), got {_show(got)}"
    if not ws.tcp_closed:
        return "hang", f"{expected}; {info.describe()} after the timeout"
    code = ws.target_close.code if ws.target_close is not None else None
    if ws.target_close is not None and code not in plan.codes:
        return "bad-close-code", f"{expected}; {info.describe()}"
    return "", ""


async def liveness(endpoint: Endpoint, *, timeout: float = 3.0) -> Verdict:
    """Open a new connection, echo one message, close: the target must still serve."""
    try:
        verdict = await execute(_PROBE, endpoint, timeout=timeout)
    except OSError as exc:
        return Verdict("not-live", f"new connection refused: {exc}", Transcript())
    return verdict if verdict.ok else Verdict("not-live", f"{verdict.kind}: {verdict.detail}",
                                              verdict.transcript)
