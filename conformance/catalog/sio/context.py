"""What a Socket.IO case receives: :class:`SioContext`, an
:class:`~conformance.catalog.eio.context.EioContext` on the Socket.IO path (``http://host:port/socket.io/``)
that also opens Socket.IO clients over either Engine.IO transport and turns what the target did wrong into
the case's failure.

The Engine.IO steps it inherits are changed in one way: :meth:`SioContext.handshake` and
:meth:`SioContext.ws_session` connect the main namespace right after the open packet (and read the testee's
``auth`` event), as every Socket.IO client does. The Engine.IO cases of the socket.io-protocol test suite run
on them, so a server's connect timeout (a session that connects no namespace is closed) never decides an
Engine.IO verdict; the raw Engine.IO session is :meth:`SioContext.eio_polling` / :meth:`SioContext.eio_ws`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from conformance.catalog.eio.context import EioContext, packets_text
from conformance.model import CaseFailed
from conformance.wire.eio import (
    EioDecodeError,
    OpenPacket,
    Packet,
    PacketType,
    decode_payload,
    encode_payload,
)
from conformance.wire.httpclient import HttpExchange
from conformance.wire.sio import SioClient, SioDecodeError, SioPacket, SioType
from conformance.wire.ws import WsClient

__all__ = ["TRANSPORTS", "PollingTransport", "SioContext", "WsTransport"]

#: The Engine.IO transports every Socket.IO case runs over (SIO-6: polling as well as WebSocket).
TRANSPORTS = ("websocket", "polling")
EVENTS = frozenset({SioType.EVENT, SioType.BINARY_EVENT})
ACKS = frozenset({SioType.ACK, SioType.BINARY_ACK})
#: Seconds a case waits for one answer of the target.
ANSWER = 5.0


class WsTransport:
    """A WebSocket-only Engine.IO session as a :class:`~conformance.wire.sio.SioTransport`."""

    def __init__(self, ctx: EioContext, ws: WsClient, opened: OpenPacket) -> None:
        self.ctx, self.ws, self.opened = ctx, ws, opened

    async def send(self, packets: list[Packet]) -> None:
        for packet in packets:
            if isinstance(packet.data, bytes):
                await self.ws.send_binary(packet.data)
            else:
                await self.ws.send_text(packet.polling())

    async def receive(self, timeout: float) -> Packet | None:
        return await self.ctx.ws_message(self.ws, timeout)

    async def closed(self, timeout: float) -> bool:
        """Whether the target ends the session within ``timeout`` (pings answered meanwhile)."""
        return await self.ctx.ws_closed(self.ws, timeout, answer_pings=True)

    def state(self) -> str:
        return self.ctx.ws_end(self.ws)

    def release(self) -> None:
        """Free the connection (the case is done with this session)."""
        self.ws.release()


class PollingTransport:
    """A polling Engine.IO session as a :class:`~conformance.wire.sio.SioTransport`: one POST per send, a
    long-polling GET kept pending across receives, pings answered with a POST of ``3``.

    The session has ended once a GET or POST is answered 400 (or not at all), or a close packet came.
    """

    def __init__(self, ctx: EioContext, opened: OpenPacket) -> None:
        self.ctx, self.opened, self.sid = ctx, opened, opened.sid
        self._buffer: deque[Packet] = deque()
        self._get: HttpExchange | None = None
        self.ended = ""

    async def send(self, packets: list[Packet]) -> None:
        response, body = await self.ctx.post(self.sid, encode_payload(packets))
        if response.status != 200:
            self.ended = self.ended or f"POST answered {response.status} {body[:40]!r}"

    async def receive(self, timeout: float) -> Packet | None:
        loop = asyncio.get_running_loop()
        end = loop.time() + self.ctx.left(timeout)
        while not self._buffer and not self.ended and (left := end - loop.time()) > 0:
            await self._poll(left)
        return self._buffer.popleft() if self._buffer else None

    async def _poll(self, timeout: float) -> None:
        if self._get is None:
            self._get = await self.ctx.start_get(self.sid)
        ex = self._get
        answer = await self.ctx.finish(ex, timeout)
        if answer is None:
            if ex.closed or ex.done:
                self._get, self.ended = None, "a GET ended without a response"
            return
        self._get = None
        response, body = answer
        if response.status != 200:
            self.ended = f"GET answered {response.status} {body[:40]!r}"
            return
        try:
            packets = decode_payload(body)
        except EioDecodeError as exc:
            raise CaseFailed(["a payload of Engine.IO packets"], f"GET: {exc}") from None
        for packet in packets:
            if packet.type is PacketType.PING:
                await self.ctx.post(self.sid, b"3")
            elif packet.type is PacketType.CLOSE:
                self.ended = "a close packet"
            elif packet.type is PacketType.MESSAGE and not self.ended:
                self._buffer.append(packet)
            elif packet.type not in (PacketType.NOOP, PacketType.MESSAGE):
                raise CaseFailed(["message, ping, noop or close packets"], f"GET: {packets_text(packets)}")

    async def closed(self, timeout: float) -> bool:
        """Whether the target ends the session within ``timeout`` (GETs sent, pings answered meanwhile)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + self.ctx.left(timeout)
        while not self.ended and (left := end - loop.time()) > 0:
            self._buffer.clear()
            await self._poll(left)
        return bool(self.ended)

    def state(self) -> str:
        return f"the session ended: {self.ended}" if self.ended else "the session is still open"

    def abandon(self) -> None:
        """Cut the pending GET and send nothing more, as a client whose network went away."""
        if self._get is not None:
            self._get.close()
        self._get, self.ended = None, self.ended or "abandoned by the case"

    def release(self) -> None:
        """Free the connection (the case is done with this session)."""
        self.abandon()


Transport = WsTransport | PollingTransport


class SioContext(EioContext):
    """A Socket.IO case's target and shared steps (see the module docstring)."""

    # -- raw Engine.IO sessions ------------------------------------------------------------------------

    async def eio_polling(self) -> OpenPacket:
        """A polling Engine.IO session, no namespace connected."""
        return await super().handshake()

    async def eio_ws(self) -> tuple[WsClient, OpenPacket]:
        """A WebSocket-only Engine.IO session, no namespace connected."""
        return await super().ws_session()

    async def handshake(self) -> OpenPacket:
        """A polling session with the main namespace connected (its CONNECT and ``auth`` event read)."""
        opened = await self.eio_polling()
        await self.join(SioClient(PollingTransport(self, opened)), "/")
        return opened

    async def ws_session(self) -> tuple[WsClient, OpenPacket]:
        """A WebSocket session with the main namespace connected (its CONNECT and ``auth`` event read)."""
        ws, opened = await self.eio_ws()
        await self.join(SioClient(WsTransport(self, ws, opened)), "/")
        return ws, opened

    # -- Socket.IO clients -----------------------------------------------------------------------------

    async def client(self, transport: str) -> SioClient:
        """A Socket.IO client on a new Engine.IO session over ``transport``, no namespace connected."""
        if transport == "polling":
            return SioClient(PollingTransport(self, await self.eio_polling()))
        ws, opened = await self.eio_ws()
        return SioClient(WsTransport(self, ws, opened))

    async def connected(self, transport: str, *namespaces: str) -> SioClient:
        """A client over ``transport`` connected to ``namespaces`` (``/`` if none), each ``auth`` read."""
        client = await self.client(transport)
        for nsp in namespaces or ("/",):
            await self.join(client, nsp)
        return client

    async def join(self, client: SioClient, nsp: str, auth: Any = None) -> str:
        """CONNECT ``nsp`` (with ``auth``): the socket id of the target's CONNECT, after its ``auth`` event.

        Raises:
            CaseFailed: no CONNECT with a sid, or no ``auth`` event after it.
        """
        await client.send(SioPacket(SioType.CONNECT, nsp, auth))
        answer = await self.expect(client, f"CONNECT {nsp} with a sid")
        sid = answer.data.get("sid") if isinstance(answer.data, dict) else None
        if answer.type is not SioType.CONNECT or answer.nsp != nsp or not isinstance(sid, str):
            raise CaseFailed([f"CONNECT {nsp} with a sid"], f"{answer}")
        event = await self.expect(client, f"the testee's 'auth' event on {nsp}")
        if event.type is not SioType.EVENT or event.nsp != nsp or not isinstance(event.data, list) \
                or event.data[:1] != ["auth"]:
            raise CaseFailed([f"the testee's 'auth' event on {nsp}"], f"{event}")
        return sid

    async def expect(self, client: SioClient, what: str, timeout: float = ANSWER) -> SioPacket:
        """The next packet from the target.

        Raises:
            CaseFailed: none within ``timeout`` (or the session ended), or it is not Socket.IO v5.
        """
        packet = await self.receive(client, timeout)
        if packet is None:
            raise CaseFailed([what], f"no packet in {timeout:g} s ({self.state(client)})")
        return packet

    async def receive(self, client: SioClient, timeout: float = ANSWER) -> SioPacket | None:
        """The next packet from the target, or None.

        Raises:
            CaseFailed: it is not Socket.IO v5, or an event or ack whose payload breaks the README's MUST.
        """
        try:
            packet = await client.next(timeout)
        except SioDecodeError as exc:
            raise CaseFailed(["a Socket.IO v5 packet"], str(exc)) from None
        if packet is None:
            return None
        # "The payload is mandatory and MUST be a non-empty array." (Sending and receiving data)
        if packet.type in EVENTS and (not isinstance(packet.data, list) or not packet.data):
            raise CaseFailed(["an event whose payload is a non-empty array"], str(packet))
        # "The payload is mandatory and MUST be an array (possibly empty)." (Acknowledgement)
        if packet.type in ACKS and (not isinstance(packet.data, list) or packet.id is None):
            raise CaseFailed(["an ack with an id and an array payload"], str(packet))
        return packet

    @staticmethod
    def transport(client: SioClient) -> Transport:
        transport = client.transport
        assert isinstance(transport, (WsTransport, PollingTransport))
        return transport

    async def closed(self, client: SioClient, timeout: float = 3.0) -> bool:
        """Whether the target ends the client's Engine.IO session within ``timeout``."""
        return await self.transport(client).closed(timeout)

    def state(self, client: SioClient) -> str:
        """How the client's Engine.IO session stands, for ``actual``."""
        return self.transport(client).state()
