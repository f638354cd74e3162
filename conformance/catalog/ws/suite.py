"""What a WebSocket case receives: an unconnected :class:`~conformance.wire.ws.WsClient`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from conformance.model import Case
from conformance.suites import CaseEnv
from conformance.wire.ws import WsClient

__all__ = ["ws_context"]


@contextlib.asynccontextmanager
async def ws_context(case: Case, env: CaseEnv) -> AsyncIterator[WsClient]:
    """Yield a client on the case's endpoint, bound to its deadline and transcript; always release its
    connection and what it received afterwards."""
    client = WsClient(env.endpoint, deadline=env.deadline, transcript=env.transcript,
                      close_timeout=env.close_timeout)
    try:
        yield client
    finally:
        client.release()
        client.forget()
