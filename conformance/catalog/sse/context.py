"""What an SSE case receives: the shared HTTP context (:mod:`conformance.catalog.http_context`) plus
subscriptions to the stream URL.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.catalog.http_context import HttpContext
from conformance.model import CaseFailed
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import HttpResponse
from conformance.wire.sse import Subscription

__all__ = ["SseContext", "stream_problem"]


class SseContext(HttpContext):
    """An SSE case's context: subscriptions to the stream URL."""

    async def subscribe(self, headers: Sequence[tuple[str, str]] = (), resource: str | None = None,
                        ready: bool = True, rcvbuf: int | None = None,
                        chop: int | None = None, *, head_timeout: float | None = None,
                        endpoint: Endpoint | None = None) -> Subscription:
        """``GET`` the stream (on ``endpoint``, e.g. through a relay; default the case's); with ``ready``
        fail unless it is 200 ``text/event-stream``; CaseFailed when no head comes within
        ``head_timeout`` (default: until shortly before the deadline)."""
        wanted = [("Accept", "text/event-stream"), ("Cache-Control", "no-cache"), *headers]
        ex = await self.exchange("GET", resource, headers=wanted, rcvbuf=rcvbuf, chop=chop,
                                 head_timeout=head_timeout, endpoint=endpoint)
        sub = Subscription(ex)
        assert ex.response is not None
        if ready:
            problem = stream_problem(ex.response)
            if problem:
                raise CaseFailed(["200 with content-type text/event-stream"], problem)
        return sub


def stream_problem(response: HttpResponse) -> str:
    """Why ``response`` does not open an event stream (§9.2.3), or ""."""
    ctype = (response.header("content-type") or "").split(";", 1)[0].strip().lower()
    if response.status != 200:
        return f"status {response.status} {response.reason}".strip()
    if ctype != "text/event-stream":
        return f"content-type {response.header('content-type')!r}"
    return ""
