"""The raw WebSocket client every WebSocket case drives: send any bytes, read replies strictly.

One :class:`WsClient` is one TCP (or TLS) connection to the target. It is built by the WebSocket suite
with the case's deadline; nothing in it can wait past that deadline, and nothing is buffered without
bound (see :mod:`conformance.wire.wsconn` for the limits).

Typical use in a case (``_steps.opened`` turns a failed handshake into the case's failure)::

    await _steps.opened(ws)                          # handshake; CaseFailed if not a valid 101
    await ws.send_frame(TEXT, b"Hello")              # masked by default, any header field overridable
    await ws.send(frame(PING, b"x" * 126), chop=1)   # raw bytes, one octet per TCP write
    await ws.checkpoint("A", 0.5)                    # Timeout("A") event if still open after 0.5 s
    return await expect.echo(ws, [Message.text("Hello")])

This module is a thin adapter: a :class:`~conformance.wire.stream.Stream` moves bytes between the socket
and a sans-IO :class:`~conformance.wire.wsconn.WsClientConnection`, which reads them as they arrive:
frames are decoded and judged (``ws.deviations``), messages assembled into ``ws.events``, the target's
own keepalive pings answered (unless ``answer_pings`` is false, then they are events too), and a close
frame from the target answered with a close frame (unless ``auto_close_reply`` is false). The one wait
is :meth:`Stream.wait <conformance.wire.stream.Stream.wait>`, bounded by the case's deadline; verifiers
wait on the client's state with :meth:`WsClient.wait`.

The client returns what happened and does not judge it: :meth:`WsClient.open` raises
:class:`HandshakeFailed` (a wire-level error) when the answer is not a valid 101, and the catalog turns
that into the case's failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conformance.wire.deflate import PerMessageDeflate
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import HttpResponse
from conformance.wire.stream import Stream
from conformance.wire.transcript import Transcript
from conformance.wire.wsconn import MAX_EVENTS, MAX_MESSAGE, CloseInfo, Phase, WsClientConnection
from conformance.wire.wsframes import CLOSE, PING, Frame, close_payload, frame
from conformance.wire.wshandshake import build_request, new_key, upgrade_problems
from conformance.wire.wsrecv import CloseFrame, Event, Message, Ping, Pong, Receiver, Timeout

__all__ = ["MAX_HELD_REPLIES", "CloseInfo", "Event", "HandshakeFailed", "Message", "Phase", "Ping", "Pong",
           "Timeout", "WsClient"]


class HandshakeFailed(Exception):
    """The target did not answer the opening handshake with a valid 101 (raised by :meth:`WsClient.open`).

    Attributes:
        expected: what would have been a valid answer, one short line each.
        actual: what the target did.
    """

    def __init__(self, expected: Sequence[str], actual: str) -> None:
        super().__init__(f"expected {' or '.join(expected)}; actual: {actual}")
        self.expected = list(expected)
        self.actual = actual


#: Automatic replies held back during a chopped send; a target flooding pings cannot make the list grow.
MAX_HELD_REPLIES = 16


class WsClient:
    """A raw WebSocket connection to the target (see the module docstring).

    Args:
        endpoint: where to connect and the user's options (headers, subprotocols, origin, TLS).
        deadline: ``loop.time()`` at which the case's time is up; waits end ``reserve`` seconds earlier
            so verifiers can still reach a verdict.
        answer_pings: answer the target's pings with pongs and keep them out of ``events``.
        auto_close_reply: answer the target's close frame with a close frame (as a conforming client).
        close_timeout: how long verifiers wait for the closing handshake and the TCP close.
        max_message: the largest frame payload and fragmented message read from the target.
        max_events: the most events kept.

    Attributes:
        conn: the sans-IO connection that reads the target's bytes (its state is mirrored below).
        stream: the byte stream to the target.
    """

    def __init__(self, endpoint: Endpoint, *, deadline: float, transcript: Transcript | None = None,
                 answer_pings: bool = True, auto_close_reply: bool = True, close_timeout: float = 2.0,
                 max_message: int = MAX_MESSAGE, max_events: int = MAX_EVENTS, reserve: float = 0.25) -> None:
        self.endpoint = endpoint
        self.deadline = deadline
        self.soft_deadline = deadline - reserve
        self.close_timeout = close_timeout
        self.conn = WsClientConnection(transcript=transcript, answer_pings=answer_pings,
                                       auto_close_reply=auto_close_reply, max_message=max_message,
                                       max_events=max_events)
        self.stream = Stream(endpoint, deadline=self.soft_deadline, on_data=self._on_data,
                             on_eof=self.conn.receive_eof)
        self.loop = self.stream.loop
        #: Automatic replies held back while :meth:`send` writes chops with pauses between them.
        self._held: list[bytes] | None = None

    # ---- state (the connection's) ------------------------------------------------------------------

    @property
    def transcript(self) -> Transcript:
        """What crossed the wire."""
        return self.conn.transcript

    @property
    def phase(self) -> Phase:
        """Where the connection is (:class:`~conformance.wire.wsconn.Phase`)."""
        return self.conn.phase

    @property
    def events(self) -> list[Event]:
        """Messages, pings (unless answered), pongs and timeout markers, in order."""
        return self.conn.events

    @property
    def frames(self) -> list[Frame]:
        """Every frame received, as decoded (bounded)."""
        return self.conn.frames

    @property
    def response(self) -> HttpResponse | None:
        """The response head to the opening request, once read."""
        return self.conn.response

    @property
    def handshake_error(self) -> str:
        """Why there is no response head ("" while none is known)."""
        return self.conn.handshake_error

    @property
    def receiver(self) -> Receiver:
        """The judge of the target's frames."""
        return self.conn.receiver

    @property
    def deviations(self) -> list[str]:
        """RFC violations seen in the target's frames, in order."""
        return self.conn.deviations

    @property
    def target_close(self) -> CloseFrame | None:
        """The target's close frame, if it sent one."""
        return self.conn.target_close

    @property
    def runner_close(self) -> bytes | None:
        """The payload of the runner's first close frame, if it sent one."""
        return self.conn.runner_close

    @property
    def initiator(self) -> str | None:
        """Who sent the first close frame: "runner", "target" or None."""
        return self.conn.initiator

    @property
    def tcp_closed(self) -> bool:
        """The TCP connection is closed."""
        return self.conn.tcp_closed

    @property
    def tcp_closed_by(self) -> str | None:
        """Who closed TCP first: "target", "runner" or None (still open)."""
        return self.conn.tcp_closed_by

    @property
    def reset(self) -> bool:
        """The target reset the connection."""
        return self.conn.reset

    @property
    def aborted(self) -> str:
        """Why the runner cut the connection ("" if it did not)."""
        return self.conn.aborted

    @property
    def answer_pings(self) -> bool:
        """The target's pings are answered automatically."""
        return self.conn.answer_pings

    @property
    def auto_close_reply(self) -> bool:
        """The target's close frame is answered automatically."""
        return self.conn.auto_close_reply

    @property
    def max_message(self) -> int:
        """The largest frame payload and fragmented message read."""
        return self.conn.max_message

    @property
    def max_events(self) -> int:
        """The most events kept."""
        return self.conn.max_events

    @property
    def is_open(self) -> bool:
        """Handshake done, no close frame either way, TCP open."""
        return self.conn.is_open

    @property
    def deflate(self) -> PerMessageDeflate | None:
        """The permessage-deflate codec, when the runner offered it and the target accepted it."""
        return self.conn.deflate

    @property
    def negotiation_error(self) -> str:
        """Why the target's extensions answer is not valid for the runner's offers ("" if it is)."""
        return self.conn.negotiation_error

    def take_events(self) -> list[Event]:
        """Remove and return the events received so far (they no longer count against the held bound)."""
        return self.conn.take_events()

    def close_info(self) -> CloseInfo:
        """A snapshot of how the connection ended so far."""
        return self.conn.close_info()

    def remaining(self) -> float:
        """Seconds left before the soft deadline (never negative)."""
        return self.stream.remaining()

    # ---- connecting --------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the TCP (and TLS) connection only; :meth:`handshake` or :meth:`open` come next.

        Raises:
            OSError: the target refused or reset the connection (the runner reports the case as errored).
            TimeoutError: no connection before the deadline.
        """
        await self.stream.connect()
        tls = " (tls)" if self.endpoint.ssl_context() else ""
        self.conn.connection_made(f"{self.endpoint.host_header}{tls}")

    async def handshake(self, request: bytes, *, chop: int | None = None, pause: float = 0.0,
                        offers: Sequence[str] = ()) -> HttpResponse | None:
        """Send ``request`` (any bytes) and read the response head; connects first if needed.

        Returns the response, or None (with ``handshake_error`` saying why) if the target closed the
        connection, sent something that is not HTTP, or did not answer in time. After a 101 the
        connection speaks WebSocket frames. ``offers`` are the extension elements ``request`` offers (the
        answer to them is judged, and permessage-deflate set up when accepted).
        """
        if not self.stream.connected:
            await self.connect()
        if self.conn.phase is Phase.DONE:  # closed by the target before the request went out (a server at
            self.conn.give_up_handshake()  # its connection cap may accept and close at once)
            return None
        self.conn.send_request(offers)
        await self.send(request, chop=chop, pause=pause)
        if not await self.wait(lambda: self.response is not None or bool(self.handshake_error)):
            self.conn.give_up_handshake()
        return self.response

    async def open(self, *, resource: str | None = None, headers: Sequence[tuple[str, str]] = (),
                   subprotocols: Sequence[str] | None = None, origin: str | None = None,
                   host: str | None = None, key: str | None = None, version: str = "13",
                   extensions: Sequence[str] = ()) -> HttpResponse:
        """Connect and do an opening handshake (RFC 6455 §4.1) with the endpoint's options.

        ``host``, ``key`` and ``version`` replace the Host, Sec-WebSocket-Key and Sec-WebSocket-Version
        values; ``extensions`` are the offer elements (``deflate.offer(...)`` or any text); for anything
        more unusual build the request with ``build_request`` and use :meth:`handshake`.

        Raises:
            HandshakeFailed: the target did not answer with a valid 101 (status, Upgrade, Connection, Accept).
        """
        ep = self.endpoint
        key = new_key() if key is None else key
        request = build_request(resource or ep.resource, host or ep.host_header, key, version=version,
                                subprotocols=ep.subprotocols if subprotocols is None else subprotocols,
                                origin=ep.origin if origin is None else origin,
                                headers=(*ep.headers, *headers), extensions=extensions)
        response = await self.handshake(request, offers=extensions)
        expected = ["101 switching protocols with a valid sec-websocket-accept"]
        if response is None:
            raise HandshakeFailed(expected, self.handshake_error)
        if problems := upgrade_problems(response, key):
            raise HandshakeFailed(expected, "; ".join(problems))
        return response

    # ---- sending -----------------------------------------------------------------------------------

    async def send(self, data: bytes, *, chop: int | None = None, pause: float = 0.0, text: str = "") -> None:
        """Write raw bytes, optionally as TCP chops of ``chop`` bytes with ``pause`` seconds between them.

        Writing after the connection closed is recorded in the transcript and otherwise ignored. If the
        target stops reading and the write buffer stays full past the deadline, the connection is aborted.
        """
        step = chop or len(data) or 1
        # Between pauses the target's bytes are read, and automatic replies (a pong, a close reply) wait
        # until ``data`` is written whole: written at once they would land inside the frame being chopped.
        self._held = []
        try:
            for start in range(0, max(len(data), 1), step):
                piece = data[start:start + step]
                if not self.stream.write(piece):
                    self.transcript.note(f"not sent, connection closed: {len(data) - start} bytes")
                    return
                self.transcript.sent(piece, text if start == 0 else "")
                if pause and start + step < len(data):
                    await self.pause(pause)
        finally:
            held, self._held = self._held, None
            for reply in held:
                self.stream.write(reply)
        if self.stream.write_paused and not await self.stream.drained():
            self.abort("the target stopped reading (write buffer full)")

    async def send_frame(self, opcode: int, payload: bytes = b"", *, chop: int | None = None,
                         pause: float = 0.0, **overrides: object) -> None:
        """Build a frame with :func:`~conformance.wire.wsframes.frame` (``overrides`` go there), send it."""
        data = frame(opcode, payload, **overrides)  # type: ignore[arg-type]
        await self.send(data, chop=chop, pause=pause, text=_tx_text(opcode, payload, overrides))

    async def send_text(self, text: str | bytes, **kw: object) -> None:
        """Send one unfragmented text frame (``bytes`` are sent as they are, valid UTF-8 or not)."""
        await self.send_frame(0x1, text.encode() if isinstance(text, str) else text, **kw)  # type: ignore[arg-type]

    async def send_binary(self, data: bytes, **kw: object) -> None:
        """Send one unfragmented binary frame."""
        await self.send_frame(0x2, data, **kw)  # type: ignore[arg-type]

    async def send_message(self, data: bytes, *, binary: bool = False, compress: bool = True,
                           fragment: int = 0) -> None:
        """Send one data message, compressed with the agreed permessage-deflate when ``compress`` (RSV1 on
        the first frame only), in frames of ``fragment`` payload bytes when ``fragment`` > 0."""
        frames = self.conn.message_frames(0x2 if binary else 0x1, data, compress=compress, fragment=fragment)
        how = " compressed" if frames and frames[0][0] & 0x40 else ""
        await self.send(b"".join(frames), text=f"{'binary' if binary else 'text'} message of {len(data)} "
                                               f"bytes{how} in {len(frames)} frame(s)")

    async def ping(self, payload: bytes = b"", **kw: object) -> None:
        """Send a ping."""
        await self.send_frame(PING, payload, **kw)  # type: ignore[arg-type]

    async def close(self, code: int | None = 1000, reason: str | bytes = b"", *,
                    payload: bytes | None = None, **kw: object) -> None:
        """Start (or answer) the closing handshake; ``payload`` sends any close payload, legal or not."""
        body = close_payload(code, reason) if payload is None else payload
        self.conn.send_close(body)
        await self.send_frame(CLOSE, body, **kw)  # type: ignore[arg-type]

    # ---- waiting -----------------------------------------------------------------------------------

    async def wait(self, condition: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait until ``condition()`` holds, the TCP connection closes, or the time is up.

        ``timeout`` shortens the wait; the case's soft deadline always bounds it. Returns ``condition()``.
        Never sleeps a fixed time: it wakes on every byte received and every state change.
        """
        return await self.stream.wait(condition, timeout)

    async def next_event(self, timeout: float | None = None) -> Event | None:
        """Wait for the next event after those already in ``events``; None if none came."""
        seen = len(self.events)
        if await self.wait(lambda: len(self.events) > seen, timeout):
            return self.events[seen]
        return None

    async def checkpoint(self, tag: str, wait: float) -> bool:
        """Autobahn's timeout marker: wait up to ``wait`` seconds (less if the connection leaves OPEN).

        If the connection is still open then, record ``Timeout(tag)`` in ``events`` and return True.
        """
        await self.wait(lambda: not self.is_open, wait)
        if self.is_open:
            self.conn.timeout_marker(tag, wait)
            return True
        return False

    async def pause(self, seconds: float) -> None:
        """Wait ``seconds`` (bounded by the deadline, over early if the connection closes); use between
        sends that must not share a TCP segment."""
        await self.stream.wait(lambda: False, seconds)

    # ---- ending ------------------------------------------------------------------------------------

    def abort(self, reason: str) -> None:
        """Cut the connection now (the runner closed TCP first), recording ``reason``."""
        self.conn.abort(reason)
        self.stream.abort()

    def release(self) -> None:
        """Free the connection at the end of a case (no verdict effect)."""
        if self.stream.writable:
            self.conn.abort()
            self.stream.abort()

    def forget(self) -> None:
        """Drop what was received (events, frames) once the case is judged: the client may live on until
        the next cyclic garbage collection (through a traceback), what it received need not."""
        self.conn.events = []
        self.conn.frames = []

    # ---- receiving (called by the stream) ----------------------------------------------------------

    def _on_data(self, data: bytes) -> None:
        self.conn.receive_data(data)
        for reply in self.conn.data_to_send():
            if self._held is not None:  # a chopped send is under way: after its last chop
                if len(self._held) == MAX_HELD_REPLIES:  # a ping flood: the oldest pongs go (§5.5.3 allows
                    del self._held[0]                    # answering only the most recent ping)
                self._held.append(reply)
            else:
                self.stream.write(reply)
        if self.conn.tcp_closed:  # the connection aborted itself (a bound was reached)
            self.stream.abort()


def _tx_text(opcode: int, payload: bytes, overrides: dict[str, object]) -> str:
    flags = " ".join(f"{k}={v!r}" for k, v in overrides.items() if k != "mask_key")
    return f"frame op={opcode:#x} len={len(payload)}" + (f" {flags}" if flags else "")
