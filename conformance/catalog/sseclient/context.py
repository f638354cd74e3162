"""What an EventSource client case receives: its own server, the client under test started on its URL, and
what that client printed.

The contract (docs/client-mode-sse.md): the client under test prints one JSON object per line on standard
output, ``{"type": ..., "data": ..., "lastEventId": ...}`` for each event it dispatches (``type`` "message"
unless the stream named another), and may print ``{"error": true}`` for each error event; anything else
it prints is noted in the transcript and ignored. A browser's EventSource hands a named event only to the
listeners registered for its name, so every case URL's fragment lists the event types the catalog uses
(``#types=add,remove``; a fragment is never sent in a request): a browser driver registers one listener
per type named there.

A case plays its server script with :meth:`ClientCase.accept` (the client's next connection) and
:class:`~conformance.catalog.sseclient.server.Incoming`, and judges :attr:`ClientCase.events`. A script
ends its stream with :data:`END` (an event whose data is :data:`END_DATA`), so the case knows the client
has dispatched everything before it (:meth:`ClientCase.events_until_end`) without sleeping a fixed time.
Waits end a little before the case's deadline (:meth:`CaseEnv.wait_deadline`: a tenth of the case time, at
most 1 s), so a case that waited in vain still says what it waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from conformance.catalog.sseclient.server import CaseServer, Incoming
from conformance.clients.process import ClientProcess
from conformance.clients.run import CLIENT_UNDER_TEST
from conformance.model import Case, CaseFailed, Skip
from conformance.suites import CaseEnv
from conformance.wire.transcript import EVENT, NOTE, RX, Transcript

__all__ = ["END", "END_DATA", "EVENT_TYPES", "ClientCase", "Printed", "client_case_context", "describe",
           "show"]

#: The data of the event that ends every case's script.
END_DATA = "rtconform-end"
#: The block that dispatches it (plain LF line ends: every client under test must read those).
END = f"data: {END_DATA}\n\n".encode()
#: The event types the catalog's streams name (listed in every case URL for browser drivers).
EVENT_TYPES = ("add", "remove", "update")
#: Events (and error lines) kept per case; a client printing more is judged on these.
MAX_PRINTED = 1000


@dataclass(frozen=True, slots=True)
class Printed:
    """One event the client says it dispatched."""

    type: str
    data: str
    last_event_id: str

    def __str__(self) -> str:
        return show(self.type, self.data, self.last_event_id)


#: Characters of each printed field a verdict line shows (a client may print up to 64 KiB per line).
SHOWN = 60


def show(type_: str, data: str, last_event_id: str) -> str:
    """An event as a verdict shows it: ``message "a\\nb" id="7"``, each field cut to :data:`SHOWN`."""
    return f"{_cut(type_, False)} {_cut(data)} id={_cut(last_event_id)}"


def _cut(text: str, quoted: bool = True) -> str:
    shown = json.dumps(text[:SHOWN]) if quoted else json.dumps(text[:SHOWN])[1:-1]
    return shown + ("..." if len(text) > SHOWN else "")


def _read_printed(line: bytes) -> Printed | bool | None:
    """A printed event, True for an error line, None for a line outside the contract."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    if obj.get("error") is True:
        return True
    fields = obj.get("type"), obj.get("data"), obj.get("lastEventId")
    if not all(isinstance(f, str) for f in fields):
        return None
    return Printed(*fields)  # type: ignore[arg-type]


class ClientCase:
    """One case's server and client; see the module docstring.

    Attributes:
        server: the case's responder.
        client: the client under test, running against :attr:`url`.
        events: the events the client printed so far, in order (at most :data:`MAX_PRINTED`).
        errors: how many error lines it printed.
    """

    def __init__(self, server: CaseServer, client: ClientProcess, url: str, env: CaseEnv) -> None:
        self.server = server
        self.client = client
        self.url = url
        self.transcript: Transcript = env.transcript
        self.deadline = env.deadline
        self.wait_deadline = env.wait_deadline(asyncio.get_running_loop().time())
        self.events: list[Printed] = []
        self.errors = 0
        self.exited = False
        self._changed = asyncio.Event()
        self._stopped = False
        self._reader = asyncio.ensure_future(self._read())

    def left(self, cap: float | None = None) -> float:
        """Seconds the case may still wait (at most ``cap``)."""
        left = max(0.0, self.wait_deadline - asyncio.get_running_loop().time())
        return left if cap is None else min(cap, left)

    # -- the client's side ---------------------------------------------------------------------------

    def stop(self) -> asyncio.Future[list[BaseException | None]]:
        """Stop reading the client's output: the flag as well as the cancel, because a cancel that meets a
        line arriving in the same loop turn can be swallowed by the reader's ``wait_for`` (seen on 3.11:
        the reader then read on until the case's deadline)."""
        self._stopped = True
        self._reader.cancel()
        return asyncio.gather(self._reader, return_exceptions=True)  # type: ignore[return-value]

    async def _read(self) -> None:
        while not self._stopped and (line := await self.client.readline(
                max(0.0, self.deadline - _now()))) is not None:
            self.transcript.add(RX, EVENT, "client printed: " + line.decode("utf-8", "replace"))
            printed = _read_printed(line)
            if printed is None:
                self.transcript.note("that line is not an event or error line of the contract: ignored")
            elif len(self.events) + self.errors >= MAX_PRINTED:
                continue
            elif printed is True:
                self.errors += 1
            elif isinstance(printed, Printed):
                self.events.append(printed)
            self._changed.set()
        if _now() < self.deadline and not self._stopped:
            self.exited = True
            status = await self.client.wait(0.5)
            self.transcript.add(NOTE, EVENT, f"the client ended its output (exit status {status})")
            self._changed.set()

    async def _until(self, timeout: float, test: Callable[[], bool]) -> bool:
        end = _now() + max(0.0, timeout)
        while not test():
            if self.exited or _now() >= end:
                return test()
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), end - _now())
        return True

    def _ended_note(self) -> str:
        if not self.exited:
            return ""
        tail = self.client.stderr_tail().strip().splitlines()
        return " (the client exited" + (f"; stderr: {tail[-1][:200]}" if tail else "") + ")"

    async def events_until_end(self) -> list[Printed]:
        """The events the client dispatched before the script's :data:`END` event.

        Raises:
            CaseFailed: the END event was not printed in the case's time (the events that were are shown).
        """
        def ended() -> bool:
            return any(e.data == END_DATA for e in self.events)

        if not await self._until(self.left(), ended):
            raise CaseFailed([f"the events, then the end marker {END_DATA!r}"],
                             f"printed {describe(self.events)} and no end marker{self._ended_note()}")
        return self.events[:next(i for i, e in enumerate(self.events) if e.data == END_DATA)]

    async def printed_after(self, seconds: float, count: int) -> list[Printed]:
        """The events printed once ``count`` have been, or once ``seconds`` have passed."""
        await self._until(self.left(seconds), lambda: len(self.events) >= count)
        return list(self.events)

    # -- the server's side ---------------------------------------------------------------------------

    async def accept(self, what: str = "the client's first request",
                     timeout: float | None = None) -> Incoming:
        """The client's next connection; CaseFailed if none comes in ``timeout`` (default: the case's time),
        or if its request head is not valid HTTP/1.1.

        Raises:
            asyncio.TimeoutError: the client has not connected at all (errored, not failed: a client slow to
                start on a loaded machine is not a client that broke a rule).
        """
        incoming = await self.server.next(self.left(timeout))
        if incoming is None and not self.server.connections and not self.exited:
            raise asyncio.TimeoutError(f"the client made no request in the case's time ({what})")
        if incoming is None:
            raise CaseFailed([what], f"no connection in {self.left(timeout):.1f} s{self._ended_note()}")
        if incoming.request.problem:
            raise CaseFailed(["a valid HTTP/1.1 GET request"],
                             f"connection {incoming.number}: {incoming.request.problem}")
        return incoming

    async def reconnection(self, timeout: float) -> Incoming | None:
        """The client's next connection within ``timeout`` seconds (bounded by the case's time), or None."""
        incoming = await self.server.next(self.left(timeout))
        if incoming is not None and incoming.request.problem:
            raise CaseFailed(["a valid HTTP/1.1 GET request"],
                             f"connection {incoming.number}: {incoming.request.problem}")
        return incoming

    async def stream(self, incoming: Incoming, *blocks: bytes, headers: Sequence[tuple[str, str]] = (),
                     content_type: str = "text/event-stream", end: bool = False) -> None:
        """Answer ``incoming`` with a 200 event stream and send ``blocks``, one chunk each; with ``end``,
        end the stream afterwards."""
        await incoming.respond(200, [("Content-Type", content_type), *headers])
        for block in blocks:
            await incoming.send(block)
        if end:
            await incoming.end()


def describe(events: Sequence[Printed], limit: int = 6) -> str:
    """Events for a verdict line: ``2 events: message "a" id="", ...``."""
    if not events:
        return "no event"
    shown = ", ".join(str(e) for e in events[:limit])
    more = f", ... ({len(events) - limit} more)" if len(events) > limit else ""
    return f"{len(events)} event{'s' if len(events) != 1 else ''}: {shown}{more}"


def _now() -> float:
    return asyncio.get_running_loop().time()


@contextlib.asynccontextmanager
async def client_case_context(case: Case, env: CaseEnv) -> AsyncIterator[ClientCase]:
    """Start the case's server, launch the client under test on its URL, yield both; stop both after."""
    launch = CLIENT_UNDER_TEST.get(None)
    if launch is None:
        raise Skip("a client case: it runs with a client under test (rtconform clients), "
                   "not against a target")
    server = CaseServer(env.transcript, env.deadline)
    await server.start()
    url = server.url(f"/{case.slug}#types={','.join(EVENT_TYPES)}")
    env.transcript.add(NOTE, EVENT, f"case server at {url}")
    try:
        async with launch(url) as client:
            ctx = ClientCase(server, client, url, env)
            try:
                yield ctx
            finally:
                await ctx.stop()
    finally:
        await server.close()
