"""The server side of one client case: an independent, strict HTTP/1.1 responder on 127.0.0.1, port 0.

Each connection the client under test opens is read up to its request head
(:mod:`conformance.catalog.sseclient.request`) and handed to the case as an :class:`Incoming`, in order;
the case answers it as its script says: a head (:meth:`Incoming.respond`), then stream bytes, each write
one chunk of a ``Transfer-Encoding: chunked`` body (:meth:`Incoming.send`), then the end of the body
(:meth:`Incoming.end`) or a cut connection (:meth:`Incoming.abort`). Nothing is sent that the case did not
ask for; nothing here decides a verdict.

Bounded by construction: at most :data:`MAX_CONNECTIONS` connections per case are read (later ones are
closed at once and counted), a request head is at most 16 KiB, each read waits at most until the case's
deadline, and the transcript keeps what it keeps (:class:`~conformance.wire.transcript.Transcript`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from http import HTTPStatus

from conformance.catalog.sseclient.request import HeadBuffer, Request, parse_request_head
from conformance.wire.transcript import BYTES, EVENT, NOTE, RX, TX, Transcript

__all__ = ["MAX_CONNECTIONS", "CaseServer", "Incoming"]

#: Connections read per case; a client that opens more is cut off (a reconnection loop gone wild).
MAX_CONNECTIONS = 32


class Incoming:
    """One connection from the client and the request head it sent.

    Attributes:
        number: 1 for the client's first connection, 2 for the next, ...
        request: the parsed head (its ``problem`` says what is wrong with it, if anything).
        at: ``loop.time()`` when the head was complete.
    """

    def __init__(self, number: int, request: Request, at: float, writer: asyncio.StreamWriter,
                 transcript: Transcript) -> None:
        self.number = number
        self.request = request
        self.at = at
        self._writer = writer
        self._transcript = transcript
        self._chunked = False
        #: when the server ended or cut the response (``loop.time()``), or None while it is open
        self.ended_at: float | None = None

    async def respond(self, status: int, headers: Sequence[tuple[str, str]] = (), body: bytes | None = None,
                      *, cors: bool = True) -> None:
        """Send the response head; with ``body``, the whole response (``Content-Length``) and then close.

        Without ``body`` the response is a stream: ``Transfer-Encoding: chunked``, written by :meth:`send`.
        With ``cors`` (the default) a request that carries ``Origin`` gets it back in
        ``Access-Control-Allow-Origin``, so that a browser's EventSource on another origin may read it.
        """
        lines = [f"HTTP/1.1 {status} {_reason(status)}", *(f"{n}: {v}" for n, v in headers)]
        origin = self.request.header("origin")
        if cors and origin is not None:
            lines.append(f"Access-Control-Allow-Origin: {origin}")
        lines.append("Cache-Control: no-store")
        if body is None:
            self._chunked = True
            lines.append("Transfer-Encoding: chunked")
        else:
            lines += [f"Content-Length: {len(body)}", "Connection: close"]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        await self._write(head + (body or b""), f"response {status}")
        if body is not None:
            self.abort()

    async def send(self, data: bytes) -> None:
        """One chunk of the stream (after a streaming :meth:`respond`)."""
        if not self._chunked:
            raise RuntimeError("send() before a streaming respond()")
        if data:
            await self._write(b"%x\r\n%s\r\n" % (len(data), data), "stream chunk", shown=data)

    async def end(self) -> None:
        """End the stream as framed (the last chunk), then close the connection."""
        if self._chunked and self.ended_at is None:
            await self._write(b"0\r\n\r\n", "end of the stream")
        self.abort()

    def abort(self) -> None:
        """Close the connection (without ending the body if it has not ended)."""
        if self.ended_at is None:
            self.ended_at = asyncio.get_running_loop().time()
            self._transcript.add(NOTE, EVENT, f"connection {self.number} closed by the server")
        self._writer.close()

    async def _write(self, data: bytes, what: str, *, shown: bytes | None = None) -> None:
        self._transcript.add(TX, BYTES, f"#{self.number} {what}", data if shown is None else shown)
        if self._writer.is_closing():
            return
        self._writer.write(data)
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class CaseServer:
    """Listens on 127.0.0.1 (port 0) for one case; :meth:`next` hands over each connection's request."""

    def __init__(self, transcript: Transcript, deadline: float) -> None:
        self.transcript = transcript
        self.deadline = deadline
        self.port = 0
        self.refused = 0
        self._count = 0
        self._queue: asyncio.Queue[Incoming] = asyncio.Queue()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def next(self, timeout: float) -> Incoming | None:
        """The client's next connection (with its request head), or None after ``timeout`` seconds."""
        try:
            return await asyncio.wait_for(self._queue.get(), max(0.0, timeout))
        except asyncio.TimeoutError:
            return None

    @property
    def connections(self) -> int:
        """Connections the client opened so far (those refused past the cap included)."""
        return self._count + self.refused

    async def close(self) -> None:
        self._closed = True
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._count >= MAX_CONNECTIONS or self._closed:
            self.refused += 1
            writer.close()
            return
        self._count += 1
        self._writers.append(writer)
        task = asyncio.ensure_future(self._read_head(self._count, reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_head(self, number: int, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        buffer = HeadBuffer()
        head: bytes | None = None
        with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
            while head is None and not buffer.overflow and not self._closed:
                data = await asyncio.wait_for(reader.read(4096), max(0.0, self.deadline - loop.time()))
                if not data:
                    break
                head = buffer.feed(data)
        if head is None:
            why = "a request head over 16 KiB" if buffer.overflow else "no complete request head"
            self.transcript.add(NOTE, EVENT, f"connection {number}: {why}; closed")
            writer.close()
            return
        request = parse_request_head(head)
        self.transcript.add(RX, BYTES, f"#{number} request", head)
        self._queue.put_nowait(Incoming(number, request, loop.time(), writer, self.transcript))
        # read on (and drop) whatever else the client sends, so that its close is seen and its writes
        # never block; an EventSource request has no body
        with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
            while not self._closed:
                if not await asyncio.wait_for(reader.read(4096), max(0.0, self.deadline - loop.time())):
                    break
