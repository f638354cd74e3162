"""The reference Engine.IO v4 server: ``python -m reference.servers eio``.

Routes (the testee contract, docs/testee-contract.md), on ``path`` (default ``/engine.io/``):

* ``GET ?EIO=4&transport=polling``: a new session; the body is its ``open`` packet.
* ``GET ?EIO=4&transport=polling&sid=S``: held until the session has packets for the client (a payload),
  or it is upgraded or closed. ``POST`` with the same query: a payload of packets; answered ``ok``.
* ``GET ?EIO=4&transport=websocket[&sid=S]`` with a WebSocket upgrade: a WebSocket session, or the probe
  of an upgrade from polling (``2probe`` -> ``3probe``, then ``5``).

Every protocol decision is ``reference.core.eio``'s; a client's mistake is answered as its ``Reaction``
says (status, JSON body ``{"code":N,"message":...}``, session closed or not). What the server does with
messages is its ``Application``: the default echoes every message back, text or binary, as the official
engine.io test suite expects of its testee. The Socket.IO server plugs its own in (``Application``).

Memory is bounded: a POST body over ``max_payload`` gets 413 (the session stays, as in engine.io), a
WebSocket message over it closes with 1009, each session queues at most ``queue_limit`` bytes for its
client, and there are at most ``max_sessions`` sessions.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from reference.core.eio.handshake import EioConfig, Route, Transport, route
from reference.core.eio.reactions import EioError, Problem, http_body
from reference.core.eio.session import MessageReceived, Session, SessionClosed, Upgraded
from reference.core.errors import LocalProtocolError
from reference.core.ws.handshake import Reject, negotiate
from reference.core.ws.handshake import Request as WsRequest
from reference.servers.eio_ws import WsLink
from reference.servers.http_server import HttpConnection, HttpServer, Request, cors_headers

__all__ = ["Application", "EchoApplication", "EioServer", "EioSettings", "SessionHandle"]


@dataclass(frozen=True, slots=True)
class EioSettings:
    """Options of the reference Engine.IO server.

    Attributes:
        config: What the ``open`` packet announces (pingInterval, pingTimeout, maxPayload) and the
            session limits (``EioConfig``).
        path: The Engine.IO path.
        origins: CORS allow-list: only these ``Origin`` values may use the server (others get 403, code 4
            "Forbidden"); None allows every origin.
        max_sessions: Sessions held at once; a handshake past it gets 503.
        shutdown_timeout: Seconds held requests and WebSockets get to end on shutdown.
        connection_cap: TCP connections held at once (``listener``); None: from RLIMIT_NOFILE.
    """

    config: EioConfig = field(default_factory=EioConfig)
    path: str = "/engine.io/"
    origins: tuple[str, ...] | None = None
    max_sessions: int = 10000
    shutdown_timeout: float = 2.0
    connection_cap: int | None = None


class SessionHandle:
    """What an ``Application`` holds of a session: its id, ``send`` and ``close``."""

    def __init__(self, server: EioServer, live: _Live) -> None:
        self._server = server
        self._live = live

    @property
    def sid(self) -> str:
        """The session id."""
        return self._live.session.sid

    @property
    def is_open(self) -> bool:
        """True until the session is closed."""
        return self._live.session.close_reason is None

    def send(self, data: str | bytes) -> None:
        """Send a message (text or binary) to the client; nothing once the session is closed."""
        if self.is_open:
            self._live.session.send_message(data)
            self._server.settle(self._live)

    def close(self, reason: str = "server close") -> None:
        """Close the session; the client gets a close packet."""
        self._live.session.close(reason)
        self._server.settle(self._live)


class Application(Protocol):
    """What the server does with sessions; every call is made on the event loop, and must not block."""

    def on_open(self, session: SessionHandle) -> None:
        """A session is open."""

    def on_message(self, session: SessionHandle, data: str | bytes) -> None:
        """A message arrived: text (``str``) or binary (``bytes``)."""

    def on_close(self, session: SessionHandle, reason: str) -> None:
        """The session is closed (the last call for it)."""


class EchoApplication:
    """The engine.io test-suite testee: every message is sent straight back."""

    def on_open(self, session: SessionHandle) -> None:
        """Nothing to do."""

    def on_message(self, session: SessionHandle, data: str | bytes) -> None:
        """Echo."""
        session.send(data)

    def on_close(self, session: SessionHandle, reason: str) -> None:
        """Nothing to do."""


@dataclass(eq=False)
class _Live:
    """A session and its I/O: the held GET's wake-up, its timer, its WebSockets."""

    session: Session
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.TimerHandle | None = None
    ws: WsLink | None = None
    probe: WsLink | None = None
    handle: SessionHandle | None = None
    settling: bool = False


class _PostTracker:
    """The POST under way on one connection, from its head to its answer (README: one active POST)."""

    def __init__(self, server: EioServer) -> None:
        self._server = server
        self._live: _Live | None = None
        self._refusal: EioError | None = None

    def head(self, request: Request) -> None:
        """A request head arrived: a POST to a session becomes its active POST (or is refused)."""
        sid = request.query.get("sid")
        if request.method != "POST" or not sid or request.path != self._server.settings.path:
            return
        live = self._server.sessions.get(sid)
        if live is None:
            return  # answered "Session ID unknown" once complete
        try:
            live.session.post_begin()
        except EioError as exc:
            self._refusal = exc
            self._server.settle(live)
            return
        self._live = live

    def refusal(self) -> EioError | None:
        """Why the request just completed is refused already (a second active POST), or None."""
        refusal, self._refusal = self._refusal, None
        return refusal

    def end(self) -> None:
        """The request is answered, or the connection is gone."""
        if self._live is not None:
            self._live.session.post_end()
            self._live = None


class EioServer(HttpServer):
    """The Engine.IO testee. ``await server.start(host, port)``; ``server.url`` ends with the path."""

    def __init__(self, settings: EioSettings | None = None, app: Application | None = None,
                 new_sid: Callable[[], str] = lambda: secrets.token_urlsafe(15)) -> None:
        self.settings = settings or EioSettings()
        self.app: Application = app or EchoApplication()
        self._new_sid = new_sid
        #: The open sessions by sid.
        self.sessions: dict[str, _Live] = {}
        self._loop = asyncio.get_running_loop()
        s = self.settings
        super().__init__(self._handle, self._close_all, shutdown_timeout=s.shutdown_timeout, path=s.path,
                         max_body_size=s.config.max_payload, connection_cap=s.connection_cap)

    # -- sessions ------------------------------------------------------------------------------------

    def _open_session(self, transport: Transport) -> _Live:
        if len(self.sessions) >= self.settings.max_sessions:
            raise EioError(Problem.TOO_MANY_SESSIONS, f"the server holds {len(self.sessions)} sessions")
        sid = self._new_sid()
        live = _Live(Session(sid, self.settings.config, transport, self._loop.time()))
        live.handle = SessionHandle(self, live)
        self.sessions[sid] = live
        self.app.on_open(live.handle)
        return live

    def settle(self, live: _Live) -> None:
        """After any input or call: hand events to the application, send what is due, wake the held GET,
        re-arm the timer. A call made from within (the application sending while it handles a message) is
        left to the outer one."""
        if live.settling:
            return
        live.settling = True
        try:
            self._dispatch(live)
        finally:
            live.settling = False
        self._flush(live)

    def _dispatch(self, live: _Live) -> None:
        session = live.session
        assert live.handle is not None
        while events := session.events_received():
            for event in events:
                if isinstance(event, MessageReceived):
                    self.app.on_message(live.handle, event.data)
                elif isinstance(event, Upgraded):
                    live.ws, live.probe = live.probe, None
                elif isinstance(event, SessionClosed):
                    self.sessions.pop(session.sid, None)
                    self.app.on_close(live.handle, event.reason)

    def _flush(self, live: _Live) -> None:
        session = live.session
        if live.ws is not None:
            frames, code = session.ws_output()
            live.ws.send(frames, code)
        if live.probe is not None:
            probe_frames, probe_code = session.probe_output()
            live.probe.send(probe_frames, probe_code)
        live.wake.set()
        self._arm(live)

    def _arm(self, live: _Live) -> None:
        if live.timer is not None:
            live.timer.cancel()
            live.timer = None
        deadline = live.session.next_deadline()
        if deadline is not None:
            live.timer = self._loop.call_at(deadline, self._on_timer, live)

    def _on_timer(self, live: _Live) -> None:
        live.timer = None
        live.session.handle_timeout(self._loop.time())
        self.settle(live)

    def _close_all(self) -> None:
        for live in list(self.sessions.values()):
            live.session.close("server shutting down")
            self.settle(live)

    # -- HTTP ----------------------------------------------------------------------------------------

    async def _handle(self, conn: HttpConnection) -> None:
        post = _PostTracker(self)
        try:
            while (request := await conn.next_request(post.head)) is not None:
                if request.path != self.settings.path:
                    await conn.respond(404, [], f"no such path: {request.path!r}\n".encode())
                elif not self._origin_allowed(request):
                    forbidden = EioError(Problem.FORBIDDEN_ORIGIN, f"origin {request.header('origin')!r}")
                    await self._refuse(conn, request, forbidden)
                elif request.method == "OPTIONS":
                    await self._preflight(conn, request)
                elif (refused := post.refusal()) is not None:
                    await self._refuse(conn, request, refused)
                elif not await self._engine_io(conn, request):
                    return
                post.end()
                if not conn.keep_alive or self.stopping:
                    return
        finally:
            post.end()

    async def _engine_io(self, conn: HttpConnection, request: Request) -> bool:
        """Serve one Engine.IO request; False when the connection is done."""
        upgrade = "websocket" in (request.header("upgrade") or "").lower()
        try:
            where = route(request.method, request.query, upgrade=upgrade)
        except EioError as exc:
            await self._refuse(conn, request, exc)
            return True
        if where.transport is Transport.WEBSOCKET:
            await self._websocket(conn, request, where)
            return False
        return await self._polling(conn, request, where)

    def _origin_allowed(self, request: Request) -> bool:
        origin = request.header("origin")
        allowed = self.settings.origins
        return allowed is None or origin is None or origin in allowed

    async def _preflight(self, conn: HttpConnection, request: Request) -> None:
        asked = request.header("access-control-request-headers")
        headers = [*cors_headers(request), ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                   ("Access-Control-Max-Age", "600")]
        if asked:
            headers.append(("Access-Control-Allow-Headers", asked))
        await conn.respond(204, headers)

    async def _refuse(self, conn: HttpConnection, request: Request, exc: EioError) -> None:
        reaction = exc.reaction
        await conn.respond(reaction.status, cors_headers(request), http_body(reaction.code),
                           content_type="application/json")

    async def _polling(self, conn: HttpConnection, request: Request, where: Route) -> bool:
        """Answer one polling request; False when the connection is done."""
        try:
            live = self._open_session(Transport.POLLING) if where.sid is None else self._find(where.sid)
        except EioError as exc:
            await self._refuse(conn, request, exc)
            return True
        try:
            if request.method == "POST":
                live.session.post(request.body, self._loop.time())
            else:
                live.session.poll_begin()
        except EioError as exc:
            self.settle(live)  # the session may be closed by now
            await self._refuse(conn, request, exc)
            return True
        self.settle(live)
        headers = [("Cache-Control", "no-store"), *cors_headers(request)]
        if request.method == "POST":
            await conn.respond(200, headers, b"ok", content_type="text/html")
            return True
        answer, keep = await self._hold(conn, live)
        if answer is None:
            return False
        await conn.respond(200, headers, answer.encode("utf-8"), content_type="text/plain; charset=UTF-8")
        return keep

    def _find(self, sid: str) -> _Live:
        live = self.sessions.get(sid)
        if live is None:
            raise EioError(Problem.UNKNOWN_SID, f"unknown sid {sid[:40]!r}")
        return live

    async def _hold(self, conn: HttpConnection, live: _Live) -> tuple[str | None, bool]:
        """Wait for the held GET's answer. Returns (answer or None if the peer left, keep-alive)."""
        peer: asyncio.Future[bytes] = asyncio.ensure_future(conn.reader.read(1))
        keep = True
        try:
            while (answer := live.session.poll_answer()) is None:
                live.wake.clear()
                woken: asyncio.Future[object] = asyncio.ensure_future(live.wake.wait())
                waiting: set[asyncio.Future[object]] = {peer, woken}  # type: ignore[arg-type]
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
                if peer in done:
                    if peer.result() == b"":
                        live.session.poll_abandon()
                        return None, False
                    keep = False  # bytes pipelined behind a held GET: answer, then close
                    peer = self._loop.create_future()  # stop watching: it never completes
            return answer, keep
        finally:
            peer.cancel()
            await asyncio.gather(peer, return_exceptions=True)

    # -- WebSocket -----------------------------------------------------------------------------------

    async def _websocket(self, conn: HttpConnection, request: Request, where: Route) -> None:
        headers = tuple(request.headers.items())
        decision = negotiate(WsRequest(request.method, request.target, request.http_version, headers))
        if isinstance(decision, Reject):
            await conn.respond(decision.status, list(decision.headers), (decision.reason + "\n").encode())
            return
        try:
            if where.sid is None:
                live = self._open_session(Transport.WEBSOCKET)
            else:
                live = self._find(where.sid)
                live.session.attach_probe(self._loop.time())
        except EioError as exc:
            if not exc.reaction.accept_then_close:
                await self._refuse(conn, request, exc)
                return
            link = self._ws_link(conn, conn.switch_protocols(decision.headers))
            link.send([], exc.reaction.ws_close_code)
            await link.run(lambda data: None)
            return
        link = self._ws_link(conn, conn.switch_protocols(decision.headers))
        probing = where.sid is not None
        if probing:
            live.probe = link
        else:
            live.ws = link
        self.settle(live)
        try:
            await link.run(lambda data: self._ws_message(live, link, data))
        finally:
            if live.probe is link:
                live.probe = None
                live.session.probe_lost()
            elif live.ws is link:
                live.session.ws_lost()
            self.settle(live)

    def _ws_link(self, conn: HttpConnection, early: bytes) -> WsLink:
        config = self.settings.config
        return WsLink(conn, early, max_message_size=config.max_payload,
                      closing_timeout=(config.ping_interval + config.ping_timeout) / 1000 + 5.0,
                      max_unsent=config.queue_limit + config.max_payload)

    def _ws_message(self, live: _Live, link: WsLink, data: str | bytes) -> None:
        session = live.session
        try:
            if live.probe is link:
                session.receive_probe_frame(data)
            else:
                session.receive_frame(data, self._loop.time())
        except EioError as exc:
            link.send([], exc.reaction.ws_close_code)
        except LocalProtocolError:
            link.send([], 1011)
        self.settle(live)
