"""The reference SSE server in a background thread, instrumented for interop tests: it records the
Last-Event-ID of every stream request and can end (cleanly) or drop (abruptly) every open stream."""

from __future__ import annotations

import asyncio
import threading
import urllib.request
from collections.abc import Coroutine
from typing import Any

from reference.servers.http_server import HttpConnection, Request
from reference.servers.sse import SseServer, SseSettings


class RecordingSse(SseServer):
    """Remembers each stream request's Last-Event-ID (None when absent) and its live connections."""

    def __init__(self, settings: SseSettings) -> None:
        super().__init__(settings)
        self.last_ids: list[str | None] = []
        self.streams: set[HttpConnection] = set()

    async def _stream(self, conn: HttpConnection, request: Request) -> None:
        self.last_ids.append(request.header("last-event-id"))
        self.streams.add(conn)
        try:
            await super()._stream(conn, request)
        finally:
            self.streams.discard(conn)


class SseThread:
    """``with SseThread(retry_ms=300) as s:`` -> ``s.url``, ``s.publish(data)``, ``s.end_streams()``."""

    def __init__(self, **settings: Any) -> None:
        self.server = RecordingSse(SseSettings(**settings))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> SseThread:
        self.thread.start()
        self.call(self.server.start("127.0.0.1", 0))
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.server.shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def origin(self) -> str:
        return self.server.url.rsplit("/", 1)[0]

    def publish(self, data: str) -> str:
        request = urllib.request.Request(self.origin + "/publish", data=data.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read().decode()

    def stream_count(self) -> int:
        return len(self.server.streams)

    def end_streams(self) -> None:
        """A server-side disconnect: every stream's body ends cleanly (the client must reconnect)."""
        async def end() -> None:
            for sub in list(self.server.hub.subscribers):
                sub.end()
        self.call(end())

    def drop_streams(self) -> None:
        """A server-side disconnect: every stream's TCP connection is aborted."""
        async def drop() -> None:
            for conn in list(self.server.streams):
                conn.abort()
        self.call(drop())
