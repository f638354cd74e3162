"""What an Engine.IO case receives: :class:`EioContext`, the target's Engine.IO URL and the steps every case
shares (a polling handshake, a POST, a GET, a WebSocket session), each turning what the target did wrong
into the case's failure.

The target URL is the Engine.IO path (``http://host:port/engine.io/``); the Engine.IO query parameters are
added to it (:func:`~conformance.wire.eio.resource_for`). Nothing is hard-wired: the ping settings come
from the open packet the target sends, and the profile may say what the target promises
(``--profile ping-interval=MS``, ``ping-timeout=MS``, ``max-payload=BYTES``), which the handshake cases
check against the open packet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from conformance.catalog.http_context import HttpContext
from conformance.model import CaseFailed
from conformance.suites import CaseEnv
from conformance.wire.eio import (
    EioDecodeError,
    OpenPacket,
    Packet,
    PacketType,
    decode_payload,
    decode_ws,
    parse_open,
    resource_for,
)
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import HttpResponse, build_http_request
from conformance.wire.httpclient import HttpExchange
from conformance.wire.ws import HandshakeFailed, Message, WsClient

__all__ = ["HEARTBEAT_ATTEMPTS", "PROFILE_KEYS", "EioContext", "answered_by_heartbeat", "packets_text"]

#: profile name -> the open packet's attribute it promises
PROFILE_KEYS = {"ping-interval": "ping_interval", "ping-timeout": "ping_timeout",
                "max-payload": "max_payload"}
#: Extra seconds a heartbeat wait allows past the target's own pingInterval (+ pingTimeout): load and
#: scheduling, never a verdict on speed.
SLACK = 1.0
#: Fresh sessions a case that needs a GET still pending at its next step tries when the target's heartbeat
#: answered that GET first (a ping is due every pingInterval, and a loaded machine, or a full run's other
#: cases, can delay the next step past it): the outcome never depends on where a run's timing put the ping.
HEARTBEAT_ATTEMPTS = 3


def packets_text(packets: Sequence[Packet]) -> str:
    """Packets as one line for ``actual``: ``'4hello', 'bAQIDBA=='``."""
    return ", ".join(str(p) for p in packets) or "no packet"


T = TypeVar("T")


def answered_by_heartbeat(ex: HttpExchange, by: float) -> bool:
    """Whether the held ``GET`` ``ex`` was answered by loop time ``by`` with pings only: the target's
    heartbeat released it, so what the case sent after it met no pending ``GET``."""
    if not ex.done or ex.response is None or ex.response.status != 200 or ex.last_arrival > by:
        return False
    try:
        packets = decode_payload(ex.body)
    except EioDecodeError:
        return False
    return bool(packets) and all(p.type is PacketType.PING for p in packets)


class EioContext(HttpContext):
    """An Engine.IO case's target and shared steps (see the module docstring)."""

    def __init__(self, endpoint: Endpoint, env: CaseEnv) -> None:
        super().__init__(endpoint, env)
        self.close_timeout = env.close_timeout
        self._clients: list[WsClient] = []
        self._read: dict[int, int] = {}  # id(client) -> how many of its events the case has read

    # -- addresses -----------------------------------------------------------------------------------

    def resource(self, *, transport: str | None = "polling", sid: str | None = None, eio: str | None = "4",
                 extra: Sequence[tuple[str, str]] = ()) -> str:
        """The request target on the Engine.IO path with these query parameters (None leaves one out)."""
        return resource_for(self.endpoint.resource, transport=transport, sid=sid, eio=eio, extra=extra)

    def ws_endpoint(self) -> Endpoint:
        """The same host and path over WebSocket (ws:// for http://, wss:// for https://)."""
        return self.endpoint.with_options(scheme="wss" if self.endpoint.secure else "ws")

    # -- polling -------------------------------------------------------------------------------------

    async def handshake(self) -> OpenPacket:
        """``GET ?EIO=4&transport=polling``: the open packet of a new polling session.

        Raises:
            CaseFailed: not 200, or the body is not one open packet with the README's keys.
        """
        response, body = await self.request("GET", self.resource(), timeout=5.0)
        if response.status != 200:
            raise CaseFailed(["200 and an open packet"], f"GET {self.resource()}: {response.status} "
                                                         f"{body[:120]!r}")
        try:
            packets = decode_payload(body)
            if len(packets) != 1:
                raise EioDecodeError(f"{len(packets)} packets: {packets_text(packets)}")
            return parse_open(packets[0])
        except EioDecodeError as exc:
            raise CaseFailed(["an open packet"], f"GET {self.resource()}: {exc}") from None

    async def post(self, sid: str | None, body: bytes, *, headers: Sequence[tuple[str, str]] = (),
                   timeout: float = 5.0) -> tuple[HttpResponse, bytes]:
        """``POST`` ``body`` to the session ``sid``: the response and its body (any status)."""
        return await self.request("POST", self.resource(sid=sid), body=body, timeout=timeout,
                                  headers=(("Content-Type", "text/plain;charset=UTF-8"), *headers))

    async def get(self, sid: str | None, *, timeout: float = 5.0) -> tuple[HttpResponse, bytes]:
        """``GET`` the session ``sid`` (answered when the target has packets; at most ``timeout``)."""
        return await self.request("GET", self.resource(sid=sid), timeout=timeout)

    async def packets(self, sid: str, *, timeout: float = 5.0) -> list[Packet]:
        """One ``GET`` of the session: its packets.

        Raises:
            CaseFailed: no answer in ``timeout``, not 200, or not a payload.
        """
        response, body = await self.get(sid, timeout=timeout)
        return self.payload(f"GET {self.resource(sid=sid)}", response, body)

    @staticmethod
    def payload(what: str, response: HttpResponse, body: bytes) -> list[Packet]:
        """The packets of a polling answer; CaseFailed unless 200 and a payload."""
        if response.status != 200:
            raise CaseFailed(["200 and a payload"], f"{what}: {response.status} {body[:120]!r}")
        try:
            return decode_payload(body)
        except EioDecodeError as exc:
            raise CaseFailed(["a payload of Engine.IO packets"], f"{what}: {exc}") from None

    async def messages(self, sid: str, want: int, *, timeout: float = 5.0) -> tuple[list[Packet], int]:
        """``GET`` until ``want`` message packets came (at most ``timeout`` in all, 16 GETs): the messages
        and the number of GETs it took; the target's pings are answered with pongs and left out."""
        loop = asyncio.get_running_loop()
        end = loop.time() + self.left(timeout)
        got: list[Packet] = []
        gets = 0
        while len(got) < want and gets < 16 and (left := end - loop.time()) > 0:
            packets = await self.packets(sid, timeout=left)
            gets += 1
            got += [p for p in packets if p.type is PacketType.MESSAGE]
            if any(p.type is PacketType.PING for p in packets):
                await self.post(sid, b"3")
        return got, gets

    async def start_get(self, sid: str | None) -> HttpExchange:
        """Send a ``GET`` of the session without waiting for its answer (a pending, held poll)."""
        return await self.exchange("GET", self.resource(sid=sid), headers=(("Connection", "close"),),
                                   wait_head=False)

    async def unfinished_post(self, sid: str, body: bytes, missing: int) -> HttpExchange:
        """Send a ``POST`` of ``body`` to the session without its last ``missing`` bytes: an active POST
        the target is still reading."""
        request = build_http_request("POST", self.resource(sid=sid), self.endpoint.host_header,
                                     (*self.endpoint.headers, ("Content-Type", "text/plain;charset=UTF-8")),
                                     body)
        ex = HttpExchange(self.endpoint, self.transcript, deadline=self.deadline)
        self._exchanges.append(ex)
        await ex.send(request[:-missing], wait_head=False)
        return ex

    async def finish(self, ex: HttpExchange, timeout: float) -> tuple[HttpResponse, bytes] | None:
        """The answer to a held request within ``timeout``, or None (still held, or the connection ended
        without a response)."""
        await ex.wait_done(self.left(timeout))
        if ex.response is None or not ex.done:
            return None
        return ex.response, ex.body

    # -- WebSocket -----------------------------------------------------------------------------------

    def ws_client(self) -> WsClient:
        """An unconnected WebSocket client on the Engine.IO path, closed when the case ends."""
        client = WsClient(self.ws_endpoint(), deadline=self.deadline, transcript=self.transcript,
                          close_timeout=self.close_timeout)
        self._clients.append(client)
        return client

    async def ws_connect(self, *, sid: str | None = None, eio: str | None = "4",
                         transport: str | None = "websocket") -> tuple[WsClient, str]:
        """A WebSocket opening handshake on the Engine.IO path; the client (open or not) and "" when the
        target answered 101, else what it answered instead."""
        ws = self.ws_client()
        try:
            await ws.open(resource=self.resource(transport=transport, sid=sid, eio=eio))
        except HandshakeFailed as exc:
            return ws, exc.actual
        return ws, ""

    async def ws_session(self) -> tuple[WsClient, OpenPacket]:
        """A WebSocket-only session: 101, then the open packet as the first message.

        Raises:
            CaseFailed: no 101, or no open packet first.
        """
        ws, refused = await self.ws_connect()
        if refused:
            raise CaseFailed(["101, then an open packet"], refused)
        first = await self.ws_next(ws, 5.0)
        if first is None:
            why = f"no message: {self.ws_end(ws)}" if ws.tcp_closed else "no message in 5 s"
            raise CaseFailed(["an open packet"], why)
        try:
            return ws, parse_open(first)
        except EioDecodeError as exc:
            raise CaseFailed(["an open packet"], str(exc)) from None

    async def ws_next(self, ws: WsClient, timeout: float) -> Packet | None:
        """The next message from the target as a packet, or None (none came in ``timeout``, or the
        connection ended).

        Raises:
            CaseFailed: a message that is not an Engine.IO packet.
        """
        key = id(ws)
        while True:
            if not await ws.wait(lambda: len(ws.events) > self._read.get(key, 0), self.left(timeout)):
                return None
            read = self._read.get(key, 0)
            event = ws.events[read]
            self._read[key] = read + 1
            if isinstance(event, Message):
                try:
                    return decode_ws(event.data, event.binary)
                except EioDecodeError as exc:
                    raise CaseFailed(["an Engine.IO packet"], str(exc)) from None

    async def ws_message(self, ws: WsClient, timeout: float) -> Packet | None:
        """The next message packet (pings answered with pongs on the way), or None."""
        while (packet := await self.ws_next(ws, timeout)) is not None:
            if packet.type is PacketType.PING:
                await ws.send_text("3")
            elif packet.type is PacketType.MESSAGE:
                return packet
        return None

    async def answering_pings(self, ws: WsClient, work: Awaitable[T]) -> T:
        """Await ``work`` while the target's pings on the upgraded ``ws`` are answered with pongs, as a client
        keeps its session alive whatever else it waits for: however long ``work`` takes on a loaded machine,
        the target's heartbeat cannot time the session out meanwhile. Other packets that come meanwhile
        are dropped."""
        task = asyncio.ensure_future(work)
        try:
            while True:
                packet = asyncio.ensure_future(self.ws_next(ws, self.left()))
                await asyncio.wait({task, packet}, return_when=asyncio.FIRST_COMPLETED)
                if task.done():
                    packet.cancel()
                    return task.result()
                got = packet.result()
                if got is None:  # the WebSocket ended: nothing left to answer
                    return await task
                if got.type is PacketType.PING:
                    await ws.send_text("3")
        finally:
            task.cancel()

    async def ws_closed(self, ws: WsClient, timeout: float, *, answer_pings: bool = False) -> bool:
        """Whether the target closes the WebSocket (close frame or TCP close) within ``timeout``; what it
        sends before that is ignored. With ``answer_pings`` the target's pings are answered meanwhile, so a
        close cannot be its heartbeat timing the runner out."""
        if answer_pings:
            loop = asyncio.get_running_loop()
            end = loop.time() + self.left(timeout)
            while (left := end - loop.time()) > 0:
                packet = await self.ws_next(ws, left)
                if packet is None:
                    break
                if packet.type is PacketType.PING:
                    await ws.send_text("3")
        else:
            await ws.wait(lambda: ws.target_close is not None or ws.tcp_closed, self.left(timeout))
        return ws.target_close is not None or ws.tcp_closed

    @staticmethod
    def ws_end(ws: WsClient) -> str:
        """How the WebSocket stands, for ``actual``."""
        if ws.aborted:
            return f"the runner cut the connection: {ws.aborted}"
        if ws.target_close is not None:
            return f"the target sent a close frame ({ws.target_close.code})"
        if ws.tcp_closed:
            return "the TCP connection closed"
        return "the WebSocket is still open"

    # -- the target's promises -----------------------------------------------------------------------

    def promised(self, opened: OpenPacket) -> list[str]:
        """Where the open packet differs from what the profile says the target promises."""
        wrong = []
        for name, attr in PROFILE_KEYS.items():
            value = self.number(name)
            if value is not None and getattr(opened, attr) != value:
                wrong.append(f"{attr} {getattr(opened, attr)} (--profile {name}={value:g})")
        return wrong

    def heartbeat(self, opened: OpenPacket) -> tuple[float, float]:
        """(pingInterval, pingTimeout) in seconds, from the open packet."""
        return opened.ping_interval / 1000, opened.ping_timeout / 1000

    def release(self) -> None:
        """Close every connection the case opened."""
        super().release()
        for client in self._clients:
            client.release()
            client.forget()
