"""A protocol-neutral HTTP/1.1 server on asyncio streams and h11, for the plain-HTTP reference servers.

One :class:`HttpConnection` per TCP connection reads requests one after another (keep-alive) and writes
either a complete response or a streamed (chunked) body. :class:`HttpServer` owns the listener, counts
the connections and shuts down as the WebSocket server does: stop listening, ask every handler to end
cleanly, wait ``shutdown_timeout``, drop the rest. :func:`run_until_signal` is the main loop of a server
process. Connections are accepted by a ``Listener`` (at most ``connection_cap`` at once, see ``listener``),
and a refused request's connection is closed in stages (``lingering_close``) so that a client still sending
its body reads the error answer instead of a reset. Nothing here knows a protocol: SSE and long polling
are handlers (``sse.py``, ``poll.py``). Every connection charges its write buffer to one server-wide
:class:`~reference.servers.memory_budget.MemoryBudget` (``memory_budget``): past it, a connection that holds
more than 64 KiB and wants to write more is dropped instead (:class:`OverBudget`), so many stalled streams
or unread poll answers cannot together grow the process beyond the budget.
Not to be confused with ``ws_upgrade.py``, which reads the one request head of a WebSocket upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import h11

from reference.servers.lingering_close import linger_then_close
from reference.servers.listener import Listener, Slot, default_connection_cap
from reference.servers.memory_budget import DEFAULT_MEMORY_BUDGET, MemoryBudget
from reference.servers.stop_signals import STOP_SIGNALS, wait_for_stop_signal

__all__ = ["HttpConnection", "HttpServer", "OverBudget", "Request", "cors_field_problem", "cors_headers",
           "run_until_signal"]

_READ_SIZE = 65536
_Headers = Iterable[tuple[str, str]]

_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            408: "Request Timeout", 413: "Content Too Large", 431: "Request Header Fields Too Large",
            503: "Service Unavailable"}


#: RFC 9110 §5.6.2: "token = 1*tchar", tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#: "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class OverBudget(ConnectionAbortedError):
    """A write would take the server past its memory budget: the connection was dropped instead."""


class HttpError(Exception):
    """The request is refused with ``status`` (400, 408, 413, 431) and the connection closed."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Request:
    """A complete request: method, path, query parameters, headers (lower-case names) and body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    #: The request target as received (path and query).
    target: str = "/"
    #: The HTTP version, e.g. "1.1".
    http_version: str = "1.1"

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name (the last one when repeated)."""
        return self.headers.get(name.lower())


def cors_field_problem(headers: dict[str, str]) -> str | None:
    """Why a CORS request field the server echoes cannot be echoed, or None when both are fine.

    ``cors_headers`` and the preflight write ``Origin`` and ``Access-Control-Request-Headers`` back into a
    response header, which must be ASCII. Checked when the request is read, so a bad value gets a 400
    before any handler runs and changes nothing (a refused publish is not stored).
    """
    origin = headers.get("origin")
    # RFC 6454 §7.1: "serialized-origin = scheme "://" host [ ":" port ]" (RFC 3986 parts: ASCII only).
    if origin is not None and not origin.isascii():
        return f"origin must be ascii, got {origin!r}"
    asked = headers.get("access-control-request-headers")
    if asked is not None:
        # WHATWG Fetch §3.2.2: "`Access-Control-Request-Headers` Indicates which headers a future CORS
        # request to the same resource might use": a list of header names. RFC 9110 §5.6.1.2: "A recipient
        # MUST parse and ignore a reasonable number of empty list elements".
        names = [name.strip(" \t") for name in asked.split(",")]
        if not all(_TOKEN.fullmatch(name) for name in names if name):
            return f"access-control-request-headers must list header names, got {asked!r}"
    return None


def cors_headers(request: Request) -> list[tuple[str, str]]:
    """CORS response headers: the request's Origin echoed with credentials allowed, else ``*``.

    WHATWG Fetch §3.2.3: with credentials, "Access-Control-Allow-Origin" must be the request's origin
    (not ``*``) and "Access-Control-Allow-Credentials" must be ``true``.
    """
    origin = request.header("origin")
    if origin is None:
        return [("Access-Control-Allow-Origin", "*")]
    return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin")]


class HttpConnection:
    """Requests in, responses out, on one TCP connection.

    Args:
        reader, writer: the asyncio streams of the connection.
        max_head_size: largest request head (431 past it).
        max_body_size: largest request body (413 past it).
        head_timeout: seconds a client has to send a complete request (408 after it).
        send_timeout: seconds a complete response may wait for the peer to read it; after that the
            connection is dropped (``respond`` raises ``ConnectionAbortedError``). None waits forever.
        linger_timeout: seconds a refused request's connection keeps reading (and discarding) after the
            error answer, half-closed, before it is closed (``lingering_close``).
        budget: the server-wide memory budget its write buffer is charged to; None: its own, unbounded.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                 max_head_size: int = 16384, max_body_size: int = 1 << 20,
                 head_timeout: float = 10.0, send_timeout: float | None = None,
                 linger_timeout: float = 2.0, budget: MemoryBudget | None = None) -> None:
        self.reader = reader
        self.writer = writer
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=max_head_size)
        self._max_head = max_head_size
        self._max_body = max_body_size
        self._head_timeout = head_timeout
        self._send_timeout = send_timeout
        self._linger_timeout = linger_timeout
        #: Waiting for a request (between requests on a kept-alive connection): safe to close on shutdown.
        self.idle = False
        self.budget = budget if budget is not None else MemoryBudget(1 << 62)
        self._charged = 0  # bytes of the write buffer charged to the budget at the last look
        #: The streamed body (``start_stream``) is chunked, not close-delimited.
        self.chunked = False

    async def next_request(self, on_head: Callable[[Request], None] | None = None) -> Request | None:
        """The next request, or None when the peer is done (closed, or the connection cannot be reused).

        A malformed, oversized or too slow request is answered with its error status here.

        Args:
            on_head: Called with the request (its body still empty) as soon as its head is read, before its
                body arrives: for a handler that must know which requests are under way.
        """
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
        elif self._h11.our_state is not h11.IDLE:
            return None
        self.idle = True
        try:
            return await asyncio.wait_for(self._read_request(on_head), self._head_timeout)
        except asyncio.TimeoutError:
            await self._refuse(408, "request not complete in time")
        except HttpError as exc:
            await self._refuse(exc.status, exc.reason)
        finally:
            self.idle = False
        return None

    async def _read_request(self, on_head: Callable[[Request], None] | None) -> Request | None:
        head: h11.Request | None = None
        body = bytearray()
        fed = len(self._h11.trailing_data[0])  # bytes of this request already received (pipelined)
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise HttpError(exc.error_status_hint, f"bad request: {exc}") from None
            if event is h11.NEED_DATA:
                data = await self.reader.read(_READ_SIZE)
                fed += len(data) if head is None else 0
                self._h11.receive_data(data)
                if not data and head is None and self._h11.their_state is h11.IDLE:
                    return None
            elif isinstance(event, h11.Request):
                # h11 bounds a head only while it is incomplete; one that arrived whole is measured here.
                size = fed - len(self._h11.trailing_data[0])
                if size > self._max_head:
                    limit = self._max_head
                    raise HttpError(431, f"request head too large: {size} bytes, the limit is {limit}")
                problem = cors_field_problem(_header_fields(event))
                if problem is not None:
                    raise HttpError(400, problem)
                head = event
                if on_head is not None:
                    on_head(_request(head, b""))
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > self._max_body:
                    raise HttpError(413, f"request body too large: more than {self._max_body} bytes")
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None
                return _request(head, bytes(body))
            else:  # ConnectionClosed or PAUSED before a whole request
                return None

    async def _refuse(self, status: int, reason: str) -> None:
        with contextlib.suppress(h11.LocalProtocolError, OSError):
            if self._h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                await self.respond(status, [("Connection", "close")], (reason + "\n").encode())
        # The client may still be sending the request we refused (a body over the limit): close in stages.
        await linger_then_close(self.reader, self.writer, self._linger_timeout)

    async def respond(self, status: int, headers: _Headers, body: bytes = b"",
                      content_type: str = "text/plain; charset=utf-8") -> None:
        """Write a complete response with a Content-Length (no body for 204)."""
        all_headers = list(headers)
        if status != 204:
            all_headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        self.reserve(len(body))
        self._send(h11.Response(status_code=status, headers=all_headers,
                                reason=_REASONS.get(status, "OK").encode()))
        if body and status != 204:
            self._send(h11.Data(data=body))
        self._send(h11.EndOfMessage())
        self.account()
        try:
            await asyncio.wait_for(self.writer.drain(), self._send_timeout)
        except asyncio.TimeoutError:
            # A peer that does not read would otherwise pin the response, and its handler, forever.
            self.abort()
            raise ConnectionAbortedError(f"response not read within {self._send_timeout} s") from None
        finally:
            self.account()

    def reserve(self, size: int) -> None:
        """Make sure ``size`` more bytes may be buffered under the server's memory budget.

        Raises:
            OverBudget: they may not (the connection holds more than 64 KiB while the server is past its
                budget): the connection is dropped.
        """
        self.account()
        if not self.budget.allows(self._charged, size):
            self.budget.refusals += 1
            self.abort()
            limit = self.budget.limit
            raise OverBudget(f"{size} more bytes would pass the server's memory budget of {limit}")

    def account(self) -> None:
        """Charge the budget with what the write buffer holds now (after a write, after a drain)."""
        transport = self.writer.transport
        now = 0 if transport.is_closing() else transport.get_write_buffer_size()
        self.budget.charge(self._charged, now)
        self._charged = now

    def switch_protocols(self, headers: _Headers) -> bytes:
        """Write ``101 Switching Protocols`` (an upgrade the handler accepted); the streams now carry the new
        protocol. Returns the bytes the client sent behind its request (the new protocol's first bytes).

        Raises:
            h11.LocalProtocolError: The request proposed no upgrade.
        """
        self._send(h11.InformationalResponse(status_code=101, headers=list(headers),
                                             reason=b"Switching Protocols"))
        return bytes(self._h11.trailing_data[0])

    def start_stream(self, headers: _Headers) -> None:
        """Write a 200 head without Content-Length: the body is chunked (HTTP/1.1) or close-delimited."""
        head = self._h11.send(h11.Response(status_code=200, headers=list(headers), reason=b"OK"))
        # h11 picked the framing from the request: chunked for HTTP/1.1, close-delimited for HTTP/1.0.
        self.chunked = bool(head) and b"\r\ntransfer-encoding: chunked\r\n" in (head or b"").lower()
        if head and not self.writer.is_closing():
            self.writer.write(head)

    def write_pieces(self, pieces: list[bytes]) -> None:
        """Write body pieces of a GET stream (``start_stream``) as one chunk, charged to the memory budget.

        The fan-out path: the pieces are bytes shared by every subscriber, joined into one chunk (h11 would
        frame each as its own chunk). Not for a HEAD response, which has no body.

        Raises:
            OverBudget: the budget does not allow it (see :meth:`reserve`).
        """
        size = sum(map(len, pieces))
        self.reserve(size)
        # One write() of the joined pieces, not writelines(): on Python 3.12 (3.12.1 here) writelines() does
        # not pause the protocol past the transport's high-water mark, so drain() returned with the buffer
        # still full and a subscriber that never reads was held without bound (sse/lifecycle/
        # non-reader-bounded failed on the reference server, on 3.12 only).
        if self.chunked:  # RFC 9112 §7.1: chunk-size in hex, CRLF, chunk-data, CRLF
            self.writer.write(b"".join([b"%x\r\n" % size, *pieces, b"\r\n"]))
        else:
            self.writer.write(b"".join(pieces))
        self.account()

    def write(self, data: bytes) -> None:
        """Write one piece of a streamed body (one chunk), charged to the memory budget.

        Raises:
            OverBudget: the budget does not allow it (see :meth:`reserve`).
        """
        self.reserve(len(data))
        self._send(h11.Data(data=data))
        self.account()

    def end_stream(self) -> None:
        """Finish a streamed body (the last chunk); the connection is closed after it."""
        with contextlib.suppress(h11.LocalProtocolError):
            self._send(h11.EndOfMessage())

    def _send(self, event: h11.Event) -> None:
        data = self._h11.send(event)
        if data and not self.writer.is_closing():
            self.writer.write(data)

    @property
    def keep_alive(self) -> bool:
        """The response just sent leaves the connection reusable."""
        return self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE

    def close(self) -> None:
        """Close the socket (after the buffered bytes are written); its charge leaves the budget."""
        self.writer.close()
        self._release()

    def abort(self) -> None:
        """Drop the socket now, discarding buffered bytes."""
        self.writer.transport.abort()
        self._release()

    def _release(self) -> None:
        self.budget.charge(self._charged, 0)
        self._charged = 0


def _header_fields(head: h11.Request) -> dict[str, str]:
    # RFC 9110 §5.5: field values are octets; Last-Event-ID is UTF-8 (WHATWG HTML §9.2.4).
    return {k.decode("ascii").lower(): v.decode("utf-8", "replace") for k, v in head.headers}


def _request(head: h11.Request, body: bytes) -> Request:
    target = head.target.decode("ascii", "replace")
    parts = urlsplit(target)
    return Request(
        method=head.method.decode("ascii"), path=parts.path or "/",
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        headers=_header_fields(head), body=body, target=target,
        http_version=head.http_version.decode("ascii"))


Handler = Callable[[HttpConnection], Awaitable[None]]


class HttpServer:
    """A listener whose connections run ``handler``; shutdown ends them cleanly, then drops the rest.

    Args:
        handler: serves one connection until it returns.
        on_shutdown: called first during :meth:`shutdown` (end streams, answer held polls).
        shutdown_timeout: seconds the handlers get to finish once asked to.
        path: the path shown in :attr:`url` (the stream or poll route).
        max_body_size: largest request body (413 past it).
        send_timeout: seconds a complete response may wait for its peer to read it (see ``HttpConnection``).
        connection_cap: connections held at once; at the cap the server stops accepting until one closes.
            None: ``min(soft RLIMIT_NOFILE - 64, 10000)`` (``listener.default_connection_cap``).
        linger_timeout: seconds a refused request's connection drains input before it is closed.
        memory_budget: bytes the write buffers of all connections together may hold (see the module).
    """

    def __init__(self, handler: Handler, on_shutdown: Callable[[], None], *, shutdown_timeout: float = 2.0,
                 path: str = "/", max_body_size: int = 1 << 20, send_timeout: float | None = None,
                 connection_cap: int | None = None, linger_timeout: float = 2.0,
                 memory_budget: int = DEFAULT_MEMORY_BUDGET) -> None:
        self._handler = handler
        self._on_shutdown = on_shutdown
        self._shutdown_timeout = shutdown_timeout
        self._path = path
        self._max_body = max_body_size
        self._send_timeout = send_timeout
        self._linger_timeout = linger_timeout
        #: The write buffers of all connections together, against one limit.
        self.budget = MemoryBudget(memory_budget)
        #: Connections held at once before the listener stops accepting.
        self.connection_cap = default_connection_cap() if connection_cap is None else connection_cap
        self._listener: Listener | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[HttpConnection] = set()
        self.stopping = False

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and listen; port 0 picks a free port."""
        self._listener = Listener(self._new_protocol, cap=self.connection_cap, backlog=512,
                                  name=f"{type(self).__name__}")
        await self._listener.start(host, port)

    def _new_protocol(self, slot: Slot) -> asyncio.BaseProtocol:
        return _SlotStreamProtocol(asyncio.StreamReader(limit=_READ_SIZE), self._serve, slot)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        conn = HttpConnection(reader, writer, max_body_size=self._max_body, send_timeout=self._send_timeout,
                              linger_timeout=self._linger_timeout, budget=self.budget)
        self._tasks.add(task)
        self._conns.add(conn)
        try:
            if self.stopping:
                await conn.respond(503, [("Connection", "close")], b"server shutting down\n")
            else:
                await self._handler(conn)
        except (OSError, asyncio.IncompleteReadError, h11.LocalProtocolError):
            pass  # the peer went away or broke HTTP mid-response: nothing more to tell it
        except asyncio.CancelledError:
            pass  # only shutdown cancels a handler, after its socket was aborted: the task ends here
        finally:
            self._conns.discard(conn)
            self._tasks.discard(task)
            conn.close()

    @property
    def connections(self) -> int:
        """Connections with a live handler."""
        return len(self._tasks)

    @property
    def port(self) -> int:
        """The bound port."""
        assert self._listener is not None
        return int(self._listener.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """``http://host:port/path`` of the listening socket."""
        assert self._listener is not None
        host, port = self._listener.sockets[0].getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}{self._path}"

    async def shutdown(self) -> None:
        """Stop listening, let the handlers end cleanly, drop the ones still running after the timeout."""
        self.stopping = True
        if self._listener is not None:
            self._listener.close()
        self._on_shutdown()
        for conn in list(self._conns):
            if conn.idle:  # kept alive, between requests: nothing to finish
                conn.close()
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self._shutdown_timeout)
            if pending:
                for conn in list(self._conns):
                    conn.abort()
                _, pending = await asyncio.wait(pending, timeout=1.0)
            for task in pending:
                task.cancel()


class _SlotStreamProtocol(asyncio.StreamReaderProtocol):
    """asyncio's stream protocol; gives its place under the connection cap back when its socket is gone."""

    def __init__(self, reader: asyncio.StreamReader,
                 serve: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
                 slot: Slot) -> None:
        super().__init__(reader, serve)
        self._slot = slot

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._slot.release()


async def run_until_signal(server: HttpServer, host: str, port: int,
                           signals: Sequence[signal.Signals] = STOP_SIGNALS) -> int:
    """Serve until SIGINT/SIGTERM, then shut down cleanly. Prints ``listening on URL`` once bound.

    Returns:
        0 after a clean shutdown, 1 when the address cannot be bound.
    """
    try:
        await server.start(host, port)
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    print(f"listening on {server.url}", flush=True)
    await wait_for_stop_signal(signals)
    await server.shutdown()
    sys.stdout.flush()
    return 0
