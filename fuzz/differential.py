"""Differential testing: the same client bytes fed to our server core, to ``wsproto`` and to ``websockets``.

Each implementation's reaction is normalised to a list of items, cut at the first Close or failure
(RFC 6455 §1.4: after a Close "a peer discards any further data received")::

    ("text", str) ("binary", bytes) ("ping", bytes) ("pong", bytes) ("close", code | None, reason)
    ("fail", close code)

Normalisation choices (not disagreements):

* all three run in the server role with no size limit and no extension;
* ``websockets``' sans-IO ``Protocol`` hands out frames and leaves UTF-8 decoding of text messages to
  its message assembler, so we join the fragments and decode strictly, failing with 1007 as its
  assembler's connection does;
* ``wsproto``'s ``FrameProtocol`` reports an empty Close as code 1005 (NO_STATUS_RCVD): that is ``None``.

A difference is allowed only when a rule of ``RULES`` explains it; ``docs/differential.md`` lists the
same rules with their RFC citations. ``compare(data)`` returns the unexplained differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from websockets.exceptions import ProtocolError as WsProtocolError
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import Protocol, Side, State
from wsproto.frame_protocol import FrameProtocol, ParseFailed
from wsproto.frame_protocol import Opcode as WpOpcode

from conformance.wire.wsframes import FrameReader
from reference.core.ws.events import (
    BinaryMessage,
    CloseReceived,
    PingReceived,
    PongReceived,
    TextMessage,
)
from reference.core.ws.protocol import Connection

__all__ = ["RULES", "Difference", "Reaction", "Rule", "compare", "explain", "ours", "websockets_reaction",
           "wsproto_reaction"]

Item = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Reaction:
    """What one implementation made of the bytes; ``why`` is its failure message, if it failed."""

    items: tuple[Item, ...]
    why: str = ""

    @property
    def failed(self) -> int | None:
        """The close code it failed with, or None."""
        last = self.items[-1] if self.items else ()
        return last[1] if last[:1] == ("fail",) else None  # type: ignore[return-value]


def _cut(items: list[Item]) -> tuple[Item, ...]:
    for i, item in enumerate(items):
        if item[0] in ("close", "fail"):
            return tuple(items[:i + 1])
    return tuple(items)


def ours(data: bytes) -> Reaction:
    """The reference core's reaction."""
    conn = Connection(max_message_size=2**63)  # above any length the parser accepts
    conn.receive_data(data)
    items: list[Item] = []
    for ev in conn.events_received():
        if isinstance(ev, TextMessage):
            items.append(("text", ev.text))
        elif isinstance(ev, BinaryMessage):
            items.append(("binary", ev.data))
        elif isinstance(ev, PingReceived):
            items.append(("ping", ev.payload))
        elif isinstance(ev, PongReceived):
            items.append(("pong", ev.payload))
        elif isinstance(ev, CloseReceived):
            items.append(("close", ev.code, ev.reason))
    if conn.failure is not None:
        items.append(("fail", conn.failure.close_code))
        return Reaction(_cut(items), conn.failure.msg)
    return Reaction(_cut(items))


def wsproto_reaction(data: bytes) -> Reaction:
    """``wsproto.frame_protocol.FrameProtocol``'s reaction (server role, no extension)."""
    proto = FrameProtocol(client=False, extensions=[])
    proto.receive_bytes(data)
    items: list[Item] = []
    texts: list[str] = []
    binaries: list[bytes] = []
    try:
        for fr in proto.received_frames():
            payload = fr.payload
            if isinstance(payload, tuple):  # a Close frame: (code, reason)
                code, reason = payload
                items.append(("close", None if code == 1005 else int(code), reason))
                break
            if isinstance(payload, str):
                texts.append(payload)
                if fr.message_finished:
                    items.append(("text", "".join(texts)))
                    texts = []
            elif fr.opcode in (WpOpcode.PING, WpOpcode.PONG):
                items.append(("ping" if fr.opcode is WpOpcode.PING else "pong", bytes(payload)))
            else:
                binaries.append(bytes(payload))
                if fr.message_finished:
                    items.append(("binary", b"".join(binaries)))
                    binaries = []
    except ParseFailed as exc:
        items.append(("fail", int(exc.code)))
        return Reaction(_cut(items), str(exc))
    return Reaction(_cut(items))


def websockets_reaction(data: bytes) -> Reaction:
    """``websockets.protocol.Protocol``'s reaction (server role, OPEN, no size limit)."""
    proto = Protocol(Side.SERVER, state=State.OPEN, max_size=None)
    proto.receive_data(data)
    items: list[Item] = []
    parts: list[bytes] = []
    text = False
    for fr in proto.events_received():
        if not isinstance(fr, Frame):
            continue
        if fr.opcode in (Opcode.PING, Opcode.PONG):
            items.append(("ping" if fr.opcode is Opcode.PING else "pong", bytes(fr.data)))
        elif fr.opcode is Opcode.CLOSE:
            close = Close.parse(fr.data)
            items.append(("close", None if close.code == 1005 else close.code, close.reason))
            break
        else:
            text = fr.opcode is Opcode.TEXT if fr.opcode is not Opcode.CONT else text
            parts.append(bytes(fr.data))
            if fr.fin:
                payload, parts = b"".join(parts), []
                if not text:
                    items.append(("binary", payload))
                    continue
                try:
                    items.append(("text", payload.decode("utf-8")))
                except UnicodeDecodeError as exc:  # what its assembler does: fail with 1007
                    return Reaction(_cut([*items, ("fail", 1007)]), str(exc))
    if proto.parser_exc is not None and proto.close_sent is not None:
        items.append(("fail", int(proto.close_sent.code)))
        return Reaction(_cut(items), str(proto.parser_exc))
    return Reaction(_cut(items))


@dataclass(frozen=True, slots=True)
class Rule:
    """A documented reason why ``ours`` may differ from ``theirs`` (see docs/differential.md)."""

    name: str
    applies: Callable[[Reaction, Reaction], bool]


def _before_failure(our: Reaction, their: Reaction) -> bool:
    """Everything before our failure matches, and theirs did not go on past it with something else."""
    head = our.items[:-1]
    return their.items[:len(head)] == head


def _strict_header(prefix: str) -> Callable[[Reaction, Reaction], bool]:
    def applies(our: Reaction, their: Reaction) -> bool:
        return our.failed == 1002 and our.why.startswith(prefix) and _before_failure(our, their)

    return applies


def _fail_fast_utf8(our: Reaction, their: Reaction) -> bool:
    # RFC 6455 §8.1: invalid UTF-8 "MUST _Fail the WebSocket Connection_"; we fail at the first byte that
    # cannot start valid UTF-8, while the text message is still arriving. A library that decodes whole
    # messages reports the control frames between the fragments first, then fails (or meets another
    # error, or a Close, first; or just waits for the rest of the message).
    if our.failed != 1007 or not our.why.startswith("invalid utf-8") or not _before_failure(our, their):
        return False
    rest = their.items[len(our.items) - 1:]
    ends = ("fail", "close")
    return all(item[0] in ("ping", "pong") for item in rest[:-1]) and (
        not rest or rest[-1][0] in ("ping", "pong", *ends))


def _control_extended_length(our: Reaction, their: Reaction) -> bool:
    # RFC 6455 §5.5: control frames "MUST have a payload length of 125 bytes or less"; we refuse the
    # 16- and 64-bit length forms on a control frame from the length code, before reading the value.
    # websockets reads the value and accepts a short payload sent in the long form (only §5.2's
    # minimal-encoding MUST, on the sender, is broken then), or fails later on its content.
    head = our.items[:-1]
    strict = our.failed == 1002 and our.why.startswith("control frame too long") \
        and "length code 12" in our.why
    nxt = their.items[len(head):len(head) + 1]
    return strict and _before_failure(our, their) and bool(nxt) \
        and nxt[0][0] in ("ping", "pong", "close", "fail")


def _close_check_order(our: Reaction, their: Reaction) -> bool:
    # A Close frame with an invalid code and an invalid UTF-8 reason: both fail; we check the code first
    # (RFC 6455 §7.4: 1002), the library the reason first (§8.1: 1007). Either error fails the connection.
    return (our.failed == 1002 and our.why.startswith("invalid close code") and their.failed == 1007
            and our.items[:-1] == their.items[:-1])


def _close_inside_message(our: Reaction, their: Reaction) -> bool:
    # RFC 6455 §5.4: "Control frames (see Section 5.5) MAY be injected in the middle of a fragmented
    # message." A Close is a control frame: we accept it there, websockets fails with 1002.
    return (bool(our.items) and our.items[-1][0] == "close" and their.failed == 1002
            and "fragmented message" in their.why and their.items[:-1] == our.items[:-1])


def _close_code_1014(our: Reaction, their: Reaction) -> bool:
    # RFC 6455 §7.4.2: 1000-2999 are for "this protocol, its future revisions, and extensions"; the IANA
    # "WebSocket Close Code Number Registry" assigned 1014 (Bad Gateway), which wsproto 1.3 still refuses.
    return (bool(our.items) and our.items[-1][:2] == ("close", 1014) and their.failed == 1002
            and their.items[:-1] == our.items[:-1])


def _truncated(data: bytes) -> bool:
    reader = FrameReader(2**64)
    reader.feed(data)
    return reader.buffered > 0


def _header_first(data: bytes) -> Callable[[Reaction, Reaction], bool]:
    # The input stops inside a frame whose header already breaks a rule. One implementation fails at the
    # header, the other waits for the whole frame before checking. Both are what RFC 6455 asks ("MUST
    # _Fail_" says nothing of when); given the rest of the frame, both fail (the untruncated inputs check
    # that).
    def applies(our: Reaction, their: Reaction) -> bool:
        if not _truncated(data):
            return False
        short, long = (our, their) if len(our.items) < len(their.items) else (their, our)
        return short.failed is None and long.failed is not None and long.items[:-1] == short.items

    return applies


RULES = (
    Rule("fail-fast-utf8", _fail_fast_utf8),
    Rule("non-minimal-length", _strict_header("non-minimal length encoding")),
    Rule("length-msb-set", _strict_header("64-bit length with the most significant bit set")),
    Rule("control-frame-extended-length", _control_extended_length),
    Rule("close-check-order", _close_check_order),
    Rule("close-inside-fragmented-message", _close_inside_message),
    Rule("close-code-1014", _close_code_1014),
)


@dataclass(frozen=True, slots=True)
class Difference:
    """An unexplained difference between our reaction and a library's."""

    library: str
    ours: Reaction
    theirs: Reaction


def explain(data: bytes, our: Reaction, their: Reaction) -> str | None:
    """The name of the rule explaining the difference ("" when there is none to explain), or None."""
    if our.items == their.items:
        return ""
    rule = next((rule.name for rule in RULES if rule.applies(our, their)), None)
    if rule is None and _header_first(data)(our, their):
        return "truncated-frame-checked-at-header"
    return rule


def compare(data: bytes) -> list[Difference]:
    """Feed ``data`` to the three implementations; return the differences no rule explains."""
    our = ours(data)
    found = []
    for library, react in (("wsproto", wsproto_reaction), ("websockets", websockets_reaction)):
        try:
            their = react(data)
        except (WsProtocolError, ValueError, AssertionError, UnicodeDecodeError) as exc:
            their = Reaction((("crash", type(exc).__name__),), str(exc))
        if explain(data, our, their) is None:
            found.append(Difference(library, our, their))
    return found
