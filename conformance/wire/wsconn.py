"""The runner's side of one WebSocket connection, sans-IO: bytes from the target in, what happened out.

:class:`WsClientConnection` never touches a socket, a clock or an event loop. The I/O layer
(:mod:`conformance.wire.ws`, through a :class:`~conformance.wire.stream.Stream`) tells it what happens:

* ``connection_made(peer)``: the TCP (or TLS) connection is up;
* ``send_request(offers)`` / ``send_close(payload)``: the runner is sending the opening request (offering
  the extension elements ``offers``) / a close frame
  (the I/O layer writes those bytes itself, with whatever chopping the case asks for);
* ``receive_data(data)``: bytes from the target, in any chunking;
* ``receive_eof(reset)``: the target closed (or reset) the TCP connection;
* ``abort(reason)``: the runner cuts the TCP connection;

and reads back the :class:`Phase`, the ``events`` and ``frames`` received, the ``response`` head,
``close_info()``, and ``data_to_send()``: the automatic replies to write now (a pong answering the target's
ping, a close frame answering the target's close). It never raises for anything the target sends: bad
input is recorded (a ``handshake_error``, a deviation in ``receiver.deviations``, an ``aborted`` reason).

Nothing is buffered without bound: a response head over ``max_head`` bytes, a frame declaring more than
``max_message`` bytes, a fragmented message passing ``max_message`` bytes, more than ``max_events`` events
or more than ``max_held`` bytes held in events and a message being assembled (:data:`MAX_HELD`, 8 MiB, at
most 4 x ``max_message``; a first message up to ``max_message`` is always kept) make the connection abort
itself with a recorded reason (the I/O layer then cuts TCP). ``frames`` keeps at most ``max_events``
frames and stops growing once it holds :data:`MAX_FRAME_BYTES` (1 MiB) of payload. With many connections
at once (``--jobs``) these per-connection bounds keep the runner's memory flat against a target that
streams without end.

permessage-deflate (RFC 7692): when the runner offered it and the 101 accepts it, ``deflate`` is the
connection's codec (:mod:`conformance.wire.deflate`): ``message_frames`` compresses the runner's messages
with it and the receiver inflates the target's (never past ``max_message`` bytes). An answer that no
offer allows is recorded in ``negotiation_error`` (the connection stays open: cases judge it).

The phase changes only through ``TRANSITIONS[phase][trigger]``; a missing key is an illegal move, which
can only come from the runner's own calls (``RuntimeError``), never from the target's bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from conformance.wire.deflate import NegotiationError, PerMessageDeflate, negotiate
from conformance.wire.http import MAX_HEAD, HttpResponse, parse_response_head
from conformance.wire.transcript import RX, TX, Transcript
from conformance.wire.wsframes import CLOSE, CONT, PONG, Frame, FrameReader, FrameTooLarge, close_payload
from conformance.wire.wsframes import frame as build_frame
from conformance.wire.wsrecv import CloseFrame, Event, Message, MessageTooLarge, Ping, Pong, Receiver, Timeout

__all__ = [
    "MAX_EVENTS",
    "MAX_FRAME_BYTES",
    "MAX_HELD",
    "MAX_MESSAGE",
    "TRANSITIONS",
    "CloseInfo",
    "Phase",
    "Trigger",
    "WsClientConnection",
]

#: The largest frame payload, and the largest fragmented message, the runner reads from a target (the
#: catalog's largest message is 256 KiB; 16 connections at once may each hold one this large).
MAX_MESSAGE = 8 * 2**20
#: The most events (messages, pings, pongs) the runner keeps from one connection.
MAX_EVENTS = 10_000
#: The most payload bytes held in one connection's events (beyond a first message up to MAX_MESSAGE).
MAX_HELD = 8 * 2**20
#: The most payload bytes kept in one connection's ``frames`` (the frames are for judging their headers).
MAX_FRAME_BYTES = 2**20


class Phase(Enum):
    """Where the runner's side of the connection is; what it does with the target's bytes follows from it."""

    #: No opening request sent yet: what the target sends is recorded in the transcript and ignored.
    IDLE = "idle"
    #: The opening request went out; the target's bytes are read as the response head (at most
    #: ``max_head`` bytes).
    HANDSHAKE = "handshake"
    #: A 101 came (its headers are judged by the caller): frames flow, no close frame either way yet.
    OPEN = "open"
    #: A close frame went one way or both (RFC 6455 §7.1.3); frames are still read, and judged, until
    #: the TCP connection closes.
    CLOSING = "closing"
    #: Nothing more is read: the response was not a 101 or not HTTP, or the TCP connection closed
    #: (the target closed or reset it, or the runner cut it).
    DONE = "done"


class Trigger(Enum):
    """What moves a connection from one phase to another."""

    SEND_REQUEST = "send the opening request"
    UPGRADE = "receive a 101 response head"
    REFUSE = "receive a response that is not a 101, or bytes that are not an http response head"
    SEND_CLOSE = "send a close frame"
    RECEIVE_CLOSE = "receive a close frame"
    EOF = "see the target close the tcp connection"
    ABORT = "cut the tcp connection"


IDLE, HANDSHAKE, OPEN, CLOSING, DONE = Phase.IDLE, Phase.HANDSHAKE, Phase.OPEN, Phase.CLOSING, Phase.DONE

#: The phase machine; a missing key is an illegal move. A close frame sent before the 101 (a case may
#: send anything) is only recorded: the phase moves on to CLOSING when the 101 comes.
TRANSITIONS: dict[Phase, dict[Trigger, Phase]] = {
    IDLE: {
        Trigger.SEND_REQUEST: HANDSHAKE,
        Trigger.SEND_CLOSE: IDLE,
        Trigger.EOF: DONE,
        Trigger.ABORT: DONE,
    },
    HANDSHAKE: {
        # RFC 6455 §4.1: "If the status code received from the server is not 101, the client handles the
        # response per HTTP [RFC2616] procedures."
        Trigger.UPGRADE: OPEN,
        Trigger.REFUSE: DONE,
        Trigger.SEND_CLOSE: HANDSHAKE,
        Trigger.EOF: DONE,
        Trigger.ABORT: DONE,
    },
    OPEN: {
        # RFC 6455 §7.1.3: "Upon either sending or receiving a Close control frame, it is said that _The
        # WebSocket Closing Handshake is Started_ and that the WebSocket connection is in the CLOSING state."
        Trigger.SEND_CLOSE: CLOSING,
        Trigger.RECEIVE_CLOSE: CLOSING,
        # RFC 6455 §7.1.4: "When the underlying TCP connection is closed, it is said that _The WebSocket
        # Connection is Closed_ and that the WebSocket connection is in the CLOSED state."
        Trigger.EOF: DONE,
        Trigger.ABORT: DONE,
    },
    CLOSING: {
        Trigger.SEND_CLOSE: CLOSING,
        Trigger.RECEIVE_CLOSE: CLOSING,
        Trigger.EOF: DONE,
        Trigger.ABORT: DONE,
    },
    DONE: {
        Trigger.SEND_CLOSE: DONE,
        Trigger.EOF: DONE,
        Trigger.ABORT: DONE,
    },
}


@dataclass(frozen=True, slots=True)
class CloseInfo:
    """How the connection ended (or is ending), seen from the runner.

    Attributes:
        initiator: who sent the first close frame: "runner", "target" or None (no close frame at all).
        runner_code: the code in the runner's close frame (None: none sent, or sent without a code).
        runner_sent: the runner sent a close frame.
        target_close: the target's close frame, if it sent one.
        tcp_closed: the TCP connection is closed.
        tcp_closed_by: who closed TCP first: "target", "runner" or None (still open).
        reset: the target reset the connection (ECONNRESET).
        aborted: why the runner cut the connection itself ("" if it did not).
    """

    initiator: str | None
    runner_sent: bool
    runner_code: int | None
    target_close: CloseFrame | None
    tcp_closed: bool
    tcp_closed_by: str | None
    reset: bool
    aborted: str

    @property
    def target_code(self) -> int | None:
        """The status code the target sent, if any."""
        return self.target_close.code if self.target_close else None

    @property
    def clean(self) -> bool:
        """Both close frames were exchanged and TCP is closed (Autobahn's wasClean)."""
        return self.runner_sent and self.target_close is not None and self.tcp_closed

    def describe(self) -> str:
        """One line: "target sent close 1002, tcp closed by target"."""
        parts = []
        if self.target_close is None:
            parts.append("no close frame from the target")
        else:
            code = self.target_close.code
            parts.append(f"target sent close {code if code is not None else '(no code)'}"
                         + (f" {self.target_close.reason!r}" if self.target_close.reason else ""))
        if self.initiator == "runner":
            parts.append("in reply to the runner's close" if self.target_close
                         else "after the runner's close")
        if self.tcp_closed:
            parts.append(f"tcp {'reset' if self.reset else 'closed'} by {self.tcp_closed_by}")
        else:
            parts.append("tcp still open")
        if self.aborted:
            parts.append(f"runner aborted: {self.aborted}")
        return ", ".join(parts)


class WsClientConnection:
    """The runner's side of one WebSocket connection (see the module docstring).

    Args:
        transcript: where received bytes, decoded frames, automatic replies and notes are recorded.
        answer_pings: answer the target's pings with pongs and keep them out of ``events``.
        auto_close_reply: answer the target's close frame with a close frame (as a conforming client).
        max_message: the largest frame payload and fragmented message read.
        max_events: the most events (and frames) kept.
        max_head: the longest response head read.
        max_held: the most payload bytes held in events (None: :data:`MAX_HELD`, at most 4 x
            ``max_message``).

    Attributes:
        phase: the current :class:`Phase`.
        events: messages, pings (unless answered), pongs and timeout markers, in order.
        frames: every frame received, as decoded (bounded, see the module docstring).
        response: the response head, once read.
        handshake_error: why there is no response head ("" while none is known).
        receiver: the judge of the target's frames (``receiver.deviations``).
        target_close: the target's close frame, if it sent one.
        runner_close: the payload of the runner's first close frame, if it sent one.
        initiator: who sent the first close frame: "runner", "target" or None.
        connected: the TCP connection was made.
        tcp_closed: the TCP connection is closed; ``tcp_closed_by`` says who closed it first.
        reset: the target reset the connection.
        aborted: why the runner cut the connection ("" if it did not).
        offers: the extension elements the opening request offered.
        deflate: the permessage-deflate codec, when offered and accepted (None otherwise).
        negotiation_error: why the target's extensions answer is not valid for the offers ("" if it is).
    """

    def __init__(self, *, transcript: Transcript | None = None, answer_pings: bool = True,
                 auto_close_reply: bool = True, max_message: int = MAX_MESSAGE, max_events: int = MAX_EVENTS,
                 max_head: int = MAX_HEAD, max_held: int | None = None) -> None:
        self.transcript = transcript if transcript is not None else Transcript()
        self.answer_pings = answer_pings
        self.auto_close_reply = auto_close_reply
        self.max_message = max_message
        self.max_events = max_events
        self.max_head = max_head
        self.max_held = min(MAX_HELD, 4 * max_message) if max_held is None else max_held
        self.phase = IDLE
        self.events: list[Event] = []
        self.frames: list[Frame] = []
        self.response: HttpResponse | None = None
        self.handshake_error = ""
        self.receiver = Receiver(max_message=max_message)
        self.target_close: CloseFrame | None = None
        self.runner_close: bytes | None = None
        self.initiator: str | None = None
        self.connected = False
        self.tcp_closed = False
        self.tcp_closed_by: str | None = None
        self.reset = False
        self.aborted = ""
        self._head = bytearray()
        self._reader = FrameReader(max_message)
        self._held = 0
        self._frame_bytes = 0
        self._outgoing: list[bytes] = []
        self.offers: tuple[str, ...] = ()
        self.deflate: PerMessageDeflate | None = None
        self.negotiation_error = ""

    def _move(self, trigger: Trigger) -> None:
        try:
            self.phase = TRANSITIONS[self.phase][trigger]
        except KeyError:
            raise RuntimeError(f"cannot {trigger.value} in phase {self.phase.name}") from None

    # ---- what happened so far ----------------------------------------------------------------------

    @property
    def deviations(self) -> list[str]:
        """RFC violations seen in the target's frames, in order."""
        return self.receiver.deviations

    @property
    def is_open(self) -> bool:
        """Handshake done, no close frame either way, TCP open."""
        return self.phase is OPEN

    @property
    def buffered(self) -> int:
        """Bytes held for input not complete yet: a response head, a frame, a fragmented message."""
        return len(self._head) + self._reader.buffered + self.receiver.pending

    @property
    def held(self) -> int:
        """Payload bytes counted against the events bound (``max_held``)."""
        return self._held

    def close_info(self) -> CloseInfo:
        """A snapshot of how the connection ended so far."""
        code = None
        if self.runner_close is not None and len(self.runner_close) >= 2:
            code = int.from_bytes(self.runner_close[:2], "big")
        return CloseInfo(self.initiator, self.runner_close is not None, code, self.target_close,
                         self.tcp_closed, self.tcp_closed_by, self.reset, self.aborted)

    def data_to_send(self) -> list[bytes]:
        """The automatic replies queued since the last call (masked client frames), to write in order."""
        out, self._outgoing = self._outgoing, []
        return out

    # ---- the runner's side -------------------------------------------------------------------------

    def connection_made(self, peer: str) -> None:
        """The TCP (or TLS) connection to ``peer`` is up."""
        self.connected = True
        self.transcript.note(f"connected to {peer}")

    def send_request(self, offers: Sequence[str] = ()) -> None:
        """The runner is sending the opening request (offering extension elements ``offers``): from now on
        the target's bytes are its answer."""
        self.offers = tuple(offers)
        self._move(Trigger.SEND_REQUEST)

    def take_events(self) -> list[Event]:
        """Remove and return the events received so far (a long exchange judges them as they come, so
        what it already judged does not count against ``max_held``)."""
        events, self.events, self._held = self.events, [], 0
        return events

    def message_frames(self, opcode: int, data: bytes, *, compress: bool = True, fragment: int = 0
                       ) -> list[bytes]:
        """One data message as masked frames: compressed with the agreed permessage-deflate (RSV1 on the
        first frame only, RFC 7692 §6.1) when ``compress`` and the codec can, split into frames of
        ``fragment`` payload bytes when ``fragment`` > 0 (Autobahn's auto-fragmentation)."""
        rsv1 = compress and self.deflate is not None and self.deflate.can_compress
        payload = self.deflate.compress(data) if rsv1 and self.deflate is not None else data
        size = fragment if fragment > 0 else max(len(payload), 1)
        chunks = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
        return [build_frame(opcode if i == 0 else CONT, chunk, fin=i == len(chunks) - 1, rsv1=rsv1 and i == 0)
                for i, chunk in enumerate(chunks)]

    def send_close(self, payload: bytes) -> None:
        """The runner is sending a close frame with ``payload`` (only the first one is recorded)."""
        if self.runner_close is not None:
            return
        self.runner_close = payload
        self.initiator = self.initiator or "runner"
        self._move(Trigger.SEND_CLOSE)

    def timeout_marker(self, tag: str, waited: float) -> None:
        """Record Autobahn's timeout marker ``tag``: the connection was still open after ``waited`` s."""
        self.events.append(Timeout(tag))
        self.transcript.note(f"timeout marker {tag}: still open after {waited}s")

    def give_up_handshake(self) -> None:
        """The runner stopped waiting for the response head (the case's time is up, or TCP closed)."""
        if self.response is not None or self.handshake_error:
            return
        self.handshake_error = (f"no response head; {self.close_info().describe()}" if self.tcp_closed
                                else "no response head before the case timeout")

    def abort(self, reason: str = "") -> None:
        """The runner cuts the TCP connection now (if it is up), recording ``reason`` (unless empty)."""
        if reason and not self.aborted:
            self.aborted = reason
            self.transcript.note(f"runner aborts: {reason}")
        if self.connected and not self.tcp_closed:
            self._tcp_closed("runner", reset=False)
        self._move(Trigger.ABORT)
        self._stop_reading()

    # ---- the target's side -------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Bytes from the target, in any chunking; afterwards read the state and ``data_to_send()``."""
        if self.tcp_closed:
            return
        self.transcript.received(data)
        if self.phase is HANDSHAKE:
            self._receive_head(data)
        elif self.phase in (OPEN, CLOSING):
            self._receive_frames(data)

    def receive_eof(self, reset: bool = False) -> None:
        """The target closed the TCP connection (``reset``: with a reset, ECONNRESET)."""
        if not self.tcp_closed:
            self._tcp_closed("target", reset=reset)
        self._move(Trigger.EOF)
        self._stop_reading()

    # ---- reading -----------------------------------------------------------------------------------

    def _tcp_closed(self, by: str, *, reset: bool) -> None:
        self.tcp_closed = True
        self.tcp_closed_by = self.tcp_closed_by or by
        self.reset = reset
        self.transcript.note(f"tcp {'reset' if reset else 'closed'} by {self.tcp_closed_by}")
        if self.phase is HANDSHAKE and self.response is None and not self.handshake_error:
            self.handshake_error = f"connection closed before a response head ({len(self._head)} bytes)"

    def _stop_reading(self) -> None:
        """Nothing more will be read: drop what is held for incomplete input."""
        self._head.clear()
        self._reader.discard()

    def _receive_head(self, data: bytes) -> None:
        self._head += data
        # Only a head that ends within the first max_head bytes is read, however TCP splits it.
        end = self._head.find(b"\r\n\r\n", 0, self.max_head)
        if end < 0:
            if len(self._head) >= self.max_head:
                self.handshake_error = f"response head over {self.max_head} bytes"
                self.abort(self.handshake_error)
            return
        raw, rest = bytes(self._head[:end + 4]), bytes(self._head[end + 4:])
        self._head.clear()
        try:
            self.response = parse_response_head(raw)
        except ValueError as exc:
            self.handshake_error = str(exc)
            self._move(Trigger.REFUSE)
            return
        if self.response.status != 101:
            self._move(Trigger.REFUSE)
            return
        self._move(Trigger.UPGRADE)
        if self.runner_close is not None:
            self._move(Trigger.SEND_CLOSE)  # the runner's close went out before the 101
        answer = self.response.header("sec-websocket-extensions")
        self.receiver.extensions = answer is not None
        if self.offers:
            self._negotiate(answer)
        if rest:
            self._receive_frames(rest)

    def _negotiate(self, answer: str | None) -> None:
        try:
            agreement = negotiate(self.offers, answer)
        except NegotiationError as exc:
            self.negotiation_error = str(exc)
            self.transcript.note(f"invalid extensions answer: {exc}")
            return
        if agreement is None:
            self.transcript.note("the target declined every extension offer")
            return
        self.deflate = PerMessageDeflate(agreement)
        self.receiver.deflate = self.deflate
        self.transcript.note(f"permessage-deflate agreed: {agreement.response}")

    def _receive_frames(self, data: bytes) -> None:
        try:
            frames = self._reader.feed(data)
        except FrameTooLarge as exc:
            for fr in exc.frames:  # the frames before the oversized one, whatever the TCP split
                self._receive_frame(fr)
                if self.phase is DONE:
                    return
            self.abort(f"target {exc}")
            return
        for fr in frames:
            self._receive_frame(fr)
            if self.phase is DONE:
                return

    def _receive_frame(self, fr: Frame) -> None:
        self.transcript.frame(RX, fr.describe(), fr.payload)
        frame_room = min(MAX_FRAME_BYTES, 4 * self.max_message) - self._frame_bytes
        if len(self.frames) < self.max_events and frame_room > 0:
            self._frame_bytes += len(fr.payload)
            self.frames.append(fr)
        try:
            item = self.receiver.feed(fr)
        except MessageTooLarge as exc:
            self.abort(f"target sent a {exc}")
            return
        if item is None:
            if self.events and self._held + self.receiver.pending > self.max_held:
                self.abort(f"target sent more than {self._held + self.receiver.pending} bytes in "
                           f"{len(self.events)} events and an unfinished message")
            return
        if isinstance(item, CloseFrame):
            self._receive_close(item)
        elif isinstance(item, Ping) and self.answer_pings:
            self._answer_ping(item)
        else:
            self._add_event(item)

    def _answer_ping(self, ping: Ping) -> None:
        # RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response,
        # unless it already received a Close frame." (The receiver reports no frame after the target's
        # close.) After its own close the runner sends nothing more.
        if self.runner_close is not None:
            return
        # §5.5.3: "A Pong frame sent in response to a Ping frame must have identical "Application data" as
        # found in the message body of the Ping frame being replied to."
        self._outgoing.append(build_frame(PONG, ping.payload))
        self.transcript.frame(TX, "PONG (automatic answer to the target's ping)", ping.payload)

    def _receive_close(self, close: CloseFrame) -> None:
        self.target_close = close
        self.initiator = self.initiator or "target"
        self._move(Trigger.RECEIVE_CLOSE)
        if not self.auto_close_reply or self.runner_close is not None:
            return
        # RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame,
        # the endpoint MUST send a Close frame in response. (When sending a Close frame in response, the
        # endpoint typically echos the status code it received.)"
        self.runner_close = close_payload(close.code) if close.code is not None else b""
        self._outgoing.append(build_frame(CLOSE, self.runner_close))
        self.transcript.frame(TX, "CLOSE (automatic reply to the target's close)", self.runner_close)

    def _add_event(self, item: Message | Ping | Pong) -> None:
        self._held += len(item.data) if isinstance(item, Message) else len(item.payload)
        if len(self.events) >= self.max_events or (self._held > self.max_held and self.events):
            self.abort(f"target sent more than {len(self.events)} events / {self._held} bytes")
            return
        self.events.append(item)
