"""Suites: how to build a case's context from a target, one per spec key ("ws", later "sse", "eio", "sio").

The runner is protocol-neutral: for each case it looks up ``SUITES[case.spec]`` and enters the
context manager returned by :meth:`Suite.context`, passing the value it yields to the case body. A new
protocol plugs in with :func:`register_suite`; the runner does not change.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from conformance.model import Case
from conformance.wire.endpoint import Endpoint
from conformance.wire.transcript import Transcript
from conformance.wire.ws import WsClient

__all__ = ["SUITES", "SUITE_INFO", "CaseEnv", "Suite", "SuiteInfo", "WsSuite", "infer_suites",
           "register_suite"]


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
        client = WsClient(env.endpoint.for_suite(case.spec), deadline=env.deadline, transcript=env.transcript,
                          close_timeout=env.close_timeout)
        try:
            yield client
        finally:
            client.release()


@dataclass(frozen=True, slots=True)
class SuiteInfo:
    """How the engine finds a suite's targets (all optional; the runner itself never needs it).

    Attributes:
        schemes: URL schemes of targets this suite tests (``--target`` picks suites by scheme).
        probe: when several suites share a scheme, ``await probe(endpoint)`` says whether the URL is one
            of this suite's targets (used unless ``--suite`` is given).
        reference: argv after ``python -m reference.servers`` that starts this suite's embedded reference
            server (``--host``/``--port`` are added), or () for none.
        reference_profile: the profile (``--profile``) the embedded reference server promises.
    """

    schemes: frozenset[str]
    probe: Callable[[Endpoint], Awaitable[bool]] | None = None
    reference: tuple[str, ...] = ()
    reference_profile: tuple[tuple[str, str], ...] = ()


SUITES: dict[str, Suite] = {"ws": WsSuite()}
SUITE_INFO: dict[str, SuiteInfo] = {"ws": SuiteInfo(frozenset({"ws", "wss"}), reference=("ws",))}


def register_suite(spec: str, suite: Suite, info: SuiteInfo | None = None) -> None:
    """Make cases whose ``spec`` is ``spec`` run with ``suite``; ``info`` tells the engine its targets.

    Raises:
        ValueError: ``spec`` already has a suite.
    """
    if spec in SUITES:
        raise ValueError(f"a suite for spec {spec!r} is already registered")
    SUITES[spec] = suite
    if info is not None:
        SUITE_INFO[spec] = info


async def infer_suites(endpoint: Endpoint) -> list[str]:
    """The suites whose targets ``endpoint`` looks like: by URL scheme, then by probe when several match.

    A probe raises OSError when it cannot reach the target; then every candidate is returned.
    """
    candidates = [spec for spec, info in SUITE_INFO.items() if endpoint.scheme in info.schemes]
    if len(candidates) <= 1:
        return candidates
    for spec in candidates:
        probe = SUITE_INFO[spec].probe
        try:
            if probe is not None and await probe(endpoint):
                return [spec]
        except OSError:  # unreachable: the target itself will say so (exit 3), not the inference
            return candidates
    return []
