"""A raw HTTP/1.1 client for streamed and long-polled responses, and the long-poll answer checks.

:class:`HttpExchange` sends any request bytes, reads the response head, then de-chunks the body
incrementally (chunked, Content-Length or close-delimited), recording every received piece with its
arrival time, so cases can check timing (heartbeats, hold times) and chunk independence. It is shared by
the SSE subscription (``conformance.wire.sse``) and the long-poll cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass, field
from typing import Any

from conformance.wire.endpoint import Endpoint
from conformance.wire.http import HttpResponse, parse_response_head
from conformance.wire.transcript import Transcript

__all__ = ["HttpExchange", "PollAnswer", "parse_poll_answer"]

_MAX_HEAD = 64 * 1024



class _Dechunker:
    """Incremental ``Transfer-Encoding: chunked`` decoder (RFC 9112 §7.1); ``done`` after the last chunk."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._need: int | None = None  # bytes of chunk data still expected (+2 for its CRLF)
        self.done = False
        self.error = ""

    def feed(self, data: bytes) -> bytes:
        self._buf += data
        out = bytearray()
        while not self.done and not self.error:
            if self._need is None:
                end = self._buf.find(b"\r\n")
                if end < 0:
                    break
                size_text = bytes(self._buf[:end]).split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    self.error = f"bad chunk size line: {bytes(self._buf[:end])[:40]!r}"
                    break
                del self._buf[:end + 2]
                if size == 0:
                    self.done = True
                    break
                self._need = size + 2
            if len(self._buf) < self._need:
                break
            out += self._buf[:self._need - 2]
            if self._buf[self._need - 2:self._need] != b"\r\n":
                self.error = "chunk data not followed by crlf"
            del self._buf[:self._need]
            self._need = None
        return bytes(out)


@dataclass
class HttpExchange:
    """One request on one connection; the response body is read in the background as it arrives.

    Attributes:
        response: the response head once read.
        pieces: (arrival time in loop seconds, de-chunked bytes) in order.
        ended: the body ended as HTTP framed it (last chunk, Content-Length reached, or close-delimited EOF).
        closed: the target closed the connection.
        framing_error: a broken chunked encoding.
        head_error: why no response head could be read.
    """

    endpoint: Endpoint
    transcript: Transcript | None = None
    response: HttpResponse | None = None
    pieces: list[tuple[float, bytes]] = field(default_factory=list)
    ended: bool = False
    closed: bool = False
    framing_error: str = ""
    head_error: str = ""
    sent_at: float = 0.0
    head_at: float = 0.0
    raw_head_size: int = 0
    on_body: Any = None
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, request: bytes, chop: int | None = None, rcvbuf: int | None = None, *,
                   wait_head: bool = True) -> HttpResponse | None:
        """Connect, send ``request`` (in pieces of ``chop`` bytes, 1 ms apart, if given), then read the
        response in the background; with ``wait_head`` wait for its head and return it (a held poll: don't).

        ``rcvbuf`` shrinks the socket's receive buffer before connecting (a slow subscriber).
        """
        ep = self.endpoint
        sock = None
        if rcvbuf is not None:
            family = socket.AF_INET6 if ":" in ep.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (ep.host, ep.port))
        self._reader, self._writer = await asyncio.open_connection(
            None if sock else ep.host, None if sock else ep.port, sock=sock, ssl=ep.ssl_context(),
            server_hostname=ep.host if ep.secure else None)
        loop = asyncio.get_running_loop()
        step = chop or len(request) or 1
        try:
            for i in range(0, len(request), step):
                if i and chop:
                    await asyncio.sleep(0.001)  # each chop its own segment and, usually, its own read
                self._writer.write(request[i:i + step])
                await self._writer.drain()
        except ConnectionError:
            pass  # the target answered (or hung up) before the whole request: read what it said
        self.sent_at = loop.time()
        if self.transcript is not None:
            self.transcript.sent(request, f"http request ({len(request)} bytes)")
        self._task = asyncio.ensure_future(self._read_response())
        if not wait_head:
            return None
        await self.wait(lambda: self.response is not None, 3600.0)
        if self.response is None:
            raise ConnectionError(self.head_error or "the connection closed before a response head")
        return self.response

    async def _read_response(self) -> None:
        assert self._reader is not None
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
            self.response = parse_response_head(head)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, OSError) as exc:
            self.head_error = f"no valid response head: {type(exc).__name__}: {exc}"[:200]
            self.closed = True
            self._finish(False)
            return
        self.head_at = asyncio.get_running_loop().time()
        self.raw_head_size = len(head)
        if self.transcript is not None:
            self.transcript.received(head)
        self._changed.set()
        try:
            await self._read_body()
        except OSError:
            self.closed = True
            self._finish(False)

    async def _read_body(self) -> None:
        assert self._reader is not None
        assert self.response is not None
        loop = asyncio.get_running_loop()
        resp = self.response
        chunked = "chunked" in resp.tokens("transfer-encoding")
        length = resp.header("content-length")
        remaining = int(length) if length and length.isdigit() and not chunked else None
        dechunker = _Dechunker() if chunked else None
        if resp.status in (204, 304) or remaining == 0:
            self._finish(True)
            return
        while True:
            data = await self._reader.read(65536)
            if not data:
                self.closed = True
                self._finish(dechunker is None and remaining is None)
                return
            if self.transcript is not None:
                self.transcript.received(data)
            if dechunker is not None:
                body = dechunker.feed(data)
                self.framing_error = dechunker.error
            else:
                body = data[:remaining] if remaining is not None else data
                if remaining is not None:
                    remaining -= len(body)
            if body:
                self.pieces.append((loop.time(), body))
                if self.on_body is not None:
                    self.on_body(body)
            self._changed.set()
            if (dechunker is not None and (dechunker.done or dechunker.error)) or remaining == 0:
                self._finish(not self.framing_error)
                return

    def _finish(self, ended: bool) -> None:
        self.ended = ended
        self._changed.set()

    @property
    def done(self) -> bool:
        """The body is complete or the connection is gone."""
        return self.ended or self.closed or bool(self.framing_error)

    @property
    def body(self) -> bytes:
        """Everything received so far."""
        return b"".join(p for _, p in self.pieces)

    async def wait(self, condition: Any, timeout: float) -> bool:
        """Wait until ``condition()`` is true (re-checked on every received piece) or ``timeout``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not condition():
            if self.done and not condition():
                return False
            left = end - loop.time()
            if left <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return True

    async def wait_done(self, timeout: float) -> bool:
        """Wait for the end of the body."""
        return await self.wait(lambda: self.done, timeout)

    def close(self) -> None:
        """Drop the connection (RST-free close) and stop reading."""
        if self._task is not None:
            self._task.cancel()
        if self._writer is not None:
            self._writer.close()

    def pause_reading(self) -> None:
        """Stop reading from the socket (a slow subscriber): the target's writes back up."""
        if self._writer is not None:
            self._writer.transport.pause_reading()  # type: ignore[attr-defined]

    def resume_reading(self) -> None:
        """Read again after :meth:`pause_reading`."""
        if self._writer is not None and not self._writer.is_closing():
            self._writer.transport.resume_reading()  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class PollAnswer:
    """A parsed long-poll answer: the next cursor and the messages (id, data, event)."""

    cursor: int
    messages: tuple[tuple[str, str, str | None], ...]


def parse_poll_answer(body: bytes) -> PollAnswer:
    """Parse ``{"cursor": M, "messages": [{"id": ..., "data": ...}]}`` strictly.

    Raises:
        ValueError: not JSON of that shape (the message shows what is wrong).
    """
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"poll answer is not utf-8 json: {exc}: {body[:80]!r}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
        raise ValueError(f"poll answer has no messages list: {body[:80]!r}")
    cursor = obj.get("cursor")
    if isinstance(cursor, str) and cursor.isdigit():
        cursor = int(cursor)
    if not isinstance(cursor, int) or isinstance(cursor, bool):
        raise ValueError(f"poll answer cursor is not an integer: {cursor!r}")
    messages = []
    for m in obj["messages"]:
        if not isinstance(m, dict) or not isinstance(m.get("data"), str) or "id" not in m:
            raise ValueError(f"poll message needs an id and a string data: {m!r}")
        event = m.get("event")
        messages.append((str(m["id"]), m["data"], event if isinstance(event, str) else None))
    return PollAnswer(cursor, tuple(messages))
