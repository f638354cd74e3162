"""One Engine.IO v4 session, server side, sans-IO: polling, WebSocket, the upgrade, the heartbeat.

Theory of operation:

* The server creates a ``Session`` for a handshake request. The ``open`` packet is the first packet queued,
  so the handshake GET is answered like any poll (``poll_begin`` then ``poll_answer``), and on a direct
  WebSocket it is the first frame of ``ws_output``.
* Input: ``poll_begin``/``poll_abandon`` (a GET held, and one whose peer left), ``post(body)`` (a POST
  body; ``post_begin``/``post_end`` bracket a POST from its head to its answer when the server sees heads),
  ``attach_probe`` and ``receive_probe_frame`` (a WebSocket with the sid, during the upgrade),
  ``receive_frame`` (the session's WebSocket), ``probe_lost``/``ws_lost`` (a WebSocket gone), and the
  application's ``send_message`` and ``close``. A client's mistake raises ``EioError``; its
  ``reaction`` says what to answer, and the session is already closed when the reaction says so.
* Output: ``events_received()`` for the application (``MessageReceived``, ``Upgraded``,
  ``SessionClosed``); ``poll_answer()`` for a held GET (a payload, or None: keep holding); ``ws_output()``
  and ``probe_output()`` for the two WebSockets (frames to send, and a close code once it must close).
* Time: the core reads no clock. ``next_deadline()`` says when ``handle_timeout(now)`` is due; it sends
  the pings (README "Heartbeat": "At a given interval (the `pingInterval` value sent in the handshake) the
  server sends a `ping` packet"), closes a session whose pong is late, and drops a probe that does not
  finish the upgrade in time.
* States change only through ``states.TRANSITIONS``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from reference.core.eio.handshake import EioConfig, Transport, open_packet
from reference.core.eio.packets import (
    BadPacket,
    Packet,
    PacketType,
    decode_binary_frame,
    decode_payload,
    decode_text_frame,
    encode_frame,
    encode_payload,
)
from reference.core.eio.reactions import EioError, Problem
from reference.core.eio.states import (
    CLOSED,
    ILLEGAL,
    POLLING,
    PROBING,
    TRANSITIONS,
    UPGRADING,
    WEBSOCKET,
    State,
    Trigger,
)
from reference.core.errors import LocalProtocolError

__all__ = ["Event", "MessageReceived", "Session", "SessionClosed", "Upgraded"]

#: WebSocket close code of a session that ends normally (a close packet, a ping timeout, the server).
NORMAL_CLOSURE = 1000
_PROBE = "probe"


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A ``message`` packet from the client: text (``str``) or binary (``bytes``)."""

    data: str | bytes


@dataclass(frozen=True, slots=True)
class Upgraded:
    """The session moved from polling to its WebSocket."""


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """The session is over (always the last event); ``reason`` says why, e.g. ``ping timeout``."""

    reason: str


Event = MessageReceived | Upgraded | SessionClosed


def _decode_frame(data: str | bytes) -> Packet:
    return decode_text_frame(data) if isinstance(data, str) else decode_binary_frame(data)


class Session:
    """A server-side Engine.IO session.

    Args:
        sid: The session id (the server draws it; the core has no randomness).
        config: The announced settings and the timers.
        transport: The transport of the handshake.
        now: The current time in seconds, on any monotonic clock.
    """

    def __init__(self, sid: str, config: EioConfig, transport: Transport, now: float) -> None:
        self.sid = sid
        self.config = config
        self.state: State = POLLING if transport is Transport.POLLING else WEBSOCKET
        #: Why the session closed, once it has.
        self.close_reason: str | None = None
        self._queue: deque[Packet] = deque()
        self._queued_bytes = 0
        self._events: list[Event] = []
        self._get_held = False
        self._post_active = False
        self._poll_final: str | None = None  # what a held GET gets once the session is closed
        self._probe_frames: list[str] = []
        self._probe_close: int | None = None
        self._ws_close: int | None = None
        self._ping_at: float | None = now + config.ping_interval / 1000
        self._pong_deadline: float | None = None
        self._upgrade_deadline: float | None = None
        self._enqueue(open_packet(sid, config, transport))

    # -- state machine -------------------------------------------------------------------------------

    def _move(self, trigger: Trigger) -> None:
        try:
            self.state = TRANSITIONS[self.state][trigger]
        except KeyError:
            if trigger in (Trigger.SEND, Trigger.PING, Trigger.CLOSE):
                raise LocalProtocolError(f"cannot {trigger.value} in state {self.state.name}") from None
            problem = Problem.UNKNOWN_SID if self.state is CLOSED else ILLEGAL[trigger]
            raise EioError(problem, f"cannot {trigger.value} in state {self.state.name}") from None

    def _fail(self, problem: Problem, detail: str) -> EioError:
        """The error to raise for a client's mistake; the session is closed first if the reaction says so."""
        error = EioError(problem, detail)
        if error.reaction.closes_session and self.state is not CLOSED:
            self._close(detail, by_client=False, ws_code=error.reaction.ws_close_code)
        return error

    def _close(self, reason: str, *, by_client: bool, ws_code: int = NORMAL_CLOSURE) -> None:
        if self.state is WEBSOCKET and not by_client:
            self._queue.append(Packet(PacketType.CLOSE))
        self._move(Trigger.CLOSE)
        self.close_reason = reason
        # The engine.io server ends a held GET with the close packet after what was queued, or with a noop
        # when the client closed (its close packet came in a POST while the GET was held).
        if by_client:
            self._poll_final = f"{int(PacketType.NOOP)}"
        else:
            self._poll_final = encode_payload([*self._queue, Packet(PacketType.CLOSE)])
        self._ws_close = ws_code
        if self._probe_close is None and self._upgrade_deadline is not None:
            self._probe_close = NORMAL_CLOSURE
        self._ping_at = self._pong_deadline = self._upgrade_deadline = None
        self._events.append(SessionClosed(reason))

    # -- polling -------------------------------------------------------------------------------------

    def poll_begin(self) -> None:
        """A GET arrived; hold it until ``poll_answer`` gives its body.

        Raises:
            EioError: A GET is held already (the session is closed), or the session is not on polling.
        """
        self._move(Trigger.GET)
        if self._get_held:
            raise self._fail(Problem.DUPLICATE_GET, "a second GET while one is held")
        self._get_held = True

    def poll_answer(self) -> str | None:
        """The body for the held GET now, or None to keep holding it. The GET is no longer held after."""
        if not self._get_held:
            return None
        answer: str | None = None
        if self.state is CLOSED:
            answer = self._poll_final
        elif self._queue and self.state is not WEBSOCKET:
            answer = encode_payload(list(self._queue))
            self._queue.clear()
            self._queued_bytes = 0
        elif self.state in (UPGRADING, WEBSOCKET):
            # README "Upgrade": the server MUST "send a `noop` packet to any pending `GET` request".
            answer = "6"
        if answer is not None:
            self._get_held = False
        return answer

    def poll_abandon(self) -> None:
        """The held GET's peer went away before its answer."""
        self._get_held = False

    def post_begin(self) -> None:
        """A POST's head arrived (its body has not): it is active until ``post_end``.

        Raises:
            EioError: A POST is active already (the session is closed), or the session is not on polling.
        """
        self._move(Trigger.POST)
        if self._post_active:
            # README "Sending data": "a client MUST NOT have more than one active `POST` request. Should it
            # happen, the server MUST return an HTTP 400 error status and close the session."
            raise self._fail(Problem.DUPLICATE_POST, "a second POST while one is active")
        self._post_active = True

    def post_end(self) -> None:
        """The active POST is answered (or its client went away)."""
        self._post_active = False

    def post(self, body: bytes, now: float) -> None:
        """Take the packets of a POST body.

        Raises:
            EioError: The session is not on polling, or the body is no payload (the session is closed).
        """
        self._move(Trigger.POST)
        try:
            packets = decode_payload(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise self._fail(Problem.BAD_PAYLOAD, f"payload is not utf-8 at byte {exc.start}") from None
        except BadPacket as exc:
            raise self._fail(Problem.BAD_PAYLOAD, exc.msg) from None
        for packet in packets:
            if self.state is CLOSED:
                break
            self._receive(packet, now)

    # -- WebSocket -----------------------------------------------------------------------------------

    def attach_probe(self, now: float) -> None:
        """A WebSocket with this session's sid is open: the client may probe it.

        Raises:
            EioError: The session is probing, upgraded or on WebSocket already.
        """
        self._move(Trigger.ATTACH_PROBE)
        self._upgrade_deadline = now + self.config.upgrade_timeout / 1000

    def receive_probe_frame(self, data: str | bytes) -> None:
        """A frame on the probing WebSocket: ``2probe`` then ``5``; anything else drops the probe.

        Raises:
            EioError: ``BAD_PROBE``; the probing WebSocket is to be closed, the session stays on polling.
        """
        try:
            packet = _decode_frame(data)
        except BadPacket as exc:
            self.probe_lost()
            raise EioError(Problem.BAD_PROBE, exc.msg) from None
        if self.state is PROBING and packet == Packet(PacketType.PING, _PROBE):
            self._move(Trigger.PROBE)
            # README "Upgrade": the server MUST "respond with a `pong` packet with the string `probe`".
            self._probe_frames.append("3" + _PROBE)
        elif self.state is UPGRADING and packet == Packet(PacketType.UPGRADE):
            self._move(Trigger.UPGRADE)
            self._upgrade_deadline = None
            self._events.append(Upgraded())
        else:
            state = self.state
            self.probe_lost()
            raise EioError(Problem.BAD_PROBE, f"probe got a {packet.type.name.lower()} packet in state "
                                              f"{state.name}")

    def probe_lost(self) -> None:
        """The probing WebSocket is gone (or is being closed): the session stays on polling."""
        if self.state in (PROBING, UPGRADING):
            self._move(Trigger.DROP_PROBE)
            self._upgrade_deadline = None
            self._probe_close = NORMAL_CLOSURE

    def receive_frame(self, data: str | bytes, now: float) -> None:
        """A frame (text or binary) on the session's WebSocket.

        Raises:
            EioError: Not a packet, or one a client never sends here (the session is closed).
        """
        self._move(Trigger.WS_PACKET)
        try:
            packet = _decode_frame(data)
        except BadPacket as exc:
            raise self._fail(Problem.BAD_FRAME, exc.msg) from None
        self._receive(packet, now)

    def ws_lost(self) -> None:
        """The session's WebSocket is gone: the session is over."""
        if self.state is WEBSOCKET:
            self._close("transport close", by_client=True)

    # -- packets from the client ---------------------------------------------------------------------

    def _receive(self, packet: Packet, now: float) -> None:
        kind = packet.type
        if kind is PacketType.MESSAGE:
            self._events.append(MessageReceived(packet.data))
        elif kind is PacketType.PONG:
            if self._pong_deadline is not None:
                self._pong_deadline = None
                self._ping_at = now + self.config.ping_interval / 1000
        elif kind is PacketType.CLOSE:
            self._close("client close", by_client=True)
        elif kind is PacketType.NOOP:
            pass
        else:
            # v4 reversed the heartbeat: a client never pings (the engine.io server closes on "invalid
            # heartbeat direction"); it never sends open, and upgrade only on the probing WebSocket.
            raise self._fail(Problem.UNEXPECTED_PACKET, f"a client does not send a {kind.name.lower()} "
                                                        f"packet here")

    # -- the application -----------------------------------------------------------------------------

    def send_message(self, data: str | bytes) -> None:
        """Queue a message for the client.

        Raises:
            LocalProtocolError: The session is closed, or a text message holds ``\\x1e`` while the
                session is on polling (it cannot be framed in a payload).
        """
        self._move(Trigger.SEND)
        if isinstance(data, str) and "\x1e" in data and self.state is not WEBSOCKET:
            raise LocalProtocolError("a text message sent over polling cannot hold \\x1e")
        self._enqueue(Packet(PacketType.MESSAGE, data))

    def close(self, reason: str = "server close") -> None:
        """Close the session: the client gets a close packet (over polling, if a GET is held)."""
        if self.state is not CLOSED:
            self._close(reason, by_client=False)

    def _enqueue(self, packet: Packet) -> None:
        size = len(packet.data) + 1
        if self._queued_bytes + size > self.config.queue_limit:
            # A client that does not fetch what it is sent cannot make the session hold more.
            self._close(f"send queue over {self.config.queue_limit} bytes", by_client=False, ws_code=1008)
            return
        self._queue.append(packet)
        self._queued_bytes += size

    # -- output --------------------------------------------------------------------------------------

    def events_received(self) -> list[Event]:
        """What happened since the last call, oldest first."""
        events, self._events = self._events, []
        return events

    def ws_output(self) -> tuple[list[str | bytes], int | None]:
        """Frames for the session's WebSocket, and the close code once it must close after them."""
        if self.state is not WEBSOCKET and not (self.state is CLOSED and self._ws_close is not None):
            return [], None
        frames = [encode_frame(packet) for packet in self._queue]
        self._queue.clear()
        self._queued_bytes = 0
        return frames, self._ws_close if self.state is CLOSED else None

    def probe_output(self) -> tuple[list[str], int | None]:
        """Frames for the probing WebSocket, and the close code once it must close after them."""
        frames, self._probe_frames = self._probe_frames, []
        code, self._probe_close = self._probe_close, None
        return frames, code

    @property
    def buffered(self) -> int:
        """Bytes of packets waiting for the client."""
        return self._queued_bytes

    # -- time ----------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When ``handle_timeout`` is due next, or None."""
        due = [t for t in (self._ping_at, self._pong_deadline, self._upgrade_deadline) if t is not None]
        return min(due) if due else None

    def handle_timeout(self, now: float) -> None:
        """Do what is due at ``now``: a ping, a ping timeout, an upgrade timeout."""
        if self._upgrade_deadline is not None and now >= self._upgrade_deadline:
            self.probe_lost()
        if self._pong_deadline is not None and now >= self._pong_deadline:
            # README "Heartbeat": "If the server does not receive a `pong` packet back, then it SHOULD
            # consider that the connection is closed."
            self._close("ping timeout", by_client=False)
        elif self._ping_at is not None and now >= self._ping_at:
            self._move(Trigger.PING)
            self._enqueue(Packet(PacketType.PING))
            self._ping_at = None
            self._pong_deadline = now + self.config.ping_timeout / 1000
