"""Deliberately broken long-polling servers: subclasses of the reference server, one bug each."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from reference.core.sse.history import StoredEvent, parse_id
from reference.servers.http_server import HttpConnection, Request, cors_headers
from reference.servers.poll import PollServer, PollSettings
from reference.servers.pubsub import Publish


class _Rewrite(PollServer):
    """Rewrites a poll request before the reference serves it."""

    def rewrite(self, request: Request) -> Request:
        return request

    async def _poll(self, conn: HttpConnection, request: Request) -> bool:
        return await super()._poll(conn, self.rewrite(request))


class NoHold(PollServer):  # answers at once, empty
    async def _hold(self, conn: HttpConnection, client: str | None) -> bool | None:
        return True


class TextAnswer(PollServer):
    async def _poll(self, conn: HttpConnection, request: Request) -> bool:
        await conn.respond(200, [], b"no json here\n")
        return True


class CursorZeroOnTimeout(PollServer):
    async def _poll(self, conn: HttpConnection, request: Request) -> bool:
        cursor = parse_id(request.query.get("cursor", "")) or 0
        if not self.hub.history.after(cursor):
            await self._hold(conn, None)
            if not self.hub.history.after(cursor):
                await conn.respond(200, [], b'{"cursor": 0, "messages": []}', content_type="application/json")
                return True
        return await super()._poll(conn, request)


class TimeoutIs408(PollServer):
    async def _poll(self, conn: HttpConnection, request: Request) -> bool:
        cursor = parse_id(request.query.get("cursor", "")) or 0
        if not self.hub.history.after(cursor):
            await self._hold(conn, None)
            if not self.hub.history.after(cursor):
                await conn.respond(408, [], b"timeout\n")
                return True
        return await super()._poll(conn, request)


class LatestOnly(_Rewrite):  # answers only the newest message, dropping older ones
    def rewrite(self, request: Request) -> Request:
        cursor = parse_id(request.query.get("cursor", "0")) or 0
        newest = self.hub.history.last_seq
        query = {**request.query, "cursor": str(max(cursor, newest - 1))}
        return Request(request.method, request.path, query, request.headers, request.body)


class ForgetsWhileAway(PollServer):  # only messages published while a poll is held reach anyone
    async def _poll(self, conn: HttpConnection, request: Request) -> bool:
        newest = self.hub.history.last_seq
        query = {**request.query, "cursor": str(newest)}
        return await super()._poll(conn, Request(request.method, request.path, query, request.headers, b""))


class StrictQuery(PollServer):  # refuses unknown parameters
    async def _poll(self, conn: HttpConnection, request: Request) -> bool:
        if set(request.query) - {"cursor", "client"}:
            await conn.respond(400, cors_headers(request), b"unknown parameter\n")
            return True
        return await super()._poll(conn, request)


class NoCacheControl(PollServer):
    async def _poll(self, conn: HttpConnection, request: Request) -> bool:
        respond = conn.respond

        async def without(status: int, headers: list[tuple[str, str]], body: bytes = b"",
                          content_type: str = "text/plain") -> None:
            await respond(status, [h for h in headers if h[0] != "Cache-Control"], body, content_type)

        conn.respond = without  # type: ignore[method-assign]
        return await super()._poll(conn, request)


class Serialized(PollServer):  # one request at a time, server-wide
    lock: asyncio.Lock | None = None

    async def _handle(self, conn: HttpConnection) -> None:
        self.lock = self.lock or asyncio.Lock()
        async with self.lock:
            await super()._handle(conn)


class IgnoresClient(_Rewrite):
    def rewrite(self, request: Request) -> Request:
        query = {k: v for k, v in request.query.items() if k != "client"}
        return Request(request.method, request.path, query, request.headers, request.body)


class OneRead(PollServer):
    async def _handle(self, conn: HttpConnection) -> None:
        first = await conn.reader.read(65536)
        if b"\r\n\r\n" not in first:
            await conn.respond(400, [("Connection", "close")], b"incomplete request\n")
            return
        conn._h11.receive_data(first)
        await super()._handle(conn)


class LaxCursor(_Rewrite):  # a malformed cursor counts as 0
    def rewrite(self, request: Request) -> Request:
        if parse_id(request.query.get("cursor", "0")) is None:
            request = Request(request.method, request.path, {**request.query, "cursor": "0"},
                              request.headers, request.body)
        return request


class WakesOne(PollServer):  # notify() instead of notify_all(): one held poll learns of the message
    def __init__(self, settings: PollSettings) -> None:
        super().__init__(settings)
        hub = self.hub
        publish = hub.publish

        async def publish_waking_one(message: Publish) -> StoredEvent:
            waiters, hub.waiters = hub.waiters, set(list(hub.waiters)[:1])
            try:
                return await publish(message)
            finally:
                hub.waiters = waiters

        hub.publish = publish_waking_one  # type: ignore[method-assign]


class Unbounded(PollServer):
    def __init__(self, settings: PollSettings | None = None) -> None:
        super().__init__(replace(settings or PollSettings(), max_publish_size=1 << 30))


class QueuesHeldPolls(PollServer):  # past max_held_polls a poll waits for a place instead of an answer
    def __init__(self, settings: PollSettings) -> None:
        self.limit = settings.max_held_polls
        super().__init__(replace(settings, max_held_polls=1 << 30))  # the reference refusal never fires
        self.places: asyncio.Semaphore | None = None

    async def _hold(self, conn: HttpConnection, client: str | None) -> bool | None:
        self.places = self.places or asyncio.Semaphore(self.limit)
        async with self.places:
            return await super()._hold(conn, client)


class LeaksVanishedSlot(PollServer):  # a held poll whose client left keeps its place forever
    async def _hold(self, conn: HttpConnection, client: str | None) -> bool | None:
        try:
            result = await super()._hold(conn, client)
        except OSError:  # the peer reset the connection: its place is never given back
            self.holding.add(asyncio.Event())
            raise
        if result is None:  # the peer closed it: the same
            self.holding.add(asyncio.Event())
        return result


class HoldsForever(PollServer):  # no hold timeout: a poll is held until news, or until its client leaves
    def __init__(self, settings: PollSettings) -> None:
        super().__init__(replace(settings, hold_timeout=3600.0))
