"""The WebSocket connection state machine, server role (RFC 6455 §5-§7), sans-IO.

Theory of operation:

* The I/O layer creates a ``Connection`` after it sent the 101 response, so it starts OPEN. It passes
  received bytes to ``receive_data`` (and ``receive_eof`` when TCP closes), then collects
  ``events_received()`` for the application and writes ``data_to_send()`` to the socket; a ``b""`` in
  that list means "close the TCP connection now". Time comes in as ``now`` arguments; ``next_deadline()``
  says when to call ``handle_timeout(now)``.
* States change only through ``TRANSITIONS[state][trigger]`` (``states.py``); a missing key is an illegal
  move and raises ``LocalProtocolError`` (for the application's calls, e.g. sending after close).
* CLOSING means "we sent a Close frame and wait for the peer's". CLOSE_RECEIVED means "the peer sent a
  Close frame first": input is no longer read, and our answering Close goes out with the next
  ``data_to_send()``, after whatever the application sends in answer to the messages that came before
  the Close (RFC 6455 §5.5.1: "An endpoint MAY delay sending a Close frame until its current message is
  sent"). Autobahn 7.1.1 sends a message and a Close back to back and expects the echo first. The
  answer is followed by ``b""``: as the server we close TCP first (§7.1.1: "The underlying TCP
  connection, in most normal cases, SHOULD be closed first by the server"). Then the state is CLOSED.
* Every error met while reading input carries its close code (``reference.core.errors``);
  ``close_code_for`` reads it, the only place that turns errors into close codes. The connection then
  fails (FAILING): it ignores further input, and its Close frame with that code goes out with the next
  ``data_to_send()``, after whatever the application sends in answer to the messages that came before
  the error (Autobahn 3.2 counts "echo first, then fail" as the strict behaviour), followed by ``b""``.
  Then the state is CLOSED.
* With permessage-deflate agreed (``deflate=``, RFC 7692), RSV1 on a message's first frame marks it
  compressed: every frame of it is inflated as it arrives (``deflate.PerMessageDeflate``), and the rest of
  the message path (size limit, UTF-8, events) sees the inflated bytes, so the message size limit applies to
  the decompressed size. Every message sent is compressed, in one frame with RSV1 set.
"""

from __future__ import annotations

import struct
import sys

from reference.core.errors import InvalidUtf8, LocalProtocolError, ProtocolError, RemoteProtocolError
from reference.core.ws.deflate import DeflateParams, PerMessageDeflate
from reference.core.ws.events import (
    BinaryMessage,
    CloseReceived,
    ConnectionClosed,
    Event,
    PingReceived,
    PongReceived,
    TextMessage,
)
from reference.core.ws.frames import MAX_CONTROL_PAYLOAD, Frame, FrameParser, message_frame, serialize_frame
from reference.core.ws.opcodes import CloseCode, Opcode, is_valid_received_close_code
from reference.core.ws.speedups import C_READ_SIMPLE_FRAME
from reference.core.ws.states import (
    CLOSE_RECEIVED,
    CLOSED,
    CLOSING,
    FAILING,
    NOT_READING,
    OPEN,
    TRANSITIONS,
    State,
    Trigger,
)
from reference.core.ws.utf8 import Utf8Validator, decode_utf8

# receive_message leaves the state as it is: a data frame keeps an OPEN connection OPEN.
assert TRANSITIONS[OPEN][Trigger.RECEIVE_DATA] is OPEN
#: The opcodes of a whole data message (read_simple_frame's numbers).
_TEXT, _BINARY = int(Opcode.TEXT), int(Opcode.BINARY)

__all__ = ["CLOSED", "CLOSE_RECEIVED", "CLOSING", "FAILING", "OPEN", "SEND_EOF", "TRANSITIONS",
           "BinaryMessage", "CloseReceived", "Connection", "ConnectionClosed", "Event", "PingReceived",
           "PongReceived", "State", "TextMessage", "Trigger", "close_code_for"]

#: Sentinel in ``data_to_send()``: close the TCP connection.
SEND_EOF = b""
#: RFC 6455 §5.5: control payloads are <= 125 bytes, 2 of which carry the close code.
MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2
_CLOSE_CODE = struct.Struct("!H")


def close_code_for(exc: BaseException) -> tuple[int, str]:
    """The close code and reason to fail with, for an error met while reading input.

    The code is the one the error carries (``ProtocolError.close_code``, see ``reference.core.errors``):
    this function reads it and never decides one, so there is one source of truth.

    Returns:
        (code, reason); an exception that is not a ``ProtocolError`` is a bug of ours: 1011 without
        details, which may be sensitive.
    """
    if isinstance(exc, ProtocolError):
        return exc.close_code, str(exc)
    # RFC 6455 §7.4.1: "1011 indicates that a server is terminating the connection because it encountered
    # an unexpected condition that prevented it from fulfilling the request."
    return CloseCode.INTERNAL_ERROR, "internal error"


def _check_close_code(code: int) -> None:
    # RFC 6455 §7.4: codes 1004-1006, 1015, 0-999 and unregistered 1000-2999 are not sent on the wire.
    if not is_valid_received_close_code(code):
        raise LocalProtocolError(f"invalid close code {code}")


def _truncate_utf8(text: str, limit: int) -> bytes:
    """Encode ``text`` in at most ``limit`` bytes without cutting a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore").encode("utf-8")


class Connection:
    """A server-side WebSocket connection after the opening handshake.

    Args:
        max_message_size: Largest message (all fragments) accepted; larger ones fail with 1009.
        keepalive_interval: Send a ping after this many seconds without input, or None.
        pong_timeout: Drop the connection (1006) when a keepalive ping has no pong after this long.
        idle_timeout: Start the closing handshake (1001) after this long without input; in CLOSING,
            drop the connection when the peer's Close does not come within this long.
        now: The current time, in seconds on any monotonic clock.
        deflate: The permessage-deflate agreement of the opening handshake, or None without compression.
    """

    def __init__(
        self,
        *,
        max_message_size: int = 64 * 2**20,
        keepalive_interval: float | None = None,
        pong_timeout: float | None = None,
        idle_timeout: float | None = None,
        now: float = 0.0,
        deflate: DeflateParams | None = None,
    ) -> None:
        self.state = OPEN
        self.max_message_size = max_message_size
        self.keepalive_interval = keepalive_interval
        self.pong_timeout = pong_timeout
        self.idle_timeout = idle_timeout
        #: Why the connection failed, if it did (``close_code`` says how).
        self.failure: RemoteProtocolError | None = None
        self._parser = FrameParser(mask=True, max_size=max_message_size)
        #: The permessage-deflate codec, when the extension was agreed.
        self.deflate = None if deflate is None else PerMessageDeflate(deflate)
        # RFC 6455 §5.2: RSV1 "MUST be 0 unless an extension is negotiated that defines meanings for non-zero
        # values"; RFC 7692 §6 defines it.
        self._parser.rsv1_allowed = deflate is not None
        #: The C frame reader when ``receive_message`` may use it (built, and no extension agreed).
        self._read_simple = C_READ_SIMPLE_FRAME if deflate is None else None
        self._room = max_message_size if max_message_size <= sys.maxsize else -1  # C takes a ssize_t
        self._events: list[Event] = []
        self._outgoing: list[bytes] = []
        # The message being reassembled: its opcode, its parts (str for text) and its size in bytes.
        self._message_opcode: Opcode | None = None
        self._message_compressed = False  # its first frame had RSV1 set (permessage-deflate)
        self._parts: list[bytes] = []
        self._text_parts: list[str] = []
        self._message_size = 0
        self._utf8 = Utf8Validator()
        # Payload bytes of the text frame still arriving that were already validated (fail fast).
        self._prevalidated = 0
        # The body of the Close frame answering the peer's, in CLOSE_RECEIVED; ours when FAILING.
        self._close_answer = b""
        self._failure_close = b""
        # Timers.
        self._now = now
        self._last_input = now
        self._closing_since = now
        self._ping_sent_at: float | None = None
        self._ping_payload = b""
        self._pings_sent = 0

    # -- state machine -------------------------------------------------------------------------------

    def _move(self, trigger: Trigger) -> None:
        try:
            self.state = TRANSITIONS[self.state][trigger]
        except KeyError:
            raise LocalProtocolError(f"cannot {trigger.value} in state {self.state.name}") from None

    def _closed(self, code: int, reason: str, *, clean: bool) -> None:
        """Finish: queue the TCP close and the last event."""
        self._outgoing.append(SEND_EOF)
        self._events.append(ConnectionClosed(int(code), reason, clean))

    def _send_failure(self) -> None:
        """Send the Close frame that fails the connection, after the application's answers; close TCP."""
        self._move(Trigger.SEND_FAILURE)
        self._send_frame(Frame(Opcode.CLOSE, self._failure_close))
        self._outgoing.append(SEND_EOF)

    def _answer_close(self) -> None:
        """Send the Close frame that answers the peer's (echoing its code), then close TCP."""
        self._move(Trigger.ANSWER_CLOSE)
        self._send_frame(Frame(Opcode.CLOSE, self._close_answer))
        self._outgoing.append(SEND_EOF)

    # -- input ---------------------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float | None = None) -> None:
        """Process bytes received from the network.

        Afterwards, call ``events_received()`` and ``data_to_send()``. Input after the connection closed
        or failed is ignored. Never raises for bad input: the connection fails with a close code instead.

        Args:
            data: The bytes, in any chunking.
            now: The current time; defaults to the last time seen.
        """
        if now is not None:
            self._now = now
        if self.state in NOT_READING:
            return
        self._last_input = self._now
        parser = self._parser
        try:
            for frame in parser.feed(data):
                self._receive_frame(frame)
                if self.state in NOT_READING:
                    return  # RFC 6455 §1.4: "a peer discards any further data received"
            if parser.buffered:  # part of a frame arrived: check what can be checked already
                self._validate_partial_text()
                self._validate_partial_close()
        except Exception as exc:  # every error, expected or not, ends in close_code_for
            self._fail(*close_code_for(exc))

    def receive_message(self, data: bytes, now: float) -> TextMessage | BinaryMessage | None:
        """``receive_data`` for the commonest input, without the event queue: the message, when ``data`` is
        exactly one complete final TEXT or BINARY frame that the C frame reader accepts (it accepts only
        frames that break no rule of ``FrameParser``), its text is valid UTF-8 (RFC 6455 §8.1), and the
        connection is OPEN with no input buffered, no fragmented message and no extension. The state
        changes are those ``receive_data`` makes for that frame (the time of the last input; OPEN stays
        OPEN), and the message is the event it would have queued. Otherwise nothing changes and the result
        is None: the caller passes ``data`` to ``receive_data``, which reads and judges it.
        """
        read_simple = self._read_simple
        if read_simple is None or self.state is not OPEN or self._message_opcode is not None \
                or self._parser.buffered:
            return None
        read = read_simple(data, 0, True, self._room)
        if read is None:
            return None
        opcode, fin, payload, end = read
        if end != len(data) or not fin:
            return None
        if opcode == _TEXT:
            try:
                message: TextMessage | BinaryMessage = TextMessage(decode_utf8(payload))
            except InvalidUtf8:
                return None  # receive_data fails the connection with 1007, saying where
        elif opcode == _BINARY:
            message = BinaryMessage(payload)
        else:
            return None
        self._now = self._last_input = now
        return message

    def receive_eof(self) -> None:
        """Process the peer closing TCP; afterwards call ``events_received()`` and ``data_to_send()``."""
        if self.state is CLOSE_RECEIVED:
            self._answer_close()  # the ConnectionClosed event went out with CloseReceived
            return
        if self.state is FAILING:
            self._send_failure()  # the ConnectionClosed event went out when the connection failed
            return
        was_closed = self.state is CLOSED
        self._move(Trigger.EOF)
        if not was_closed:
            # RFC 6455 §7.1.5: "If _The WebSocket Connection is Closed_ and no Close control frame was
            # received by the endpoint ..., _The WebSocket Connection Close Code_ is considered to be 1006."
            self._closed(CloseCode.ABNORMAL_CLOSURE, "", clean=False)

    def _receive_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if not opcode.is_control:
            self._move(Trigger.RECEIVE_DATA)
            self._receive_data_frame(frame)
        elif opcode is Opcode.PING:
            self._move(Trigger.RECEIVE_PING)
            self._events.append(PingReceived(frame.payload))
            # RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
            # response, unless it already received a Close frame." / "A Pong frame sent in response to a
            # Ping frame must have identical "Application data" as found in the message body of the Ping".
            self._send_frame(Frame(Opcode.PONG, frame.payload))
        elif opcode is Opcode.PONG:
            self._move(Trigger.RECEIVE_PONG)
            # RFC 6455 §5.5.3: "A response to an unsolicited Pong frame is not expected."
            if self._ping_sent_at is not None and frame.payload == self._ping_payload:
                self._ping_sent_at = None
            self._events.append(PongReceived(frame.payload))
        else:
            self._receive_close(frame.payload)

    def _receive_data_frame(self, frame: Frame) -> None:
        opcode, payload = frame.opcode, frame.payload
        if opcode is Opcode.CONT:
            # RFC 6455 §5.4: "A fragmented message consists of a single frame with the FIN bit clear and an
            # opcode other than 0, followed by zero or more frames with the FIN bit clear and the opcode set
            # to 0, and terminated by a single frame with the FIN bit set and an opcode of 0."
            if self._message_opcode is None:
                raise LocalProtocolError("continuation frame without a message to continue")
            opcode = self._message_opcode
            if self._message_compressed:
                payload = self._inflate(payload, frame.fin)
        elif self._message_opcode is not None:
            # RFC 6455 §5.4: "The fragments of one message MUST NOT be interleaved between the fragments of
            # another message unless an extension has been negotiated that can interpret the interleaving."
            open_name = self._message_opcode.name
            raise LocalProtocolError(f"{opcode.name} frame inside a fragmented {open_name} message")
        else:
            if frame.rsv1:  # the parser lets RSV1 through only on a first frame, with the extension agreed
                payload = self._inflate(payload, frame.fin)
            if frame.fin and not self._prevalidated:
                self._events.append(TextMessage(decode_utf8(payload)) if opcode is Opcode.TEXT
                                    else BinaryMessage(payload))
                return
            self._message_opcode = opcode
            self._message_compressed = frame.rsv1
        self._message_size += len(payload)
        if opcode is Opcode.TEXT:
            # RFC 6455 §8.1 via Utf8Validator: fails at the first fragment that cannot start valid UTF-8.
            done, self._prevalidated = self._prevalidated, 0
            self._text_parts.append(self._utf8.feed(payload[done:] if done else payload, final=frame.fin))
        else:
            self._parts.append(payload)
        if frame.fin:
            self._events.append(TextMessage("".join(self._text_parts)) if opcode is Opcode.TEXT
                                else BinaryMessage(b"".join(self._parts)))
            self._message_opcode = None
            self._message_compressed = False
            self._parts, self._text_parts, self._message_size = [], [], 0
            self._utf8.reset()
        # The next frame may only bring what is left of the message size limit; the parser refuses a
        # larger one from its header, before buffering it.
        self._parser.message_received = self._message_size

    def _inflate(self, payload: bytes, final: bool) -> bytes:
        """Inflate a frame of a compressed message within what is left of the message size limit.

        RFC 6455 §7.4.1's 1009 ("a message that is too big for it to process") applies to the message the
        application gets, the decompressed one: ``PerMessageDeflate.inflate`` stops one byte past the room.
        """
        assert self.deflate is not None  # the parser refuses RSV1 without the extension
        return self.deflate.inflate(payload, final=final, room=self.max_message_size - self._message_size)

    def _validate_partial_text(self) -> None:
        """Validate the arrived part of a text frame whose payload is incomplete.

        RFC 6455 §8.1 only says "MUST _Fail_"; failing while the frame still arrives (Autobahn 6.4.x)
        keeps a peer from making us buffer a long invalid text frame.
        """
        pending = self._parser.pending_opcode
        if pending is Opcode.CONT:
            if self._message_compressed:
                return  # compressed bytes: validated once inflated
            pending = self._message_opcode
        elif self._message_opcode is not None:
            return  # a new data frame inside a message: rejected once its header is complete
        if pending is not Opcode.TEXT or self._parser.pending_rsv1:
            return
        chunk = self._parser.partial_payload(self._prevalidated)
        if chunk:
            self._text_parts.append(self._utf8.feed(chunk))
            self._prevalidated += len(chunk)

    def _validate_partial_close(self) -> None:
        """Check the arrived part of a Close frame whose payload is incomplete: code, then reason prefix.

        The same checks as ``_receive_close``, made early, so that a peer trickling an invalid close reason
        is failed when the invalid octets arrive, as for text frames (RFC 6455 §8.1). A Close payload is
        at most 125 bytes, so it is checked again from its start each time.
        """
        if self._parser.pending_opcode is not Opcode.CLOSE:
            return
        arrived = self._parser.partial_payload(0)
        if len(arrived) >= 2:
            _check_close_code(_CLOSE_CODE.unpack_from(arrived)[0])
            Utf8Validator().feed(arrived[2:])  # not final: a code point may still be arriving

    def _receive_close(self, payload: bytes) -> None:
        code: int | None = None
        reason = ""
        if len(payload) == 1:
            # RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte
            # unsigned integer (in network byte order) representing a status code"
            raise LocalProtocolError("close frame with a 1-byte payload")
        if payload:
            (code,) = _CLOSE_CODE.unpack_from(payload)
            _check_close_code(code)
            # RFC 6455 §5.5.1: "the body MAY contain UTF-8-encoded data with value /reason/"; §8.1 fails
            # the connection when it is not UTF-8.
            reason = decode_utf8(payload[2:])
        self._move(Trigger.RECEIVE_CLOSE)
        self._events.append(CloseReceived(code, reason))
        closed_code = CloseCode.NO_STATUS_RCVD if code is None else code
        self._events.append(ConnectionClosed(int(closed_code), reason, clean=True))
        if self.state is CLOSE_RECEIVED:
            # RFC 6455 §5.5.1: "the endpoint MUST send a Close frame in response. (When sending a Close
            # frame in response, the endpoint typically echos the status code it received.)" An empty
            # Close is answered with an empty Close; data_to_send() sends it.
            self._close_answer = payload[:2]
        else:
            self._outgoing.append(SEND_EOF)  # our Close was sent already: the handshake is complete

    def _fail(self, code: int, reason: str) -> None:
        """_Fail the WebSocket Connection_ (RFC 6455 §7.1.7): send our Close frame if not sent, close TCP.

        From OPEN the Close goes out with the next ``data_to_send()`` (FAILING); in CLOSING ours is sent
        already, so TCP closes at once.
        """
        self.failure = RemoteProtocolError(reason, code)
        # RFC 6455 §7.1.7: "the endpoint SHOULD send a Close frame with an appropriate status code".
        self._failure_close = _CLOSE_CODE.pack(code) + _truncate_utf8(reason, MAX_CLOSE_REASON)
        self._move(Trigger.FAIL)
        if self.state is FAILING:
            self._events.append(ConnectionClosed(int(code), reason, clean=False))
        else:
            self._closed(code, reason, clean=False)

    # -- output --------------------------------------------------------------------------------------

    def _send_frame(self, frame: Frame) -> None:
        # RFC 6455 §5.1: "A server MUST NOT mask any frames that it sends to the client."
        self._outgoing.append(serialize_frame(frame))

    def send_text(self, text: str) -> None:
        """Queue a text message; then call ``data_to_send()``.

        Raises:
            LocalProtocolError: The connection is not OPEN (or CLOSE_RECEIVED, FAILING).
        """
        self._move(Trigger.SEND_MESSAGE)
        self._send_message(Opcode.TEXT, text.encode("utf-8"))

    def send_binary(self, data: bytes) -> None:
        """Queue a binary message; then call ``data_to_send()``.

        Raises:
            LocalProtocolError: The connection is not OPEN (or CLOSE_RECEIVED, FAILING).
        """
        self._move(Trigger.SEND_MESSAGE)
        self._send_message(Opcode.BINARY, bytes(data))

    def _send_message(self, opcode: Opcode, payload: bytes) -> None:
        # RFC 6455 §5.1: "A server MUST NOT mask any frames that it sends to the client."
        if self.deflate is None:
            self._outgoing.append(message_frame(opcode, payload))
        else:
            # RFC 7692 §6: RSV1 set on the first (here the only) frame of a compressed message.
            self._outgoing.append(message_frame(opcode, self.deflate.deflate(payload), rsv1=True))

    def send_ping(self, payload: bytes = b"") -> None:
        """Queue a ping; then call ``data_to_send()``.

        Raises:
            LocalProtocolError: The connection is not OPEN, or the payload is over 125 bytes.
        """
        if len(payload) > MAX_CONTROL_PAYLOAD:
            raise LocalProtocolError(f"ping payload must be <= 125 bytes, got {len(payload)}")
        self._move(Trigger.SEND_PING)
        self._send_frame(Frame(Opcode.PING, bytes(payload)))

    def send_close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start the closing handshake; then call ``data_to_send()`` and wait for the peer's Close.

        In CLOSE_RECEIVED this Close answers the peer's and completes the handshake.

        Raises:
            LocalProtocolError: The connection is not OPEN or CLOSE_RECEIVED, the code may not be sent
                (1005, 1006, 1015, unregistered) or the reason is longer than 123 bytes in UTF-8.
        """
        if not is_valid_received_close_code(code):
            raise LocalProtocolError(f"close code {code} may not be sent")
        encoded = reason.encode("utf-8")
        if len(encoded) > MAX_CLOSE_REASON:
            raise LocalProtocolError(f"close reason must be <= 123 bytes, got {len(encoded)}")
        self._move(Trigger.SEND_CLOSE)
        self._closing_since = self._now
        self._send_frame(Frame(Opcode.CLOSE, _CLOSE_CODE.pack(code) + encoded))
        if self.state is CLOSED:  # this Close answered the peer's
            self._outgoing.append(SEND_EOF)

    def events_received(self) -> list[Event]:
        """Return the events since the last call, oldest first."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """Return the bytes to write since the last call; ``b""`` means: close the TCP connection now.

        In CLOSE_RECEIVED this adds the answer to the peer's Close, after what the application sent.
        """
        if self.state is CLOSE_RECEIVED:
            self._answer_close()
        elif self.state is FAILING:
            self._send_failure()
        data, self._outgoing = self._outgoing, []
        return data

    @property
    def buffered_input(self) -> int:
        """Bytes of input held: received but not yet part of a frame, plus the message being assembled.

        What an I/O layer charges to a memory budget for this connection's incoming side.
        """
        return self._parser.buffered + self._message_size + self._prevalidated

    def close_expected(self) -> bool:
        """Tell whether TCP should close soon: a Close frame was sent or received."""
        return self.state is not OPEN

    # -- timers --------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """Return when ``handle_timeout`` must next be called, or None if no timer runs."""
        if self.idle_timeout is None and self.keepalive_interval is None and self._ping_sent_at is None:
            return None  # no timer is configured (the echo testee's default): asked after every message
        deadlines: list[float] = []
        if self.state is OPEN:
            if self._ping_sent_at is not None:
                if self.pong_timeout is not None:
                    deadlines.append(self._ping_sent_at + self.pong_timeout)
            elif self.keepalive_interval is not None:
                deadlines.append(self._last_input + self.keepalive_interval)
            if self.idle_timeout is not None:
                deadlines.append(self._last_input + self.idle_timeout)
        elif self.state is CLOSING and self.idle_timeout is not None:
            deadlines.append(self._closing_since + self.idle_timeout)
        return min(deadlines, default=None)

    def handle_timeout(self, now: float) -> None:
        """Run the timers that are due at ``now``; then call ``events_received()`` and ``data_to_send()``."""
        self._now = now
        if self.state is CLOSING:
            if self.idle_timeout is not None and now >= self._closing_since + self.idle_timeout:
                self._drop("closing handshake timed out")
            return
        if self.state is not OPEN:
            return
        if self._ping_sent_at is not None:
            if self.pong_timeout is not None and now >= self._ping_sent_at + self.pong_timeout:
                self._drop("keepalive ping timed out")
                return
        elif self.keepalive_interval is not None and now >= self._last_input + self.keepalive_interval:
            self._move(Trigger.KEEPALIVE)
            self._pings_sent += 1
            self._ping_payload = self._pings_sent.to_bytes(4, "big")
            self._ping_sent_at = now
            self._send_frame(Frame(Opcode.PING, self._ping_payload))
        if self.idle_timeout is not None and now >= self._last_input + self.idle_timeout:
            self.send_close(CloseCode.GOING_AWAY, "idle timeout")

    def _drop(self, reason: str) -> None:
        """Close TCP without a closing handshake (the peer is unresponsive): code 1006."""
        self._move(Trigger.TIMEOUT)
        self._closed(CloseCode.ABNORMAL_CLOSURE, reason, clean=False)
