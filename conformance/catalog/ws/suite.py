"""What a WebSocket case receives: an unconnected :class:`CaseClient` (a
:class:`~conformance.wire.ws.WsClient` that also carries the target's memory probe)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from conformance.model import Case
from conformance.resources import MemoryProbe
from conformance.suites import CaseEnv
from conformance.wire.endpoint import Endpoint
from conformance.wire.ws import WsClient

__all__ = ["CaseClient", "ws_context"]


class CaseClient(WsClient):
    """The client a WebSocket case receives: a :class:`WsClient` plus what the runner knows of the target.

    Attributes:
        target_memory: reads the target's memory in bytes (blocking), where the runner samples the target's
            resources (``CaseEnv.memory``); None where it cannot. Cases record it with
            :class:`conformance.resources.Curve`.
    """

    def __init__(self, endpoint: Endpoint, *, target_memory: MemoryProbe | None = None,
                 **options: Any) -> None:
        super().__init__(endpoint, **options)
        self.target_memory = target_memory


@contextlib.asynccontextmanager
async def ws_context(case: Case, env: CaseEnv) -> AsyncIterator[CaseClient]:
    """Yield a client on the case's endpoint, bound to its deadline and transcript; always release its
    connection and what it received afterwards."""
    client = CaseClient(env.endpoint, deadline=env.deadline, transcript=env.transcript,
                        close_timeout=env.close_timeout, target_memory=env.memory)
    try:
        yield client
    finally:
        client.release()
        client.forget()
