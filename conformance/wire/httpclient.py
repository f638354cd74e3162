"""A raw HTTP/1.1 client for streamed and long-polled responses: one request, one response, on one stream.

:class:`HttpExchange` is a thin asyncio adapter: a :class:`~conformance.wire.stream.Stream` carries the
bytes, a sans-IO :class:`~conformance.wire.httpread.ResponseReader` reads them (head, de-framed body,
arrival times, all bounded), and the only wait is :meth:`Stream.wait`, bounded by the exchange's deadline
(the case's). It sends any request bytes, so cases can send what a well-behaved client would not. It
returns what happened (a head, a body, an error string) and raises only for a connection it could not
make or a head that never came: judging is the catalog's job. It is shared by the SSE subscription
(``conformance.wire.sse``) and the long-poll cases.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from conformance.wire.endpoint import Endpoint
from conformance.wire.http import HttpResponse
from conformance.wire.httpread import ReadState, ResponseReader
from conformance.wire.stream import Stream
from conformance.wire.transcript import Transcript

__all__ = ["CHOP_PAUSE", "HttpExchange"]

#: Seconds between two chops of a chopped request (each chop its own segment and, usually, its own read).
CHOP_PAUSE = 0.001


class HttpExchange:
    """One request on one connection; the response is read in the background as it arrives.

    Args:
        endpoint: where to send it.
        transcript: where the bytes are recorded (bounded), if anywhere.
        deadline: the loop time at which every wait gives up (the case's deadline); default: 1 hour from
            the first :meth:`send`.

    Attributes:
        reader: the sans-IO response reader (state, bounds, timeline).
        sent_at: loop time when the request was out (0 until then).
        on_body: called with the de-framed body bytes of every arrival, in order.
        on_release: called once by :meth:`release` (a reader of the body drops what it kept).
    """

    def __init__(self, endpoint: Endpoint, transcript: Transcript | None = None, *,
                 deadline: float | None = None) -> None:
        self.endpoint = endpoint
        self.transcript = transcript
        self.deadline = deadline
        self.reader = ResponseReader()
        self.sent_at = 0.0
        self.on_body: Callable[[bytes], None] | None = None
        self.on_release: Callable[[], None] | None = None
        self._stream: Stream | None = None

    # ---- what the reader saw -----------------------------------------------------------------------

    @property
    def response(self) -> HttpResponse | None:
        """The response head once read."""
        return self.reader.response

    @property
    def body(self) -> bytes:
        """The body received so far (its first ``MAX_BODY_KEPT`` bytes if ``truncated``)."""
        return bytes(self.reader.body)

    @property
    def body_size(self) -> int:
        """Every body byte received so far, kept or not."""
        return self.reader.body_size

    @property
    def truncated(self) -> bool:
        """The body was larger than the reader keeps: :attr:`body` is a prefix."""
        return self.reader.truncated

    @property
    def ended(self) -> bool:
        """The body ended as HTTP framed it (last chunk, Content-Length reached, close-delimited EOF)."""
        return self.reader.state is ReadState.ENDED

    @property
    def closed(self) -> bool:
        """The connection ended (or never carried a valid head)."""
        return self.reader.eof or bool(self.reader.head_error)

    @property
    def done(self) -> bool:
        """The body is complete or the connection is gone."""
        return self.reader.done

    @property
    def framing_error(self) -> str:
        """Why the body's framing is broken, or ""."""
        return self.reader.framing_error

    @property
    def head_error(self) -> str:
        """Why no response head could be read, or ""."""
        return self.reader.head_error

    @property
    def head_at(self) -> float:
        """Loop time when the head was complete."""
        return self.reader.head_at

    @property
    def last_arrival(self) -> float:
        """Loop time of the latest body bytes (of the head if none came yet)."""
        return self.reader.last_arrival

    @property
    def longest_silence(self) -> float:
        """The longest time without body bytes so far, from the head on (exact, however many arrived)."""
        return self.reader.longest_silence

    @property
    def raw_head_size(self) -> int:
        """The head's size in bytes."""
        return self.reader.raw_head_size

    # ---- sending -----------------------------------------------------------------------------------

    async def send(self, request: bytes, chop: int | None = None, rcvbuf: int | None = None, *,
                   wait_head: bool = True, head_timeout: float | None = None) -> HttpResponse | None:
        """Connect, send ``request`` (in pieces of ``chop`` bytes, 1 ms apart, if given), then read the
        response in the background; with ``wait_head`` wait for its head (at most ``head_timeout``, never
        past the deadline) and return it (a held poll: don't).

        ``rcvbuf`` shrinks the socket's receive buffer before connecting (a slow subscriber).

        Raises:
            OSError: no connection (``sent_at`` is still 0).
            ConnectionError: the connection ended, or the head was invalid, before a response head.
            TimeoutError: no connection or no head in time.
        """
        loop = asyncio.get_running_loop()
        deadline = self.deadline if self.deadline is not None else loop.time() + 3600.0
        self.reader = ResponseReader(head_request=request.startswith(b"HEAD "))
        stream = Stream(self.endpoint, deadline=deadline, on_data=self._received, on_eof=self._ended)
        self._stream = stream
        await stream.connect(rcvbuf=rcvbuf)
        step = chop or len(request) or 1
        for i in range(0, len(request), step):
            if i and chop:
                await asyncio.sleep(min(CHOP_PAUSE, stream.remaining()))
            if not stream.write(request[i:i + step]):
                break  # the target answered (or hung up) before the whole request: read what it said
        if stream.write_paused:
            await stream.drained()
        self.sent_at = loop.time()
        if self.transcript is not None:
            self.transcript.sent(request, f"http request ({len(request)} bytes)")
        if not wait_head:
            return None
        await stream.wait(lambda: self.response is not None or self.done, head_timeout)
        if self.response is None:
            if not self.done:
                raise TimeoutError("no response head in time")
            raise ConnectionError(self.head_error or "the connection closed before a response head")
        return self.response

    def _received(self, data: bytes) -> None:
        if self.transcript is not None and not self.done:
            self.transcript.received(data)
        assert self._stream is not None
        body = self.reader.receive_data(data, self._stream.loop.time())
        if body and self.on_body is not None:
            self.on_body(body)

    def _ended(self, reset: bool) -> None:
        self.reader.receive_eof(reset)

    # ---- waiting -----------------------------------------------------------------------------------

    async def wait(self, condition: Callable[..., bool], timeout: float | None = None) -> bool:
        """Wait until ``condition()`` holds (re-checked on every arrival), the response is over, or
        ``timeout`` seconds (never past the deadline); returns ``condition()``.

        (``condition`` is called without arguments; a lambda may bind values as default arguments.)"""
        if self._stream is None:
            return condition()
        return await self._stream.wait(lambda: condition() or self.done, timeout) and condition()

    async def wait_done(self, timeout: float | None = None) -> bool:
        """Wait for the end of the response."""
        return await self.wait(lambda: self.done, timeout)

    # ---- the connection ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (a FIN, not a reset) and stop reading."""
        if self._stream is not None:
            self._stream.close()

    def reset(self) -> None:
        """Cut the connection with a TCP RST (a client that vanished abruptly) and stop reading."""
        if self._stream is not None:
            self._stream.reset()

    def release(self) -> None:
        """Close the connection and drop the kept body: the case is over. (A finished case's exchange may
        live on until the next cyclic garbage collection, through a traceback; its body need not.)"""
        self.close()
        self.reader.body = bytearray()
        self.on_body = None
        if self.on_release is not None:
            self.on_release()
            self.on_release = None

    def pause_reading(self) -> None:
        """Stop reading from the socket (a slow subscriber): the target's writes back up."""
        if self._stream is not None:
            self._stream.pause_reading()

    def resume_reading(self) -> None:
        """Read again after :meth:`pause_reading`."""
        if self._stream is not None:
            self._stream.resume_reading()
