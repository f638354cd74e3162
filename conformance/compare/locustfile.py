"""Locust user classes for the comparison's workload, for loads one machine cannot make.

``locust -f conformance/compare/locustfile.py`` (``pip install rtconform[compare]``) runs the same clients
as ``rtconform compare`` on a Locust cluster (``--master`` / ``--worker``); Locust is the engine, these are
only its users. The protocol code is the conformance wire code (the WebSocket handshake and the sans-IO
:class:`~conformance.wire.wsconn.WsClientConnection`, the strict SSE
:class:`~conformance.wire.sse.StreamParser`, the bounded :class:`~conformance.wire.httpread.ResponseReader`)
over Locust's gevent sockets.

Users (pick them by name on the command line):

* ``WsUser``: sends a message every ``1 / --cmp-rate`` seconds and waits for its echo; a request
  ``WS echo`` per message (response time = round trip).
* ``SseUser``: one event stream, resumed with ``Last-Event-ID``; a request ``SSE message`` per event.
* ``PollUser``: long polls with a cursor on one keep-alive connection; a request ``POLL message`` per
  message, and ``POLL connect`` per connection opened.
* ``SioUser``: one Socket.IO client on WebSocket (``socket.io-client`` with ``transports: ["websocket"]``)
  that joins the room ``rtconform-compare``; a request ``SIO message`` per ``broadcast-back``.
* ``PublisherUser`` (one in the whole run, ``fixed_count``): ``POST``s every message to each
  ``--cmp-publish-url`` (a comma list: the SSE server's and the polling server's) at ``--cmp-rate``, and
  with ``--cmp-sio-url`` emits it as ``broadcast`` to the room over a Socket.IO client of its own (acked).

Published payloads carry ``origin:seq:unix-ns``: latency is receipt minus that time (one clock on one
machine; across machines the clocks must be synchronised). A subscriber reports a gap in an origin's
sequence as a failure ``lost`` (one per missing message) and a sequence number seen again as a failure
``duplicate``, so Locust's failure table counts them.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

# locust is optional (the ``compare`` extra): without it these imports are Any to mypy, hence the ignores
from locust import User, between, constant_pacing, events, task  # type: ignore[attr-defined,import-not-found,unused-ignore]
from locust.exception import StopUser  # type: ignore[import-not-found,unused-ignore]

from conformance.compare.socketio import ROOM
from conformance.compare.tally import key_of, payload
from conformance.wire.eio import EioDecodeError, Packet, PacketType, decode_ws, resource_for
from conformance.wire.httpread import ResponseReader
from conformance.wire.sio import Reassembler, SioDecodeError, SioPacket, SioType
from conformance.wire.sse import StreamParser
from conformance.wire.wsconn import WsClientConnection
from conformance.wire.wsframes import Op
from conformance.wire.wshandshake import build_request, new_key, upgrade_problems
from conformance.wire.wsrecv import Message

__all__ = ["PollUser", "PublisherUser", "SioUser", "SseUser", "WsUser"]

#: Seconds a read may block.
READ_TIMEOUT = 30.0
_ORIGIN = uuid.uuid4().hex[:8]


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator,unused-ignore]
def _options(parser: Any) -> None:
    parser.add_argument("--cmp-ws-url", default="", help="WebSocket echo URL (WsUser)")
    parser.add_argument("--cmp-sse-url", default="", help="event-stream URL (SseUser)")
    parser.add_argument("--cmp-poll-url", default="", help="long-poll URL (PollUser)")
    parser.add_argument("--cmp-sio-url", default="",
                        help="Socket.IO URL, e.g. http://host:port/socket.io/ (SioUser, PublisherUser)")
    parser.add_argument("--cmp-publish-url", default="",
                        help="publish URL of PublisherUser; several, comma-separated, each get every message")
    parser.add_argument("--cmp-rate", type=float, default=20.0, help="messages per second per publisher")
    parser.add_argument("--cmp-size", type=int, default=256, help="bytes per message")


def _address(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise StopUser()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, parts.port or 80, path


class _Sequences:
    """Per origin, the last sequence number seen: gaps are lost messages, repeats duplicates."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def check(self, key: str) -> tuple[int, int, float | None]:
        """(lost, duplicated, latency ms) for one received key ``origin:seq:ns``."""
        try:
            origin, seq_text, ns = key.split(":")
            seq, sent = int(seq_text), int(ns)
        except ValueError:
            return 0, 0, None
        latency = (time.time_ns() - sent) / 1e6
        last = self.last.get(origin)
        if last is not None and seq <= last:
            return 0, 1, latency
        self.last[origin] = seq
        return (seq - last - 1 if last is not None else 0), 0, latency


class _Base(User):  # type: ignore[misc,unused-ignore]
    abstract = True

    def _fire(self, kind: str, name: str, ms: float, size: int, exc: Exception | None = None) -> None:
        self.environment.events.request.fire(request_type=kind, name=name, response_time=ms,
                                             response_length=size, exception=exc, context={})

    def _report(self, kind: str, seqs: _Sequences, data: str, size: int) -> None:
        lost, dup, ms = seqs.check(key_of(data))
        if ms is None:
            return
        self._fire(kind, "message", ms, size)
        for _ in range(lost):
            self._fire(kind, "lost", 0, 0, Exception("message lost"))
        if dup:
            self._fire(kind, "duplicate", 0, 0, Exception("message duplicated"))

    def _options(self) -> Any:
        return self.environment.parsed_options


class WsUser(_Base):
    """A WebSocket client of an echo server: one message per period, its round trip."""

    wait_time = between(0, 0)

    def on_start(self) -> None:
        opts = self._options()
        self.period = 1.0 / opts.cmp_rate
        host, port, path = _address(opts.cmp_ws_url)
        self.sock = socket.create_connection((host, port), timeout=READ_TIMEOUT)
        self.conn = WsClientConnection(max_events=1_000_000)
        key = new_key()
        self.conn.connection_made(f"{host}:{port}")
        self.conn.send_request()
        self.sock.sendall(build_request(path, f"{host}:{port}", key))
        while self.conn.response is None and not self.conn.tcp_closed:
            self._read()
        problems = upgrade_problems(self.conn.response, key) if self.conn.response else ["no response"]
        if problems:
            self._fire("WS", "handshake", 0, 0, Exception("; ".join(problems)))
            raise StopUser()
        self.seq = 0

    def _read(self) -> int:
        data = self.sock.recv(65536)
        if not data:
            self.conn.receive_eof()
            return 0
        self.conn.receive_data(data)
        for reply in self.conn.data_to_send():
            self.sock.sendall(reply)
        return len(data)

    @task  # type: ignore[untyped-decorator,unused-ignore]
    def echo(self) -> None:
        start = time.monotonic()
        self.seq += 1
        key = f"{_ORIGIN}/{id(self)}/{self.seq}"
        message = payload(key, self._options().cmp_size)
        for frame in self.conn.message_frames(Op.TEXT, message, compress=False):
            self.sock.sendall(frame)
        size = 0
        while self.conn.is_open:
            got = [e for e in self.conn.take_events() if isinstance(e, Message)]
            if any(key_of(m.data) == key for m in got):
                self._fire("WS", "echo", (time.monotonic() - start) * 1000, size)
                break
            size += self._read()
        else:
            self._fire("WS", "echo", 0, 0, Exception("connection closed"))
            raise StopUser()
        time.sleep(max(0.0, self.period - (time.monotonic() - start)))

    def on_stop(self) -> None:
        self.sock.close()


class SseUser(_Base):
    """One event stream; each task call reads it until it ends, the next one resumes."""

    wait_time = between(0.25, 0.25)  # the reconnection delay

    def on_start(self) -> None:
        self.last_id = ""
        self.seqs = _Sequences()

    @task  # type: ignore[untyped-decorator,unused-ignore]
    def stream(self) -> None:
        host, port, path = _address(self._options().cmp_sse_url)
        resume = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
        reader = ResponseReader(max_body=0)
        parser = StreamParser(max_events=2**62, max_kept_data=2**62)
        with socket.create_connection((host, port), timeout=READ_TIMEOUT) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
                         f"{resume}\r\n".encode())
            while not reader.done:
                data = sock.recv(65536)
                if not data:
                    reader.receive_eof()
                    break
                body = reader.receive_data(data, time.monotonic())
                for event in parser.feed(body):
                    self._report("SSE", self.seqs, event.data, len(event.data))
                parser.events.clear()
                self.last_id = parser.last_event_id


class PollUser(_Base):
    """Long polls with a cursor, one after another on one keep-alive connection (a new one only when the
    server closes it or it breaks), as a browser's ``fetch`` loop does."""

    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.cursor: str | None = None
        self.seqs = _Sequences()
        self.sock: socket.socket | None = None

    def on_stop(self) -> None:
        self._drop()

    def _drop(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    @task  # type: ignore[untyped-decorator,unused-ignore]
    def poll(self) -> None:
        host, port, path = _address(self._options().cmp_poll_url)
        query = "" if self.cursor is None else f"cursor={self.cursor}"
        target = f"{path}{'&' if '?' in path else '?'}{query}" if query else path
        reader = ResponseReader()
        try:
            if self.sock is None:
                start = time.monotonic()
                self.sock = socket.create_connection((host, port), timeout=READ_TIMEOUT)
                self._fire("POLL", "connect", (time.monotonic() - start) * 1000, 0)
            self.sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            while not reader.done:
                data = self.sock.recv(65536)
                if not data:
                    reader.receive_eof()
                    break
                reader.receive_data(data, time.monotonic())
        except OSError as exc:
            self._drop()
            self._fire("POLL", "poll", 0, 0, exc)
            time.sleep(0.25)
            return
        response = reader.response
        if reader.eof or response is None or "close" in response.tokens("connection"):
            self._drop()  # the server ends the connection after this answer: the next poll opens one
        if response is None or response.status != 200 or not reader.done:
            self._fire("POLL", "poll", 0, 0, Exception(reader.head_error or "poll refused or cut"))
            time.sleep(0.25)
            return
        answer = json.loads(bytes(reader.body))
        self.cursor = str(answer["cursor"])
        for message in answer["messages"]:
            self._report("POLL", self.seqs, message["data"], len(message["data"]))


class _SioSocket:
    """A Socket.IO client on one WebSocket (Engine.IO directly on WebSocket, as the README allows),
    connected to ``/``: it answers the server's pings and hands out the other Socket.IO packets.

    Raises:
        ConnectionError: the handshake, the open packet or the namespace CONNECT failed (says why).
    """

    def __init__(self, url: str) -> None:
        host, port, path = _address(url)
        self.sock = socket.create_connection((host, port), timeout=READ_TIMEOUT)
        self.conn = WsClientConnection(max_events=1_000_000, max_message=1 << 22)
        self.reassembler = Reassembler()
        self.pending: list[SioPacket] = []
        key = new_key()
        self.conn.connection_made(f"{host}:{port}")
        self.conn.send_request()
        self.sock.sendall(build_request(resource_for(path, transport="websocket"), f"{host}:{port}", key))
        while self.conn.response is None and not self.conn.tcp_closed:
            self._read()
        problems = upgrade_problems(self.conn.response, key) if self.conn.response else ["no response"]
        if problems:
            raise ConnectionError("; ".join(problems))
        self.send("40")
        if self.next(lambda p: p.type in (SioType.CONNECT, SioType.CONNECT_ERROR)).type != SioType.CONNECT:
            raise ConnectionError("the namespace / refused the connection")

    def send(self, text: str) -> None:
        for frame in self.conn.message_frames(Op.TEXT, text.encode(), compress=False):
            self.sock.sendall(frame)

    def _read(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            self.conn.receive_eof()
            raise ConnectionError("the server closed the connection")
        self.conn.receive_data(data)
        for reply in self.conn.data_to_send():
            self.sock.sendall(reply)
        for event in self.conn.take_events():
            if isinstance(event, Message):
                self._packet(decode_ws(event.data, event.binary))

    def _packet(self, packet: Packet) -> None:
        if packet.type is PacketType.PING:
            self.send("3" + str(packet.data))
        elif packet.type is PacketType.CLOSE:
            raise ConnectionError("the server closed the Engine.IO session")
        elif packet.type is PacketType.MESSAGE:
            sio = self.reassembler.feed(packet)
            if sio is not None and sio.nsp == "/":
                self.pending.append(sio)

    def next(self, wanted: Any) -> SioPacket:
        """The next packet for which ``wanted(packet)`` is true (the others are dropped); raises
        ``TimeoutError`` when none comes within the socket's timeout."""
        while True:
            while self.pending:
                packet = self.pending.pop(0)
                if wanted(packet):
                    return packet
            self._read()

    def close(self) -> None:
        self.sock.close()


class SioUser(_Base):
    """A Socket.IO subscriber in the room ``rtconform-compare``; each task call reads for up to 1 s."""

    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.seqs = _Sequences()
        try:
            self.sio = _SioSocket(self._options().cmp_sio_url)
            self.sio.send(f'421["join",{json.dumps(ROOM)}]')
            self.sio.next(lambda p: p.type is SioType.ACK and p.id == 1)
        except (OSError, EioDecodeError, SioDecodeError) as exc:
            self._fire("SIO", "connect", 0, 0, exc)
            raise StopUser() from None
        self.sio.sock.settimeout(1.0)

    @task  # type: ignore[untyped-decorator,unused-ignore]
    def listen(self) -> None:
        try:
            while True:
                packet = self.sio.next(lambda p: p.type is SioType.EVENT and isinstance(p.data, list))
                args = packet.data[1:] if packet.data[:1] == ["broadcast-back"] else []
                if args and isinstance(args[0], str):
                    self._report("SIO", self.seqs, args[0], len(args[0]))
        except TimeoutError:  # (socket.timeout)
            return  # a second without news: give Locust its turn
        except (OSError, EioDecodeError, SioDecodeError) as exc:
            self._fire("SIO", "connection", 0, 0, exc)
            raise StopUser() from None

    def on_stop(self) -> None:
        if hasattr(self, "sio"):
            self.sio.close()


class PublisherUser(_Base):
    """``POST``s each message to every publish URL at the rate; one in the whole run (``fixed_count``)."""

    fixed_count = 1

    def wait_time(self) -> float:
        return float(constant_pacing(1.0 / self._options().cmp_rate)(self))

    def on_start(self) -> None:
        self.seq = 0
        self.origin = f"{_ORIGIN}{id(self) % 10_000}"
        self.sio: _SioSocket | None = None

    def on_stop(self) -> None:
        if self.sio is not None:
            self.sio.close()

    @task  # type: ignore[untyped-decorator,unused-ignore]
    def publish(self) -> None:
        self.seq += 1
        body = payload(f"{self.origin}:{self.seq}:{time.time_ns()}", self._options().cmp_size)
        for url in filter(None, self._options().cmp_publish_url.split(",")):
            self._post(url.strip(), body)
        if self._options().cmp_sio_url:
            self._emit(body.decode("ascii"))

    def _emit(self, text: str) -> None:
        """``broadcast`` ``[ROOM, text]`` with ack id ``seq``; its response time is the ack's."""
        start = time.monotonic()
        try:
            if self.sio is None:
                self.sio = _SioSocket(self._options().cmp_sio_url)
            self.sio.send(f"42{self.seq}" + json.dumps(["broadcast", ROOM, text], separators=(",", ":")))
            self.sio.next(lambda p: p.type is SioType.ACK and p.id == self.seq)
        except (OSError, EioDecodeError, SioDecodeError) as exc:
            if self.sio is not None:
                self.sio.close()
            self.sio = None
            self._fire("PUBLISH", "sio broadcast", 0, 0, exc)
            return
        self._fire("PUBLISH", "sio broadcast", (time.monotonic() - start) * 1000, len(text))

    def _post(self, url: str, body: bytes) -> None:
        host, port, path = _address(url)
        start = time.monotonic()
        reader = ResponseReader()
        with socket.create_connection((host, port), timeout=READ_TIMEOUT) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            while not reader.done:
                data = sock.recv(65536)
                if not data:
                    reader.receive_eof()
                    break
                reader.receive_data(data, time.monotonic())
        ok = reader.response is not None and 200 <= reader.response.status < 300
        self._fire("PUBLISH", "publish", (time.monotonic() - start) * 1000, len(body),
                   None if ok else Exception("publish refused"))
