"""The reference Socket.IO v5 server: ``python -m reference.servers sio``.

The Engine.IO server (``eio.EioServer``, on path ``/socket.io/`` by default) carries the sessions; its
``Application`` here (``SioApplication``) hands every Engine.IO message to the sans-IO Socket.IO core
(``reference.core.sio.server.Server``) and carries out what the core answers: ``Deliver`` writes message
payloads to a session (a broadcast names several), ``CloseSession`` closes one. One loop timer follows
the core's ``next_deadline()`` (connect timeouts, pruning of the recovery store).

The namespaces are the testee's (``reference.core.sio.testee``, docs/testee-contract.md): ``/`` and
``/custom`` with the official test suite's handlers and the gap cases' ones, ``/refused``.

Connection state recovery is off unless ``SioSettings.recovery`` is given: the official socket.io-protocol
test suite expects a CONNECT to be answered with exactly ``{"sid"}`` and events to carry no offset. When
it is on, a session that dropped (its transport closed or errored, or a ping timeout) keeps its
namespaces for the window; a session the server closed on purpose (bad input, connect timeout, shutdown)
does not.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from reference.core.sio.decoder import DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_ATTACHMENTS
from reference.core.sio.recovery import Recovery
from reference.core.sio.server import CloseSession, Deliver, Output, Server
from reference.core.sio.session import DEFAULT_CONNECT_TIMEOUT
from reference.core.sio.testee import build_testee_namespaces
from reference.servers.eio import EioServer, EioSettings, SessionHandle

__all__ = ["RECOVERABLE_REASONS", "SioApplication", "SioServer", "SioSettings"]

#: Engine.IO close reasons (``reference.core.eio.session``) after which a session's namespaces are kept
#: for recovery: the transport went away, or the client stopped answering pings. (A client that leaves on
#: purpose sends DISCONNECT for its namespaces first, so nothing of it is kept.)
RECOVERABLE_REASONS = frozenset({"transport close", "client close", "ping timeout"})


@dataclass(frozen=True, slots=True)
class SioSettings:
    """Options of the reference Socket.IO server.

    Attributes:
        eio: The Engine.IO server's options (its path defaults to ``/socket.io/`` here).
        connect_timeout: Seconds a session has to connect a namespace before it is closed.
        recovery: Connection state recovery options, or None (off, as the official test suite expects).
        max_attachments: Most binary attachments in one packet.
        max_attachment_bytes: Most bytes of attachments in one packet.
    """

    eio: EioSettings = field(default_factory=lambda: EioSettings(path="/socket.io/"))
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    recovery: Recovery | None = None
    max_attachments: int = DEFAULT_MAX_ATTACHMENTS
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES


class SioApplication:
    """The Engine.IO ``Application`` that drives a Socket.IO core; ``bind`` it to its server first.

    Outputs are carried out in the order the core made them. Carrying one out can call back in (closing
    a session ends it, and its ``on_close`` feeds the core again): those outputs join the queue, which
    the outermost call drains.
    """

    def __init__(self, core: Server) -> None:
        self.core = core
        self._server: EioServer | None = None
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._queue: deque[Output] = deque()
        self._draining = False
        self._closing: set[str] = set()  # sessions closed on purpose (CloseSession), until on_close

    def bind(self, server: EioServer) -> None:
        """The Engine.IO server whose sessions ``Deliver`` and ``CloseSession`` name."""
        self._server = server

    # -- the Engine.IO server's calls ------------------------------------------------------------------

    def on_open(self, session: SessionHandle) -> None:
        """A session opened: the core starts its connect timeout."""
        self._apply(self.core.open(session.sid, self._loop.time()))

    def on_message(self, session: SessionHandle, data: str | bytes) -> None:
        """A message: a Socket.IO packet (text) or one of its attachments (binary)."""
        now = self._loop.time()
        if isinstance(data, str):
            self._apply(self.core.receive_text(session.sid, data, now))
        else:
            self._apply(self.core.receive_binary(session.sid, data, now))

    def on_close(self, session: SessionHandle, reason: str) -> None:
        """The session ended; its namespaces are kept for recovery if it dropped rather than closed."""
        recoverable = session.sid not in self._closing and reason in RECOVERABLE_REASONS
        self._closing.discard(session.sid)
        self._apply(self.core.transport_closed(session.sid, self._loop.time(), recoverable=recoverable))

    def stop(self) -> None:
        """Cancel the timer (the server is shutting down)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- carrying out the core's outputs ---------------------------------------------------------------

    def _apply(self, outputs: list[Output]) -> None:
        self._queue.extend(outputs)
        if self._draining:
            return
        self._draining = True
        try:
            while self._queue:
                self._carry_out(self._queue.popleft())
        finally:
            self._draining = False
        self._arm()

    def _carry_out(self, output: Output) -> None:
        assert self._server is not None, "SioApplication.bind was not called"
        handle = self._server.session(output.eio_sid)
        if handle is None:
            return  # the session is gone already; the core hears of it through on_close
        if isinstance(output, Deliver):
            for payload in output.payloads:
                handle.send(payload)
        elif isinstance(output, CloseSession):
            self._closing.add(output.eio_sid)
            handle.close(output.reason)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.core.next_deadline()
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._apply(self.core.handle_timeout(self._loop.time()))


class SioServer(EioServer):
    """The Socket.IO testee. ``await server.start(host, port)``; ``server.url`` ends with the path.

    ``server.sio`` is the core (its ``sockets(nsp)`` and ``room_members`` show the live state).
    """

    def __init__(self, settings: SioSettings | None = None,
                 new_id: Callable[[], str] = lambda: secrets.token_urlsafe(16)) -> None:
        self.sio_settings = settings or SioSettings()
        s = self.sio_settings
        self.sio = Server(build_testee_namespaces(), new_id=new_id, recovery=s.recovery,
                          connect_timeout=s.connect_timeout, max_attachments=s.max_attachments,
                          max_attachment_bytes=s.max_attachment_bytes)
        self._app = SioApplication(self.sio)
        super().__init__(s.eio, app=self._app)
        self._app.bind(self)

    async def shutdown(self) -> None:
        """Close every session (they are not kept for recovery), stop the timer, stop serving."""
        await super().shutdown()
        self._app.stop()

