"""Shared verifiers for WebSocket cases: each accepts every legal reaction and reports expected vs actual.

The model is Autobahn's (protocol-test-matrix §1.4), made stricter where RFC 6455 is:

* **behaviour**: the list of events the target produced (``ws.events``: messages, pongs, timeout markers)
  must equal the ``ok`` list (passed) or the ``non_strict`` list (non-strict); anything else fails. Any
  deviation seen in the target's frames (masked frame, RSV bits, bad close code...) also fails it.
* **close**: a :class:`CloseRule` says who must close ("runner": the runner starts the closing handshake
  once the events are in; "target": the target must fail/close the connection), which codes are allowed
  (a close frame without a code is always allowed), and whether a clean close is required. A close frame
  from the runner must be answered with a close frame (§5.5.1) when ``require_clean``. Who closed TCP
  first is recorded; a target that leaves TCP open after the closing handshake is non-strict (§7.1.1).

Verifiers never sleep a fixed time: they wait for an event, the connection's end, or a deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conformance.model import CaseFailed, Outcome, Verdict
from conformance.wire.ws import CloseInfo, Event, Message, Timeout, WsClient

__all__ = [
    "RUNNER_CLOSES",
    "CloseRule",
    "conversation",
    "echo",
    "fail",
    "informational",
    "runner_closes",
    "target_fails",
]


@dataclass(frozen=True, slots=True)
class CloseRule:
    """How the connection must end.

    Attributes:
        by: "runner" (the runner sends a close frame once the expected events arrived; the target must
            answer it) or "target" (the target must fail or close the connection itself).
        codes: status codes allowed in the target's close frame; None allows any valid code. A close
            frame without a code is accepted either way (a 1-byte payload is a deviation, never accepted).
        require_clean: the target must send a close frame (a bare TCP close/reset is not enough).
        runner_code: the code the runner closes with when ``by == "runner"`` (None = empty payload).
    """

    by: str = "runner"
    codes: frozenset[int] | None = frozenset({1000})
    require_clean: bool = True
    runner_code: int | None = 1000

    def __post_init__(self) -> None:
        if self.by not in ("runner", "target"):
            raise ValueError(f"close rule 'by' must be 'runner' or 'target', not {self.by!r}")

    def describe(self) -> str:
        """One line for the ``expected`` list."""
        codes = "any valid code" if self.codes is None else " or ".join(map(str, sorted(self.codes)))
        if self.by == "runner":
            answer = f"answers with close {codes}" + ("" if self.require_clean else " or drops tcp")
            return f"after the runner's close {self.runner_code}, the target {answer}"
        return f"target fails the connection: close {codes}" + ("" if self.require_clean else " or tcp close")


#: The usual ending: the runner closes with 1000 and the target answers with a close frame (1000).
RUNNER_CLOSES = CloseRule()


def runner_closes(*codes: int, code: int | None = 1000, clean: bool = True) -> CloseRule:
    """The runner starts the closing handshake with ``code``; the target must answer with one of ``codes``."""
    return CloseRule("runner", frozenset(codes) if codes else None, clean, code)


def target_fails(*codes: int, clean: bool = False) -> CloseRule:
    """The target must fail the connection: close with one of ``codes`` or (unless ``clean``) a TCP close."""
    return CloseRule("target", frozenset(codes) if codes else None, clean, None)


#: Events listed in an ``expected``/``actual`` text: the first ones and the last ones, the rest counted.
SHOW_FIRST, SHOW_LAST = 12, 4


def show_events(events: Sequence[Event]) -> str:
    """The events as a reader says them: "no message from the target", "from the target: message(...),
    pong(...)", "nothing from the target, still open at checkpoints A and B" (a timeout marker is the
    connection still being open when a checkpoint's wait ended). A long list shows its first and last
    events and how many are between."""
    if not events:
        return "no message from the target"
    items: list[str] = []
    waits: list[str] = []
    for event in events:
        if isinstance(event, Timeout):
            waits.append(event.tag)
            continue
        if waits:
            items.append(_still_open(waits))
            waits = []
        items.append(str(event))
    if waits:
        items.append(_still_open(waits))
    if len(items) > SHOW_FIRST + SHOW_LAST:
        skipped = f"... ({len(items) - SHOW_FIRST - SHOW_LAST} more events)"
        items = [*items[:SHOW_FIRST], skipped, *items[-SHOW_LAST:]]
    if isinstance(events[0], Timeout):
        return "nothing from the target, " + ", then ".join(items)
    return "from the target: " + ", ".join(items[:1] + [("then " if i.startswith("still") else "") + i
                                                         for i in items[1:]])


def _still_open(tags: Sequence[str]) -> str:
    names = tags[0] if len(tags) == 1 else ", ".join(tags[:-1]) + " and " + tags[-1]
    return f"still open at checkpoint{'s' if len(tags) > 1 else ''} {names}"


async def conversation(ws: WsClient, ok: Sequence[Event], *, close: CloseRule = RUNNER_CLOSES,
                       non_strict: Sequence[Event] | None = None, timeout: float | None = None) -> Verdict:
    """Wait for the target's events and the end of the connection, then judge both axes.

    Args:
        ok: the exact event list that passes.
        non_strict: an event list that is acceptable but not preferred (e.g. fail before echo).
        close: how the connection must end.
        timeout: how long to wait for the events (default: until the case deadline).
    """
    lists: list[tuple[Outcome, list[Event]]] = [(Outcome.PASSED, list(ok))]
    if non_strict is not None:
        lists.append((Outcome.NON_STRICT, list(non_strict)))

    def viable() -> bool:
        n = len(ws.events)
        return any(n <= len(lst) and ws.events == lst[:n] for _, lst in lists)

    if close.by == "runner":
        await ws.wait(lambda: ws.events == lists[0][1] or not viable() or not ws.is_open, timeout)
        if ws.is_open:
            await ws.close(close.runner_code)
    else:
        await ws.wait(lambda: not ws.is_open or not viable(), timeout or ws.close_timeout)
    await _finish_close(ws)
    return judge(ws, lists, close)


async def _finish_close(ws: WsClient) -> None:
    """Wait for the closing handshake and the TCP close; the runner closes TCP itself if the target won't."""
    await ws.wait(lambda: ws.tcp_closed or (ws.runner_close is not None and ws.target_close is not None),
                  ws.close_timeout)
    if ws.runner_close is not None and ws.target_close is not None:
        await ws.wait(lambda: ws.tcp_closed, ws.close_timeout)
    if not ws.tcp_closed:
        ws.abort(f"the connection was still open {ws.close_timeout}s after the last step")


def judge(ws: WsClient, lists: Sequence[tuple[Outcome, Sequence[Event]]], close: CloseRule) -> Verdict:
    """The verdict for what ``ws`` observed, against the event lists and the close rule."""
    events = list(ws.events)
    behavior = next((outcome for outcome, lst in lists if list(lst) == events), Outcome.FAILED)
    expected = [show_events(lst) + ("" if o is Outcome.PASSED else f" ({o.value})") for o, lst in lists]
    actual = [show_events(events)]
    if ws.deviations:
        behavior = Outcome.FAILED
        actual.append("deviations: " + "; ".join(ws.deviations[:5]))
    info = ws.close_info()
    close_outcome, detail, why = judge_close(info, close)
    actual.append(info.describe() if not why else f"{why} ({info.describe()})")
    return Verdict(behavior, close_outcome, (*expected, close.describe()), "; ".join(actual), detail,
                   info.target_code)


def judge_close(info: CloseInfo, rule: CloseRule) -> tuple[Outcome, str, str]:
    """Judge how the connection ended: (outcome, Autobahn close word, reason if not OK)."""
    if info.initiator is not None and info.initiator != rule.by:
        return Outcome.FAILED, "FAILED", f"the connection was closed by the wrong endpoint ({info.initiator})"
    dropped = info.tcp_closed and info.tcp_closed_by == "target"
    if info.target_close is None:
        if not dropped:
            why = ("the target did not fail the connection" if rule.by == "target"
                   else "the target neither answered the close frame nor closed tcp")
            return Outcome.FAILED, "FAILED", why
        if rule.by == "runner" and info.initiator is None:
            return Outcome.FAILED, "FAILED", "the target closed tcp without a closing handshake"
        if rule.require_clean:
            # RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close
            # frame, the endpoint MUST send a Close frame in response."
            return Outcome.FAILED, "UNCLEAN", "tcp closed without a close frame from the target"
        return Outcome.PASSED, "OK", ""
    code = info.target_close.code
    if code is not None and rule.codes is not None and code not in rule.codes:
        # §5.5.1: the reply to a valid close is a MUST, its code only what an endpoint "typically" echoes
        lax = rule.by == "runner" and 1000 in rule.codes
        why = f"close code {code} not in {sorted(rule.codes)}"
        return Outcome.NON_STRICT if lax else Outcome.FAILED, "WRONG CODE", why
    if info.tcp_closed_by == "runner":
        # §7.1.1: "the underlying TCP connection, in most normal cases, SHOULD be closed first by the server"
        return Outcome.NON_STRICT, "NON-STRICT", "the target did not close tcp after the closing handshake"
    return Outcome.PASSED, "OK", ""


async def echo(ws: WsClient, messages: Sequence[Event], *, close: CloseRule = RUNNER_CLOSES,
               timeout: float | None = None) -> Verdict:
    """The target must send exactly ``messages`` (echoes, pongs), then answer the runner's close."""
    return await conversation(ws, messages, close=close, timeout=timeout)


async def fail(ws: WsClient, *codes: int, ok: Sequence[Event] = (), non_strict: Sequence[Event] | None = None,
               clean: bool = False) -> Verdict:
    """The target must fail the connection: close with one of ``codes`` (default 1002) or drop TCP.

    ``ok`` are the events allowed before failing (e.g. the echo of a valid first message); ``non_strict``
    another acceptable list (e.g. failing before that echo).
    """
    rule = target_fails(*(codes or (1002,)), clean=clean)
    return await conversation(ws, ok, close=rule, non_strict=non_strict)


async def informational(ws: WsClient, *, wait_for: int = 0, timeout: float | None = None) -> Verdict:
    """Record what the target does where the RFC leaves it open (after ``wait_for`` events or the timeout).

    What the RFC does require is still judged: the target must react to the runner's close at all, with
    a close frame of its own or by closing TCP, and must not break a framing rule while doing so.
    """
    await ws.wait(lambda: len(ws.events) >= wait_for or not ws.is_open, timeout)
    if ws.is_open:
        await ws.close(1000)
    await _finish_close(ws)
    info = ws.close_info()
    actual = f"{show_events(ws.events)}; {info.describe()}"
    if ws.deviations:
        raise CaseFailed(["server frames that follow RFC 6455 §5"],
                         actual + "; deviations: " + "; ".join(ws.deviations[:5]))
    # RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame,
    # the endpoint MUST send a Close frame in response." Failing the connection (TCP close) is the other
    # legal reaction when the endpoint finds the Close invalid.
    if info.target_close is None and info.tcp_closed_by != "target" and not info.reset:
        raise CaseFailed(["a close frame in reply to the runner's close, or a TCP close by the target"],
                         actual, axis="close")
    return Verdict.informational(actual, remote_close_code=info.target_code)


def text(s: str) -> Message:
    """Shorthand for ``Message.text(s)``."""
    return Message.text(s)


def binary(data: bytes) -> Message:
    """Shorthand for ``Message(data, binary=True)``."""
    return Message(data, True)


__all__ += ["binary", "judge", "judge_close", "show_events", "text"]
