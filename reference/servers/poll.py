"""The reference HTTP long-polling server (RFC 6202): ``python -m reference.servers poll``.

Routes (the testee contract, docs/testee-contract.md):

* ``GET /poll?cursor=N[&client=ID]``: answered at once with the retained messages newer than N (at
  most ``max_batch`` of them in at most ``max_answer_size`` bytes, but always the first), else
  held until one is published or ``hold_timeout`` passes, then 200 JSON
  ``{"cursor": M, "messages": [{"id": "7", "data": "...", "event": null}]}`` (an empty list on timeout).
  Without ``cursor`` the poll starts at the newest message. A second poll with the same ``client`` while
  one is held releases the older one at once (RFC 6202 §5.1). At most ``max_held_polls`` polls are held at
  once, server-wide: a poll past it that would be held is refused at once with 503 and ``Retry-After``
  (never queued behind the others). A held poll whose client closes the connection frees its place at once;
  one whose client vanished without a word (no FIN, no RST) frees it when the hold timeout answers it.
* ``POST /publish[?event=NAME]``: as for SSE; answers 200 ``{"id": "N"}``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from reference.core.poll import encode_answer
from reference.core.sse.history import id_problem
from reference.servers.http_server import HttpConnection, HttpServer, Request, cors_headers
from reference.servers.memory_budget import DEFAULT_MEMORY_BUDGET
from reference.servers.pubsub import Hub, answer_preflight, answer_publish

__all__ = ["PollServer", "PollSettings"]


@dataclass(frozen=True, slots=True)
class PollSettings:
    """Options of the reference long-polling server.

    Attributes:
        hold_timeout: seconds a poll is held without news (RFC 6202 §5.5: "generally 30 seconds is a safer
            value").
        history_size: messages kept for cursors.
        history_bytes: memory the kept messages may occupy; the oldest are forgotten past it (the newest is
            always kept). 1024 messages of 1 MiB would otherwise be 1 GiB and more.
        max_batch: most messages in one answer.
        max_answer_size: largest answer body in bytes; the messages that do not fit wait for the next poll.
            The first message always goes, however large (JSON can make it six times its publish size).
        send_timeout: seconds an answer may wait for a poller that does not read it; then the connection
            is dropped, so a poller that never reads cannot pin its answer.
        max_publish_size: largest publish body (413 past it).
        shutdown_timeout: seconds held polls get to be answered on shutdown.
        connection_cap: connections held at once; at the cap the server stops accepting until one closes.
            None: ``min(soft RLIMIT_NOFILE - 64, 10000)``.
        max_held_polls: polls held at once, server-wide; a poll past it is refused with 503 at once (RFC
            6202 §2.2: "scaling the total number of requests outstanding can be limited").
        retry_after: seconds a refused poll is told to wait (``Retry-After``).
        memory_budget: bytes the unread answers of all polls together may hold; past it, a poller that
            holds more than 64 KiB is dropped instead of answered (``http_server``).
        poll_path, publish_path: the routes.
    """

    hold_timeout: float = 25.0
    history_size: int = 1024
    history_bytes: int = 64 << 20
    max_batch: int = 256
    max_answer_size: int = 1 << 20
    send_timeout: float = 5.0
    max_publish_size: int = 1 << 20
    shutdown_timeout: float = 2.0
    connection_cap: int | None = None
    max_held_polls: int = 1024
    retry_after: int = 1
    memory_budget: int = DEFAULT_MEMORY_BUDGET
    poll_path: str = "/poll"
    publish_path: str = "/publish"


class PollServer(HttpServer):
    """The long-polling testee. ``await server.start(host, port)``, ``server.url`` is the poll URL."""

    def __init__(self, settings: PollSettings | None = None) -> None:
        self.settings = settings or PollSettings()
        s = self.settings
        self.hub = Hub(s.history_size, queue_size=1, history_bytes=s.history_bytes)
        self._held: dict[str, asyncio.Event] = {}
        #: Polls held now (each a wake event); never more than ``max_held_polls``.
        self.holding: set[asyncio.Event] = set()
        #: Polls refused because ``max_held_polls`` were held.
        self.refused_polls = 0
        super().__init__(self._handle, self._end_all, shutdown_timeout=s.shutdown_timeout, path=s.poll_path,
                         max_body_size=s.max_publish_size, send_timeout=s.send_timeout,
                         connection_cap=s.connection_cap, memory_budget=s.memory_budget)

    def _end_all(self) -> None:
        self.hub.end_all()

    async def _handle(self, conn: HttpConnection) -> None:
        s = self.settings
        while (request := await conn.next_request()) is not None:
            if request.method == "OPTIONS":
                await answer_preflight(conn, request)
            elif request.path == s.publish_path:
                await answer_publish(conn, request, self.hub, s.max_publish_size)
            elif request.path != s.poll_path:
                await conn.respond(404, [], f"no such path: {request.path!r}\n".encode())
            elif request.method != "GET":
                await conn.respond(405, [("Allow", "GET, OPTIONS")], b"poll with GET\n")
            elif not await self._poll(conn, request):
                return
            if not conn.keep_alive or self.stopping:
                return

    async def _poll(self, conn: HttpConnection, request: Request) -> bool:
        """Answer one poll; False when the peer left while it was held."""
        history = self.hub.history
        text = request.query.get("cursor")
        problem = None if text is None else id_problem(text)
        if problem is not None:
            await conn.respond(400, cors_headers(request), f"cursor {problem}, not {text!r}\n".encode())
            return True
        cursor = history.last_seq if text is None else int(text)
        messages = history.after(cursor, self.settings.max_batch)
        keep = True
        if not messages and not self.hub.stopping:
            client = request.query.get("client")
            replaces = client is not None and client in self._held  # the older poll is released for it
            if len(self.holding) - replaces >= self.settings.max_held_polls:
                await self._refuse_hold(conn, request)
                return True
            held = await self._hold(conn, client)
            if held is None:
                return False
            keep = held
            messages = history.after(cursor, self.settings.max_batch)
        # RFC 6202 §5.4: "the server should respond with a 200 OK ... when an event, status change, or
        # timeout occurs", and §2.2 caching: the answer must not be served from a cache.
        headers = [("Cache-Control", "no-store"), *cors_headers(request)]
        body = encode_answer(cursor, messages, self.settings.max_answer_size)
        await conn.respond(200, headers, body, content_type="application/json")
        return keep

    async def _refuse_hold(self, conn: HttpConnection, request: Request) -> None:
        """503 with ``Retry-After``: every place for a held poll is taken (answered, never queued)."""
        self.refused_polls += 1
        # RFC 9110 §15.6.4: 503 "indicates that the server is currently unable to handle the request due to a
        # temporary overload"; "The server MAY send a Retry-After header field".
        headers = [("Retry-After", str(self.settings.retry_after)), ("Cache-Control", "no-store"),
                   *cors_headers(request)]
        limit = self.settings.max_held_polls
        await conn.respond(503, headers, f"{limit} polls are held already; retry later\n".encode())

    async def _hold(self, conn: HttpConnection, client: str | None) -> bool | None:
        """Wait for a publish, the hold timeout, shutdown or a newer poll of ``client``.

        Returns:
            None when the peer closed; False when it pipelined bytes behind the poll (RFC 6202 §5.2: do
            not pipeline), so the connection is closed after the answer; True otherwise.
        """
        wake = asyncio.Event()
        if client is not None:
            # RFC 6202 §5.1: the server "should not defer both" polls of one client: release the older one.
            older = self._held.pop(client, None)
            if older is not None:
                older.set()
            self._held[client] = wake
        self.hub.waiters.add(wake)
        self.holding.add(wake)
        peer_gone = asyncio.ensure_future(conn.reader.read(1))
        woken = asyncio.ensure_future(wake.wait())
        try:
            done, _ = await asyncio.wait({peer_gone, woken}, timeout=self.settings.hold_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if peer_gone not in done:
                return True
            return None if peer_gone.result() == b"" else False
        finally:
            peer_gone.cancel()
            woken.cancel()
            # Let the cancelled read finish before anything reads again: until it has run, the stream
            # reader still counts it as waiting, and the next request's read would raise RuntimeError
            # (Python 3.12's drain() no longer yields to it on the way).
            await asyncio.gather(peer_gone, woken, return_exceptions=True)
            self.hub.waiters.discard(wake)
            self.holding.discard(wake)
            if client is not None and self._held.get(client) is wake:
                del self._held[client]
