"""The comparison's Socket.IO clients, built on the conformance wire code (Engine.IO v4, Socket.IO v5).

* :class:`SioSubscriber` does what ``socket.io-client`` does by default: it opens its Engine.IO session on
  HTTP long polling, connects the ``/`` namespace, joins the workload's room (docs/testee-contract.md:
  ``join`` ``[room]``, acknowledged), then upgrades to WebSocket when the open packet offers it (the probe:
  ``2probe``, ``3probe``, ``5``; engine.io-protocol README "Upgrade"). When the upgrade is refused (a proxy
  that strips ``Upgrade`` forwards a plain ``GET``, which the server refuses) it stays on polling: the
  fallback Socket.IO is chosen for. It answers the server's pings, and after a lost session reconnects
  with connection state recovery (``40{"pid","offset"}``) when the server offered it, so that what was
  broadcast meanwhile is replayed.
* :class:`SioPublisher` is the backend's publisher: one Socket.IO client on WebSocket that emits
  ``broadcast`` ``[room, payload]`` (acknowledged) at the workload's rate; the testee emits
  ``broadcast-back`` ``[payload]`` to every other socket in the room.

The Engine.IO open packet and every later packet are read with :mod:`conformance.wire.eio`, Socket.IO packets
with :mod:`conformance.wire.sio`. What a client keeps is bounded as in :mod:`conformance.compare.subscribers`:
a polling answer by :class:`~conformance.wire.httpread.ResponseReader`, a WebSocket message by the
connection's ``max_message``, a binary packet by :class:`~conformance.wire.sio.Reassembler`; every wait has
a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

from conformance.compare.link import Link, open_link
from conformance.compare.publisher import PublishStats
from conformance.compare.subscribers import CONNECT_TIMEOUT, Dial, Subscriber
from conformance.compare.tally import Tally, payload
from conformance.wire.eio import (
    EioDecodeError,
    Packet,
    PacketType,
    decode_payload,
    decode_ws,
    encode_payload,
    parse_open,
    resource_for,
)
from conformance.wire.httpread import ResponseReader
from conformance.wire.sio import Reassembler, SioDecodeError, SioPacket, SioType
from conformance.wire.wsconn import WsClientConnection
from conformance.wire.wsframes import Op
from conformance.wire.wshandshake import build_request, new_key, upgrade_problems
from conformance.wire.wsrecv import Message

__all__ = ["ROOM", "SioPublisher", "SioSubscriber"]

#: The room every subscriber joins and the publisher broadcasts to.
ROOM = "rtconform-compare"
#: The ack id of a subscriber's ``join`` (one per session).
JOIN_ACK = 1
#: Seconds one polling request (a held GET included) may take: a server holds a GET at most until its
#: next ping (``pingInterval``, 25 s by default), so this is added to the session's ping interval.
POLL_SLACK = 10.0


def _socketio(reassembler: Reassembler, packet: Packet, end: Callable[[str], None]) -> SioPacket | None:
    """The Socket.IO packet an Engine.IO message completes; None while attachments are due, or when it is
    not Socket.IO (``end`` is then called with why)."""
    try:
        return reassembler.feed(packet)
    except SioDecodeError as exc:
        end(f"not Socket.IO: {exc}")
        return None


class _Http:
    """One keep-alive HTTP/1.1 connection with one request at a time (a polling GET, or a POST)."""

    def __init__(self, dial: Dial) -> None:
        self.dial = dial
        self.reader = ResponseReader(max_arrivals=1)
        self.changed = asyncio.Event()
        self.link: Link | None = None

    async def open(self) -> None:
        self.link = await open_link(self.dial.host, self.dial.port, self._data, self._end, CONNECT_TIMEOUT)

    def _data(self, data: bytes) -> None:
        self.reader.receive_data(data, 0.0)
        self.changed.set()

    def _end(self, reset: bool) -> None:
        self.reader.receive_eof(reset)
        self.changed.set()

    async def request(self, method: str, target: str, body: bytes, timeout: float) -> bytes | None:
        """The 200 answer's body, or None (another status, the connection ended, or no answer in time)."""
        if self.link is None or self.link.ended:
            return None
        self.reader = ResponseReader(max_arrivals=1)
        self.changed.clear()
        length = "" if method != "POST" else \
            f"Content-Type: text/plain; charset=UTF-8\r\nContent-Length: {len(body)}\r\n"
        self.link.write(f"{method} {target} HTTP/1.1\r\nHost: {self.dial.authority}\r\n{length}\r\n".encode()
                        + body)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.reader.done and loop.time() < deadline:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), deadline - loop.time())
            self.changed.clear()
        response = self.reader.response
        if not self.reader.done or response is None or response.status != 200 or self.reader.framing_error:
            return None
        return bytes(self.reader.body)

    def close(self) -> None:
        if self.link is not None:
            self.link.close()


class _WsLink:
    """A WebSocket connection carrying Engine.IO packets: the sans-IO client connection fed from a link."""

    def __init__(self, on_packet: Callable[[Packet], None], on_end: Callable[[str], None]) -> None:
        self.conn = WsClientConnection(max_events=1_000_000, max_message=1 << 22)
        self.key = new_key()
        self.link: Link | None = None
        self.opened = asyncio.Event()
        self.refusal = ""
        self.on_packet = on_packet
        self.on_end = on_end

    async def open(self, dial: Dial, target: str) -> bool:
        """The opening handshake; whether it was accepted (else :attr:`refusal` says why)."""
        self.link = await open_link(dial.host, dial.port, self._data, self._end, CONNECT_TIMEOUT)
        self.conn.connection_made(dial.authority)
        self.conn.send_request()
        self.link.write(build_request(target, dial.authority, self.key))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.opened.wait(), CONNECT_TIMEOUT)
        if self.conn.response is None:
            self.refusal = self.refusal or self.conn.handshake_error or "no answer to the opening handshake"
        return not self.refusal

    def send(self, text: str) -> None:
        if self.link is not None and self.conn.is_open:
            for frame in self.conn.message_frames(Op.TEXT, text.encode(), compress=False):
                self.link.write(frame)

    def _data(self, data: bytes) -> None:
        conn = self.conn
        conn.receive_data(data)
        conn.frames.clear()
        for reply in conn.data_to_send():
            if self.link is not None:
                self.link.write(reply)
        if not self.opened.is_set() and conn.response is not None:
            problems = upgrade_problems(conn.response, self.key)
            self.refusal = problems[0] if problems else ""  # the first reason (the status, when not 101)
            self.opened.set()
            if problems:
                self.close()
                return
        for event in conn.take_events():
            if isinstance(event, Message):
                try:
                    self.on_packet(decode_ws(event.data, event.binary))
                except EioDecodeError as exc:
                    self.on_end(f"not Engine.IO: {exc}")
                    return
        if self.opened.is_set() and not conn.is_open:
            self.on_end("the WebSocket closed")

    def _end(self, reset: bool) -> None:
        self.conn.receive_eof(reset)
        self.opened.set()
        self.on_end("the connection was reset" if reset else "the connection closed")

    def close(self) -> None:
        if self.link is not None:
            self.link.close()


class SioSubscriber(Subscriber):
    """A Socket.IO client that joins :data:`ROOM` and receives every ``broadcast-back`` (see the module
    docstring).

    Args:
        upgrade: upgrade to WebSocket when the server offers it (``socket.io-client``'s default).

    Attributes:
        pid, offset: the connection state recovery session and the last event's offset, once the server
            offered recovery (its CONNECT answer carried a ``pid``).
    """

    def __init__(self, name: str, dial: Dial, tally: Tally, *, reconnect_delay: float = 0.25,
                 upgrade: bool = True) -> None:
        super().__init__(name, dial, tally, reconnect_delay=reconnect_delay)
        self.upgrade = upgrade
        self.pid: str | None = None
        self.offset: str | None = None

    async def session(self) -> None:
        session = _SioSession(self)
        try:
            await session.run()
        finally:
            session.close()


class _SioSession:
    """One Engine.IO session of a :class:`SioSubscriber`.

    Transport states (engine.io-protocol README "Upgrade"):

    ===========  =========================================  ============
    state        event                                      next state
    ===========  =========================================  ============
    polling      the WebSocket's 101 and ``3probe``          upgrading (``5`` sent)
    polling      the WebSocket refused                      polling (a fallback, counted)
    upgrading    ``6`` (noop) ends the pending GET          websocket
    any          ``1`` (close), a refused poll, a lost link  ended
    ===========  =========================================  ============
    """

    def __init__(self, sub: SioSubscriber) -> None:
        self.sub = sub
        self.ended = sub._session_ended()
        self.transport = "polling"
        self.sid = ""
        self.ping_interval = 25.0
        self.reassembler = Reassembler()
        self.joined = asyncio.Event()
        self.probed = asyncio.Event()
        self.gets = _Http(sub.dial)
        self.posts = _Http(sub.dial)
        self.ws: _WsLink | None = None
        self.outbox: list[str] = []
        self.sending = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    # -- the session ------------------------------------------------------------------------------------

    async def run(self) -> None:
        sub = self.sub
        await self.gets.open()
        sub.stats.requests += 1
        body = await self.gets.request("GET", resource_for(sub.dial.path), b"", CONNECT_TIMEOUT)
        if body is None:
            sub.stats.refused += 1
            sub.stats.error("Engine.IO handshake refused or unanswered")
            return
        try:
            packets = decode_payload(body)
            opened = parse_open(packets[0])
        except (EioDecodeError, IndexError) as exc:
            sub.stats.error(f"Engine.IO handshake: {exc}")
            return
        self.sid, self.ping_interval = opened.sid, opened.ping_interval / 1000
        await self.posts.open()
        self.tasks = [asyncio.ensure_future(self._poll()), asyncio.ensure_future(self._post())]
        auth = {"pid": sub.pid, "offset": sub.offset} if sub.pid and sub.offset else None
        self._send("0" + (json.dumps(auth, separators=(",", ":")) if auth else ""))  # CONNECT to /
        for packet in packets[1:]:
            self._packet(packet)
        if not await self._until(self.joined, CONNECT_TIMEOUT):
            if not self.ended.is_set():
                sub.stats.error("no CONNECT answer or join acknowledgement in time")
            return
        sub._working()
        if sub.upgrade and "websocket" in opened.upgrades:
            await self._upgrade()
        await self.ended.wait()

    async def _until(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait for ``event`` (at most ``timeout`` seconds, less if the session ends); whether it came."""
        waits = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(self.ended.wait())}
        _, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return event.is_set()

    async def _upgrade(self) -> None:
        sub = self.sub
        ws = _WsLink(self._packet, self._end)
        sub.stats.requests += 1
        try:
            target = resource_for(sub.dial.path, transport="websocket", sid=self.sid)
            accepted = await ws.open(sub.dial, target)
        except OSError as exc:
            accepted, ws.refusal = False, str(exc)
        if not accepted:  # README "Upgrade": the client goes on with polling
            ws.on_end = lambda _: None
            ws.close()
            sub.stats.upgrade_failed += 1
            sub.stats.error(f"upgrade refused, staying on polling: {ws.refusal}")
            return
        self.ws = ws
        ws.send("2probe")
        if not await self._until(self.probed, CONNECT_TIMEOUT):
            if not self.ended.is_set():
                sub.stats.upgrade_failed += 1
                sub.stats.error("no 3probe in time, staying on polling")
                self.ws = None
                ws.on_end = lambda _: None
                ws.close()
            return
        self.transport = "upgrading"
        ws.send("5")
        sub.stats.upgraded += 1

    # -- packets in -------------------------------------------------------------------------------------

    def _packet(self, packet: Packet) -> None:
        """One Engine.IO packet from either transport."""
        if packet.type is PacketType.PING:
            if packet.data == "probe":
                return
            self._send_eio("3" + str(packet.data))
        elif packet.type is PacketType.PONG and packet.data == "probe":
            self.probed.set()
        elif packet.type is PacketType.NOOP and self.transport == "upgrading":
            self.transport = "websocket"
        elif packet.type is PacketType.CLOSE:
            self._end("the server closed the Engine.IO session")
        elif packet.type is PacketType.MESSAGE:
            sio = _socketio(self.reassembler, packet, self._end)
            if sio is not None:
                self._sio(sio)

    def _sio(self, packet: SioPacket) -> None:
        sub = self.sub
        if packet.nsp != "/":
            return
        if packet.type is SioType.CONNECT:
            data = packet.data if isinstance(packet.data, dict) else {}
            pid = data.get("pid")
            if isinstance(pid, str) and pid != sub.pid:
                sub.pid, sub.offset = pid, None
            self._send(f'2{JOIN_ACK}["join",{json.dumps(ROOM)}]')  # EVENT join, with an ack id
        elif packet.type is SioType.CONNECT_ERROR or packet.type is SioType.DISCONNECT:
            sub.stats.refused += packet.type is SioType.CONNECT_ERROR
            self._end(f"namespace refused or disconnected: {packet}")
        elif packet.type is SioType.ACK and packet.id == JOIN_ACK:
            self.joined.set()
        elif packet.type is SioType.EVENT and isinstance(packet.data, list) \
                and packet.data[:1] == ["broadcast-back"]:
            args = packet.data[1:]
            if sub.pid is not None and len(args) >= 2 and isinstance(args[-1], str):
                sub.offset = args[-1]  # with recovery on, the server appends each event's offset
            if args and isinstance(args[0], str):
                sub._received(args[0], sub.loop.time())

    # -- packets out ------------------------------------------------------------------------------------

    def _send(self, sio_text: str) -> None:
        """Send a Socket.IO packet's text as an Engine.IO message."""
        self._send_eio("4" + sio_text)

    def _send_eio(self, text: str) -> None:
        if self.transport != "polling" and self.ws is not None:
            self.ws.send(text)
            return
        self.outbox.append(text)
        self.sending.set()

    async def _post(self) -> None:
        """Send what the outbox holds, one POST at a time (README: one active POST per session)."""
        sub = self.sub
        target = resource_for(sub.dial.path, sid=self.sid)
        while not self.ended.is_set():
            await self.sending.wait()
            self.sending.clear()
            if not self.outbox:
                continue
            batch, self.outbox = self.outbox, []
            sub.stats.requests += 1
            if await self.posts.request("POST", target, encode_payload(batch), CONNECT_TIMEOUT) is None:
                self._end("a POST was refused or unanswered")

    async def _poll(self) -> None:
        """GET after GET while the session is on polling (the last one ends with the upgrade's noop)."""
        sub = self.sub
        target = resource_for(sub.dial.path, sid=self.sid)
        while not self.ended.is_set() and self.transport != "websocket":
            sub.stats.requests += 1
            body = await self.gets.request("GET", target, b"", self.ping_interval + POLL_SLACK)
            if body is None:
                if self.transport == "polling":
                    self._end("a poll was refused, cut or late")
                return
            try:
                packets = decode_payload(body)
            except EioDecodeError as exc:
                self._end(f"not Engine.IO: {exc}")
                return
            for packet in packets:
                self._packet(packet)

    def _end(self, why: str) -> None:
        if not self.ended.is_set():
            if not self.sub.stopping:
                self.sub.stats.error(why)
                self.sub._lost()
            self.ended.set()
            self.sending.set()

    def close(self) -> None:
        self.ended.set()
        self.sending.set()
        for task in self.tasks:
            task.cancel()
        self.gets.close()
        self.posts.close()
        if self.ws is not None:
            self.ws.on_end = lambda _: None
            self.ws.close()


class SioPublisher:
    """Emits ``broadcast`` ``[ROOM, payload]`` with an ack id, keys ``p.N``, over one WebSocket session
    (Engine.IO directly on WebSocket, as the README allows) to ``path`` on ``host:port``."""

    def __init__(self, host: str, port: int, path: str, tally: Tally, size: int) -> None:
        self.dial = Dial(host, port, path)
        self.tally = tally
        self.size = size
        self.stats = PublishStats()
        self.loop = asyncio.get_running_loop()
        self.seq = 0
        self.unacked: set[int] = set()
        self.acked = asyncio.Event()
        self.connected = asyncio.Event()
        self.reassembler = Reassembler()
        self.ws: _WsLink | None = None
        self.problem = ""

    async def start(self) -> bool:
        """Open the session and connect ``/``; whether it worked (else :attr:`problem` says why)."""
        ws = _WsLink(self._packet, self._end)
        try:
            accepted = await ws.open(self.dial, resource_for(self.dial.path, transport="websocket"))
        except OSError as exc:
            accepted, ws.refusal = False, str(exc)
        self.stats.connections += 1
        if not accepted:
            self.problem = f"publisher: WebSocket refused: {ws.refusal}"
            return False
        self.ws = ws
        ws.send("40")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.connected.wait(), CONNECT_TIMEOUT)
        if not self.connected.is_set():
            self.problem = self.problem or "publisher: no CONNECT answer in time"
        return self.connected.is_set()

    def publish(self) -> None:
        """Emit one message (returns at once); skipped while the session is not connected."""
        if self.ws is None or not self.connected.is_set() or not self.ws.conn.is_open:
            self.stats.skipped += 1
            return
        self.seq += 1
        key = f"p.{self.seq}"
        text = payload(key, self.size).decode("ascii")
        self.ws.send(f"42{self.seq}" + json.dumps(["broadcast", ROOM, text], separators=(",", ":")))
        self.tally.published(key, self.loop.time())
        self.stats.sent += 1
        self.unacked.add(self.seq)

    def _packet(self, packet: Packet) -> None:
        if packet.type is PacketType.PING:
            if self.ws is not None:
                self.ws.send("3" + str(packet.data))
        elif packet.type is PacketType.MESSAGE:
            sio = _socketio(self.reassembler, packet, self._end)
            if sio is None or sio.nsp != "/":
                return
            if sio.type is SioType.CONNECT:
                self.connected.set()
            elif sio.type is SioType.ACK and sio.id in self.unacked:
                self.unacked.discard(sio.id)
                self.stats.ok += 1
                self.acked.set()
            elif sio.type in (SioType.CONNECT_ERROR, SioType.DISCONNECT):
                self._end(f"publisher: namespace refused or disconnected: {sio}")
        elif packet.type is PacketType.CLOSE:
            self._end("publisher: the server closed the session")

    def _end(self, why: str) -> None:
        self.problem = self.problem or why
        self.connected.clear()
        self.acked.set()

    async def drain(self, timeout: float) -> None:
        """Wait for the acks of what was sent (at most ``timeout`` seconds), then close the session; what
        was never acknowledged counts as failed."""
        deadline = self.loop.time() + timeout
        while self.unacked and self.ws is not None and self.ws.conn.is_open and self.loop.time() < deadline:
            self.acked.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.acked.wait(), deadline - self.loop.time())
        self.stats.failed += len(self.unacked)
        self.unacked.clear()
        if self.ws is not None:
            self.ws.on_end = lambda _: None
            self.ws.close()
