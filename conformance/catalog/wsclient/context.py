"""What a WebSocket client case receives: its own server on 127.0.0.1 and the client under test started on it.

The suite's context starts a :class:`~.peer.Listener` on port 0, launches the client under test
(:data:`conformance.clients.run.CLIENT_UNDER_TEST`) with ``ws://127.0.0.1:PORT/<case slug>`` and yields a
:class:`ClientCase`; leaving it closes the connection, the listener, and stops the client if it still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from conformance.catalog.wsclient.peer import Listener, ServerSide, listening
from conformance.clients.process import ClientProcess
from conformance.clients.run import CLIENT_UNDER_TEST
from conformance.model import Case, Skip
from conformance.suites import CaseEnv

__all__ = ["ClientCase", "context"]

#: Seconds a client gets to fail a connection it must fail (at least; ``--close-timeout`` if longer).
FAIL_WAIT = 2.0


@dataclass
class ClientCase:
    """One case's server and client.

    Attributes:
        url: the URL the client was started with.
        client: the client under test (its output and exit status).
        close_timeout: how long to wait for a close frame or a TCP close.
    """

    url: str
    client: ClientProcess
    listener: Listener
    gone: asyncio.Future[int | None]
    close_timeout: float

    @property
    def fail_wait(self) -> float:
        """How long a client has to fail a connection (or close it) before the case says it did not."""
        return max(self.close_timeout, FAIL_WAIT)

    async def connect(self) -> ServerSide:
        """The client's connection (raises :class:`~.peer.ClientNeverConnected` when it opens none)."""
        return await self.listener.connection(self.gone)

    async def request(self) -> ServerSide:
        """The client's connection with its opening-handshake request read (not answered).

        Raises:
            ConnectionError: the request is not a WebSocket upgrade with a key: no case can go on.
        """
        side = await self.connect()
        request = await side.read_request()
        if not side.key or "websocket" not in request.tokens("upgrade"):
            side.answer([("Content-Length", "0")], status="400 Bad Request")
            raise ConnectionError(
                f"the client's request is not a WebSocket opening handshake: {request.method} "
                f"{request.target[:60]} upgrade={request.header('upgrade')!r}"
            )
        return side

    async def open(self) -> ServerSide:
        """The client's connection, its opening handshake answered with a correct 101 (§4.2.2)."""
        side = await self.request()
        side.answer()
        return side


@contextlib.asynccontextmanager
async def context(case: Case, env: CaseEnv) -> AsyncIterator[ClientCase]:
    """The context of every wsclient case (see the module docstring)."""
    try:
        launch = CLIENT_UNDER_TEST.get()
    except LookupError:
        raise Skip("a client case runs with 'rtconform clients' (no client under test here)") from None
    # the server side's waits end a little before the case's deadline: a client that floods or stalls
    # still gets its verdict before the runner's own timeout (which would make it an error)
    async with listening(env.transcript, env.wait_deadline(asyncio.get_running_loop().time())) as listener:
        url = f"ws://127.0.0.1:{listener.port}/{case.slug}"
        env.transcript.note(f"client started with {url}")
        async with launch(url) as client:
            loop = asyncio.get_running_loop()
            gone = asyncio.ensure_future(client.wait(max(0.0, env.deadline - loop.time())))
            try:
                yield ClientCase(url, client, listener, gone, env.close_timeout)
            finally:
                gone.cancel()
                await listener.stop()
                await asyncio.gather(gone, return_exceptions=True)
                if tail := client.stderr_tail().strip():
                    env.transcript.note(f"client stderr: {tail[-200:]}")
