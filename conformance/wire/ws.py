"""The raw WebSocket client every WebSocket case drives: send any bytes, read replies strictly.

One :class:`WsClient` is one TCP (or TLS) connection to the target. It is built by the WebSocket suite
with the case's deadline; nothing in it can wait past that deadline, and nothing is buffered without
bound (a frame over ``max_message`` bytes, more than ``max_events`` events or a response head over
16 KiB aborts the connection with a recorded reason).

Typical use in a case::

    await ws.open()                                  # handshake; CaseFailed if not a valid 101
    await ws.send_frame(TEXT, b"Hello")              # masked by default, any header field overridable
    await ws.send(frame(PING, b"x" * 126), chop=1)   # raw bytes, one octet per TCP write
    await ws.checkpoint("A", 0.5)                    # Timeout("A") event if still open after 0.5 s
    return await expect.echo(ws, [Message.text("Hello")])

Reading happens in the background as bytes arrive: frames are decoded and judged (``ws.deviations``),
messages assembled into ``ws.events``, the target's own keepalive pings answered (unless
``answer_pings`` is false, then they are events too), and a close frame from the target answered with a
close frame (unless ``auto_close_reply`` is false). Verifiers wait on these with :meth:`WsClient.wait`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from conformance.model import CaseFailed
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import MAX_HEAD, HttpResponse, parse_response_head
from conformance.wire.transcript import RX, TX, Transcript
from conformance.wire.wsframes import (
    CLOSE,
    PING,
    PONG,
    Frame,
    FrameReader,
    FrameTooLarge,
    close_payload,
    frame,
)
from conformance.wire.wshandshake import build_request, new_key, upgrade_problems
from conformance.wire.wsrecv import CloseFrame, Event, Message, Ping, Pong, Receiver, Timeout

__all__ = ["CloseInfo", "Event", "Message", "Ping", "Pong", "Timeout", "WsClient"]

MAX_MESSAGE = 16 * 2**20
MAX_EVENTS = 10_000


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


class _Proto(asyncio.Protocol):
    def __init__(self, client: WsClient) -> None:
        self.client = client

    def data_received(self, data: bytes) -> None:
        self.client._on_data(data)

    def eof_received(self) -> bool:
        self.client._on_lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.client._on_lost(exc)

    def pause_writing(self) -> None:
        self.client._write_paused = True

    def resume_writing(self) -> None:
        self.client._write_paused = False
        self.client._wake()


class WsClient:
    """A raw WebSocket connection to the target (see the module docstring).

    Args:
        endpoint: where to connect and the user's options (headers, subprotocols, origin, TLS).
        deadline: ``loop.time()`` at which the case's time is up; waits end ``reserve`` seconds earlier
            so verifiers can still reach a verdict.
        answer_pings: answer the target's pings with pongs and keep them out of ``events``.
        auto_close_reply: answer the target's close frame with a close frame (as a conforming client).
        close_timeout: how long verifiers wait for the closing handshake and the TCP close.
    """

    def __init__(self, endpoint: Endpoint, *, deadline: float, transcript: Transcript | None = None,
                 answer_pings: bool = True, auto_close_reply: bool = True, close_timeout: float = 2.0,
                 max_message: int = MAX_MESSAGE, max_events: int = MAX_EVENTS, reserve: float = 0.25) -> None:
        self.endpoint = endpoint
        self.loop = asyncio.get_running_loop()
        self.deadline = deadline
        self.soft_deadline = deadline - reserve
        self.transcript = transcript if transcript is not None else Transcript()
        self.answer_pings = answer_pings
        self.auto_close_reply = auto_close_reply
        self.close_timeout = close_timeout
        self.max_message = max_message
        self.max_events = max_events
        self.events: list[Event] = []
        self.frames: list[Frame] = []
        self.response: HttpResponse | None = None
        self.handshake_error = ""
        self.receiver = Receiver()
        self.target_close: CloseFrame | None = None
        self.runner_close: bytes | None = None
        self.initiator: str | None = None
        self.tcp_closed = False
        self.tcp_closed_by: str | None = None
        self.reset = False
        self.aborted = ""
        self._transport: asyncio.Transport | None = None
        self._phase = "idle"
        self._head = bytearray()
        self._reader = FrameReader(max_message)
        self._held = 0
        self._frame_bytes = 0
        self._waiter: asyncio.Future[None] | None = None
        self._write_paused = False

    # ---- state -------------------------------------------------------------------------------------

    @property
    def deviations(self) -> list[str]:
        """RFC violations seen in the target's frames, in order."""
        return self.receiver.deviations

    @property
    def is_open(self) -> bool:
        """Handshake done, no close frame either way, TCP open."""
        return self._phase == "ws" and self.target_close is None and self.runner_close is None \
            and not self.tcp_closed

    def close_info(self) -> CloseInfo:
        """A snapshot of how the connection ended so far."""
        code = None
        if self.runner_close is not None and len(self.runner_close) >= 2:
            code = int.from_bytes(self.runner_close[:2], "big")
        return CloseInfo(self.initiator, self.runner_close is not None, code, self.target_close,
                         self.tcp_closed, self.tcp_closed_by, self.reset, self.aborted)

    def remaining(self) -> float:
        """Seconds left before the soft deadline (never negative)."""
        return max(0.0, self.soft_deadline - self.loop.time())

    # ---- connecting --------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the TCP (and TLS) connection only; :meth:`handshake` or :meth:`open` come next.

        Raises:
            OSError: the target refused or reset the connection (the runner reports the case as errored).
            TimeoutError: no connection before the deadline.
        """
        ep = self.endpoint
        ctx = ep.ssl_context()
        coro = self.loop.create_connection(lambda: _Proto(self), ep.host, ep.port, ssl=ctx,
                                           server_hostname=ep.host if ctx else None)
        try:
            transport, _ = await asyncio.wait_for(coro, self.remaining())
        except asyncio.TimeoutError:
            raise TimeoutError(f"no connection to {ep.host_header} within the case timeout") from None
        self._transport = transport
        self.transcript.note(f"connected to {ep.host_header}" + (" (tls)" if ctx else ""))

    async def handshake(self, request: bytes, *, chop: int | None = None,
                        pause: float = 0.0) -> HttpResponse | None:
        """Send ``request`` (any bytes) and read the response head; connects first if needed.

        Returns the response, or None (with ``handshake_error`` saying why) if the target closed the
        connection, sent something that is not HTTP, or did not answer in time. After a 101 the
        connection speaks WebSocket frames.
        """
        if self._transport is None:
            await self.connect()
        self._phase = "http"
        await self.send(request, chop=chop, pause=pause)
        if not await self.wait(lambda: self.response is not None or bool(self.handshake_error)):
            self.handshake_error = self.handshake_error or (
                f"no response head; {self.close_info().describe()}" if self.tcp_closed
                else "no response head before the case timeout")
        return self.response

    async def open(self, *, resource: str | None = None, headers: Sequence[tuple[str, str]] = (),
                   subprotocols: Sequence[str] | None = None, origin: str | None = None,
                   host: str | None = None, key: str | None = None, version: str = "13") -> HttpResponse:
        """Connect and do an opening handshake (RFC 6455 §4.1) with the endpoint's options.

        ``host``, ``key`` and ``version`` replace the Host, Sec-WebSocket-Key and Sec-WebSocket-Version
        values; for anything more unusual build the request with ``build_request`` and use :meth:`handshake`.

        Raises:
            CaseFailed: the target did not answer with a valid 101 (status, Upgrade, Connection, Accept).
        """
        ep = self.endpoint
        key = new_key() if key is None else key
        request = build_request(resource or ep.resource, host or ep.host_header, key, version=version,
                                subprotocols=ep.subprotocols if subprotocols is None else subprotocols,
                                origin=ep.origin if origin is None else origin,
                                headers=(*ep.headers, *headers))
        response = await self.handshake(request)
        expected = ["101 switching protocols with a valid sec-websocket-accept"]
        if response is None:
            raise CaseFailed(expected, self.handshake_error)
        if problems := upgrade_problems(response, key):
            raise CaseFailed(expected, "; ".join(problems))
        return response

    # ---- sending -----------------------------------------------------------------------------------

    async def send(self, data: bytes, *, chop: int | None = None, pause: float = 0.0, text: str = "") -> None:
        """Write raw bytes, optionally as TCP chops of ``chop`` bytes with ``pause`` seconds between them.

        Writing after the connection closed is recorded in the transcript and otherwise ignored. If the
        target stops reading and the write buffer stays full past the deadline, the connection is aborted.
        """
        step = chop or len(data) or 1
        for start in range(0, max(len(data), 1), step):
            piece = data[start:start + step]
            if self._transport is None or self.tcp_closed or self._transport.is_closing():
                self.transcript.note(f"not sent, connection closed: {len(data) - start} bytes")
                return
            self._transport.write(piece)
            self.transcript.sent(piece, text if start == 0 else "")
            if pause and start + step < len(data):
                await self.pause(pause)
        if self._write_paused and not await self.wait(lambda: not self._write_paused):
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

    async def ping(self, payload: bytes = b"", **kw: object) -> None:
        """Send a ping."""
        await self.send_frame(PING, payload, **kw)  # type: ignore[arg-type]

    async def close(self, code: int | None = 1000, reason: str | bytes = b"", *,
                    payload: bytes | None = None, **kw: object) -> None:
        """Start (or answer) the closing handshake; ``payload`` sends any close payload, legal or not."""
        body = close_payload(code, reason) if payload is None else payload
        if self.runner_close is None:
            self.runner_close = body
            self.initiator = self.initiator or "runner"
        await self.send_frame(CLOSE, body, **kw)  # type: ignore[arg-type]

    # ---- waiting -----------------------------------------------------------------------------------

    async def wait(self, condition: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait until ``condition()`` holds, the TCP connection closes, or the time is up.

        ``timeout`` shortens the wait; the case's soft deadline always bounds it. Returns ``condition()``.
        Never sleeps a fixed time: it wakes on every byte received and every state change.
        """
        end = self.soft_deadline if timeout is None else min(self.soft_deadline, self.loop.time() + timeout)
        while not condition():
            remaining = end - self.loop.time()
            if self.tcp_closed or remaining <= 0:
                return condition()
            fut: asyncio.Future[None] = self.loop.create_future()
            self._waiter = fut
            timer = self.loop.call_later(remaining, _resolve, fut)
            try:
                await fut
            finally:
                timer.cancel()
                self._waiter = None
        return True

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
            self.events.append(Timeout(tag))
            self.transcript.note(f"timeout marker {tag}: still open after {wait}s")
            return True
        return False

    async def pause(self, seconds: float) -> None:
        """Sleep (bounded by the deadline); use between sends that must not share a TCP segment."""
        await asyncio.sleep(min(seconds, self.remaining()))

    # ---- ending ------------------------------------------------------------------------------------

    def abort(self, reason: str) -> None:
        """Cut the connection now (the runner closed TCP first), recording ``reason``."""
        if not self.aborted:
            self.aborted = reason
            self.transcript.note(f"runner aborts: {reason}")
        if self._transport is not None and not self.tcp_closed:
            self.tcp_closed_by = self.tcp_closed_by or "runner"
            self._transport.abort()
        self._wake()

    def release(self) -> None:
        """Free the connection at the end of a case (no verdict effect)."""
        if self._transport is not None and not self._transport.is_closing():
            self.tcp_closed_by = self.tcp_closed_by or "runner"
            self._transport.abort()

    # ---- receiving (called by the protocol) ---------------------------------------------------------

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _on_data(self, data: bytes) -> None:
        if self.aborted:
            return
        self.transcript.received(data)
        if self._phase == "http":
            self._on_head(data)
        elif self._phase == "ws":
            self._on_frames(data)
        self._wake()

    def _on_head(self, data: bytes) -> None:
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > MAX_HEAD:
                self.handshake_error = f"response head over {MAX_HEAD} bytes"
                self.abort(self.handshake_error)
            return
        raw, rest = bytes(self._head[:end + 4]), bytes(self._head[end + 4:])
        self._head.clear()
        try:
            self.response = parse_response_head(raw)
        except ValueError as exc:
            self.handshake_error = str(exc)
            self._phase = "done"
            return
        self._phase = "ws" if self.response.status == 101 else "done"
        self.receiver.extensions = self.response.header("sec-websocket-extensions") is not None
        if rest and self._phase == "ws":
            self._on_frames(rest)

    def _on_frames(self, data: bytes) -> None:
        try:
            frames = self._reader.feed(data)
        except FrameTooLarge as exc:
            for fr in exc.frames:  # the frames before the oversized one, whatever the TCP split
                self._on_frame(fr)
                if self.aborted:
                    return
            self.abort(f"target {exc}")
            return
        for fr in frames:
            self._on_frame(fr)
            if self.aborted:
                return

    def _on_frame(self, fr: Frame) -> None:
        self.transcript.frame(RX, fr.describe(), fr.payload)
        if len(self.frames) < self.max_events and self._frame_bytes < 4 * self.max_message:
            self._frame_bytes += len(fr.payload)
            self.frames.append(fr)
        item = self.receiver.feed(fr)
        if item is None:
            return
        if isinstance(item, CloseFrame):
            self._on_close(item)
        elif isinstance(item, Ping) and self.answer_pings:
            if self.runner_close is None and self._transport is not None and not self._transport.is_closing():
                self._transport.write(frame(PONG, item.payload))
                self.transcript.frame(TX, "PONG (automatic answer to the target's ping)", item.payload)
        else:
            self._on_event(item)

    def _on_close(self, item: CloseFrame) -> None:
        if self.target_close is not None:
            return
        self.target_close = item
        self.initiator = self.initiator or "target"
        if self.auto_close_reply and self.runner_close is None and self._transport is not None \
                and not self._transport.is_closing():
            # RFC 6455 §5.5.1: "it MUST send a Close frame in response"; echo the code as is customary
            self.runner_close = close_payload(item.code) if item.code is not None else b""
            self._transport.write(frame(CLOSE, self.runner_close))
            self.transcript.frame(TX, "CLOSE (automatic reply to the target's close)", self.runner_close)

    def _on_event(self, item: Message | Ping | Pong) -> None:
        self._held += len(item.data) if isinstance(item, Message) else len(item.payload)
        if len(self.events) >= self.max_events or self._held > 4 * self.max_message:
            self.abort(f"target sent more than {len(self.events)} events / {self._held} bytes")
            return
        self.events.append(item)

    def _on_lost(self, exc: Exception | None) -> None:
        if not self.tcp_closed:
            self.tcp_closed = True
            self.tcp_closed_by = self.tcp_closed_by or "target"
            self.reset = isinstance(exc, ConnectionResetError)
            self.transcript.note(f"tcp {'reset' if self.reset else 'closed'} by {self.tcp_closed_by}")
            if self._phase == "http" and self.response is None and not self.handshake_error:
                self.handshake_error = f"connection closed before a response head ({len(self._head)} bytes)"
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
        self._wake()


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _tx_text(opcode: int, payload: bytes, overrides: dict[str, object]) -> str:
    flags = " ".join(f"{k}={v!r}" for k, v in overrides.items() if k != "mask_key")
    return f"frame op={opcode:#x} len={len(payload)}" + (f" {flags}" if flags else "")



