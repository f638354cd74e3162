"""Suites: how to build a case's context from a target, one per spec key ("ws", later "sse", "eio", "sio").

The runner is protocol-neutral: for each case it looks up ``SUITES[case.spec]`` and enters the
context manager returned by :meth:`Suite.context`, passing the value it yields to the case body. A new
protocol plugs in with :func:`register_suite`; the runner does not change.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from conformance.model import Case
from conformance.wire.endpoint import Endpoint
from conformance.wire.transcript import Transcript
from conformance.wire.ws import WsClient

__all__ = ["SUITES", "CaseEnv", "Suite", "WsSuite", "register_suite"]


@dataclass(frozen=True, slots=True)
class CaseEnv:
    """What the runner gives a suite for one case.

    Attributes:
        endpoint: the target's address and the user's connection options.
        deadline: ``loop.time()`` at which the case's time is up.
        transcript: the case's transcript (owned by the runner, so it survives a timeout).
        close_timeout: how long to wait for closing handshakes and TCP closes.
    """

    endpoint: Endpoint
    deadline: float
    transcript: Transcript
    close_timeout: float = 2.0


class Suite(Protocol):
    """Builds the object a case body receives, and cleans it up afterwards."""

    def context(self, case: Case, env: CaseEnv) -> contextlib.AbstractAsyncContextManager[Any]:
        """An async context manager yielding the case's context."""
        ...


class WsSuite:
    """RFC 6455 cases receive an unconnected :class:`~conformance.wire.ws.WsClient`."""

    @contextlib.asynccontextmanager
    async def context(self, case: Case, env: CaseEnv) -> AsyncIterator[WsClient]:
        """Yield a client bound to the case's deadline and transcript; always release its connection."""
        client = WsClient(env.endpoint, deadline=env.deadline, transcript=env.transcript,
                          close_timeout=env.close_timeout)
        try:
            yield client
        finally:
            client.release()


SUITES: dict[str, Suite] = {"ws": WsSuite()}


def register_suite(spec: str, suite: Suite) -> None:
    """Make cases whose ``spec`` is ``spec`` run with ``suite``.

    Raises:
        ValueError: ``spec`` already has a suite.
    """
    if spec in SUITES:
        raise ValueError(f"a suite for spec {spec!r} is already registered")
    SUITES[spec] = suite
