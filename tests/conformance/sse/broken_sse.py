"""Deliberately broken SSE servers: each subclass of the reference server breaks one thing, so a test can
show which catalog cases go red. The reference server itself has no lax flags; the bugs live here."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from dataclasses import replace
from typing import Any

import h11

from reference.core.sse.encoder import encode_event
from reference.core.sse.history import StoredEvent
from reference.servers.http_server import HttpConnection, Request, _SlotStreamProtocol
from reference.servers.listener import Slot
from reference.servers.pubsub import Hub, Publish
from reference.servers.sse import SseServer, SseSettings


def _lines(event: StoredEvent, data_lines: list[str], *, space: str = " ", id_: bool = True) -> bytes:
    out = [f"event:{space}{event.event}"] if event.event else []
    out += [f"id:{space}{event.id}"] if id_ else []
    out += [f"data:{space}{line}" for line in data_lines]
    return ("\n".join(out) + "\n\n").encode()


class WrongContentType(SseServer):
    def stream_headers(self, request: Request) -> list[tuple[str, str]]:
        return [("Content-Type", "text/plain"), ("Cache-Control", "no-store")]


class NoCacheControl(SseServer):
    def stream_headers(self, request: Request) -> list[tuple[str, str]]:
        return [h for h in super().stream_headers(request) if h[0] != "Cache-Control"]


class ContentLength(SseServer):
    def stream_headers(self, request: Request) -> list[tuple[str, str]]:
        return [*super().stream_headers(request), ("Content-Length", "100000000")]


class Buffered(SseServer):  # an output buffer flushed on a timer: every event goes out 1.3 s late
    async def _live(self, conn: HttpConnection, sub: Any, *, direct: bool) -> None:
        # every live event through the stream task's _send, where the buffer is (the publisher would
        # otherwise write to the socket itself)
        await super()._live(conn, sub, direct=False)

    async def _send(self, conn: HttpConnection, data: bytes) -> bool:
        if b"data:" not in data:
            return await super()._send(conn, data)
        # Late by the same 1.3 s however many events came before it (a flush timer, not a queue of sleeps).
        asyncio.get_running_loop().call_later(1.3, self._flush, conn, data)
        return True

    @staticmethod
    def _flush(conn: HttpConnection, data: bytes) -> None:
        with contextlib.suppress(h11.LocalProtocolError, OSError, RuntimeError):  # the stream ended
            conn.write(data)


class NoSpace(SseServer):  # writes "data:" + value: a value starting with a space loses it
    def encode(self, event: StoredEvent) -> bytes:
        return _lines(event, re.split(r"\r\n|\r|\n", event.data), space="")


class EscapeCr(SseServer):  # "escapes control characters": CR becomes the two characters \\r
    def encode(self, event: StoredEvent) -> bytes:
        return encode_event(event.data.replace("\r", "\\r"), event=event.event, id=event.id)


class LfOnlySplit(SseServer):  # splits on LF only: CR stays raw and ends the line early
    def encode(self, event: StoredEvent) -> bytes:
        return _lines(event, event.data.split("\n"))


class NoSplit(SseServer):  # writes the payload raw after "data: "
    def encode(self, event: StoredEvent) -> bytes:
        return _lines(event, [event.data])


class Latin1(SseServer):
    def encode(self, event: StoredEvent) -> bytes:
        return super().encode(event).decode().encode("latin-1", "replace")


class StripBom(SseServer):
    def encode(self, event: StoredEvent) -> bytes:
        return encode_event(event.data.replace("\ufeff", ""), event=event.event, id=event.id)


class StripNul(SseServer):
    def encode(self, event: StoredEvent) -> bytes:
        return encode_event(event.data.replace("\0", ""), event=event.event, id=event.id)


class Truncate(SseServer):
    def encode(self, event: StoredEvent) -> bytes:
        return encode_event(event.data[:60000], event=event.event, id=event.id)


class SkipEmpty(SseServer):
    def encode(self, event: StoredEvent) -> bytes:
        return b"" if not event.data else super().encode(event)


class NoBroadcast(SseServer):
    def encode(self, event: StoredEvent) -> bytes:
        return b""


class ColonIsComment(SseServer):  # "lines starting with ':' pass through as comments"
    def encode(self, event: StoredEvent) -> bytes:
        if event.data.startswith(":"):
            return (event.data + "\n\n").encode()
        return super().encode(event)


class BadRetry(SseServer):
    def first_block(self, resume: int) -> bytes:
        return b"retry: 1s\n\n"


class NoType(SseServer):
    def encode(self, event: StoredEvent) -> bytes:
        return encode_event(event.data, id=event.id)


class StickyType(SseServer):  # remembers the last type and reuses it for untyped events
    last: str | None = None

    def encode(self, event: StoredEvent) -> bytes:
        self.last = event.event or self.last
        return encode_event(event.data, event=self.last, id=event.id)


class NoId(SseServer):
    def encode(self, event: StoredEvent) -> bytes:
        return encode_event(event.data, event=event.event)


class IdAfter(SseServer):  # the id in its own block after the event
    def encode(self, event: StoredEvent) -> bytes:
        return encode_event(event.data, event=event.event) + f"id: {event.id}\n\n".encode()


class OffByOne(SseServer):  # replays the Last-Event-ID event too
    async def _stream(self, conn: HttpConnection, request: Request) -> None:
        last = request.header("last-event-id")
        if last and last.isdigit():
            request = Request(request.method, request.path, request.query,
                              {**request.headers, "last-event-id": str(int(last) - 1)}, request.body)
        await super()._stream(conn, request)


class NoReplay(SseServer):  # ignores Last-Event-ID
    async def _stream(self, conn: HttpConnection, request: Request) -> None:
        headers = {k: v for k, v in request.headers.items() if k != "last-event-id"}
        await super()._stream(conn, Request(request.method, request.path, request.query, headers, b""))


class NoResumePoint(SseServer):
    def first_block(self, resume: int) -> bytes:
        return b"retry: 1000\n\n"


class RejectUnknownId(SseServer):
    async def _stream(self, conn: HttpConnection, request: Request) -> None:
        last = request.header("last-event-id")
        if last is not None and not last.isdigit():
            await conn.respond(400, [], b"bad last-event-id\n")
            return
        await super()._stream(conn, request)


class NoHeartbeat(SseServer):
    def heartbeat(self) -> bytes:
        return b""


class MidLineHeartbeat(SseServer):  # a keepalive timer that writes into the middle of a long line
    def encode(self, event: StoredEvent) -> bytes:
        data = super().encode(event)
        mid = len(data) // 2
        return data if len(data) < 1000 else data[:mid] + b"\n:keepalive\n" + data[mid:]


class OneRead(SseServer):  # parses whatever the first read returned
    async def _handle(self, conn: HttpConnection) -> None:
        first = await conn.reader.read(65536)
        if b"\r\n\r\n" not in first:
            await conn.respond(400, [("Connection", "close")], b"incomplete request\n")
            return
        conn._h11.receive_data(first)
        await super()._handle(conn)


class _BlockingHub(Hub):
    async def publish(self, publish: Publish) -> StoredEvent:  # waits for every subscriber's queue
        stored = self.history.append(publish.data, publish.event)
        for sub in list(self.subscribers):
            while sub in self.subscribers and sub.queue.full():  # until it is sent one, or gone
                await asyncio.sleep(0.01)
            if sub in self.subscribers:
                sub.queue.put_nowait(stored)
        return stored


class _SkippingHub(Hub):
    async def publish(self, publish: Publish) -> StoredEvent:
        # a full queue loses the event; the stream goes on
        stored = self.history.append(publish.data, publish.event)
        for sub in list(self.subscribers):
            if sub.queue.qsize() < self.queue_size:
                sub.queue.put_nowait(stored)
        return stored


class _SmallBuffers(SseServer):
    async def _handle(self, conn: HttpConnection) -> None:
        sock = conn.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        await super()._handle(conn)

    async def _live(self, conn: HttpConnection, sub: Any, *, direct: bool) -> None:
        # the stream task sends what these servers' hubs put in its queue, one write and one drain each
        # (the reference's publisher would otherwise write to the socket itself, past the hub's queue)
        await super()._live(conn, sub, direct=False)


#: Events a subscriber's queue holds in the two servers below: more than a reading subscriber falls behind
#: while the other cases publish, fewer than the delivery cases publish to a stalled one (over 20 after the
#: first 32 KiB event its socket cannot take).
QUEUE = 16


class BlockingPublish(_SmallBuffers):
    def __init__(self, settings: SseSettings | None = None) -> None:
        base = settings or SseSettings()
        super().__init__(replace(base, queue_size=QUEUE, send_timeout=30, write_high_water=4096))
        self.hub = _BlockingHub(self.settings.history_size, QUEUE)


class SkipWhenFull(_SmallBuffers):
    def __init__(self, settings: SseSettings | None = None) -> None:
        base = settings or SseSettings()
        super().__init__(replace(base, queue_size=QUEUE, send_timeout=30, write_high_water=4096))
        self.hub = _SkippingHub(self.settings.history_size, QUEUE)


class NoCors(SseServer):
    def stream_headers(self, request: Request) -> list[tuple[str, str]]:
        return [h for h in super().stream_headers(request) if not h[0].startswith("Access-Control")]

    async def preflight(self, conn: HttpConnection, request: Request) -> None:
        await conn.respond(405, [("Allow", "GET, POST")], b"no preflight\n")


class StarOrigin(SseServer):
    def stream_headers(self, request: Request) -> list[tuple[str, str]]:
        kept = [h for h in super().stream_headers(request) if not h[0].startswith("Access-Control")]
        return [*kept, ("Access-Control-Allow-Origin", "*")]


class UnboundedQueue(SseServer):  # holds every event for a subscriber that does not read, for as long
    def __init__(self, settings: SseSettings | None = None) -> None:
        base = settings or SseSettings()
        super().__init__(replace(base, queue_size=1 << 30, queue_bytes=1 << 40, send_timeout=3600.0))


class _LeakyProtocol(_SlotStreamProtocol):
    def connection_lost(self, exc: Exception | None) -> None:
        if exc is None:  # gives its place back on a clean close only; a reset keeps it forever
            super().connection_lost(exc)
        else:
            asyncio.StreamReaderProtocol.connection_lost(self, exc)


class LeaksSlotOnReset(SseServer):  # a 16-connection cap whose places a reset connection never frees
    def __init__(self, settings: SseSettings | None = None) -> None:
        super().__init__(replace(settings or SseSettings(), connection_cap=16))

    def _new_protocol(self, slot: Slot) -> asyncio.BaseProtocol:
        return _LeakyProtocol(asyncio.StreamReader(limit=65536), self._serve, slot)
