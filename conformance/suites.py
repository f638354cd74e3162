"""Suites, protocol-neutral: what a catalog package declares about its protocol, and lookups over them.

Each catalog package exports one :class:`Suite` as ``SUITE`` (``conformance/catalog/<spec>/__init__.py``);
:func:`conformance.registry.suites` collects them from the packages the registry lists. The runner is
protocol-neutral: for each case it enters ``suite.context(case, env)`` of the case's suite and passes the
value it yields to the case body. A new protocol is a new catalog package with its ``SUITE``; neither the
runner nor this module changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from conformance.model import Case
from conformance.resources import MemoryProbe
from conformance.wire.endpoint import Address, ConnectOptions, Endpoint, join
from conformance.wire.transcript import Transcript

__all__ = ["VERDICT_RESERVE", "CaseContext", "CaseEnv", "MemoryProbe", "Probe", "Suite", "find", "for_scheme",
           "infer_suites"]

#: The share of a case's time kept back from every wait for the verdict (:meth:`CaseEnv.wait_deadline`).
VERDICT_RESERVE = 0.1


@dataclass(frozen=True, slots=True)
class CaseEnv:
    """What the runner gives a suite for one case.

    Attributes:
        address: where the target listens (as the target gave it; per-suite addresses included).
        options: the user's connection options (headers, subprotocols, origin, TLS, ``--profile``).
        spec: the case's spec key: which of the target's per-suite addresses the case connects to.
        deadline: ``loop.time()`` at which the case's time is up.
        transcript: the case's transcript (owned by the runner, so it survives a timeout).
        close_timeout: how long to wait for closing handshakes and TCP closes.
        memory: reads the target's memory in bytes now (blocking; None when the target is gone), where the
            runner samples its resources (``conformance.resources``); None where it cannot.
    """

    address: Address
    options: ConnectOptions
    spec: str
    deadline: float
    transcript: Transcript
    close_timeout: float = 2.0
    memory: MemoryProbe | None = None

    def wait_deadline(self, now: float) -> float:
        """When a case's waits give up (``loop.time()``): :data:`VERDICT_RESERVE` of the time left at
        ``now`` (at most 1 s) before :attr:`deadline`, so a case that waited in vain still gives its verdict
        (what it waited for) before the runner's own timeout cuts it off."""
        return self.deadline - min(1.0, VERDICT_RESERVE * max(0.0, self.deadline - now))

    @property
    def endpoint(self) -> Endpoint:
        """The case's endpoint: its suite's address joined with the user's options
        (:func:`conformance.wire.endpoint.join`, which also says how profiles combine)."""
        return join(self.address, self.options, self.spec)


#: Builds the object a case body receives and cleans it up afterwards: ``async with context(case, env)``.
CaseContext = Callable[[Case, CaseEnv], contextlib.AbstractAsyncContextManager[Any]]
#: ``await probe(endpoint)``: whether a URL is one of a suite's targets (raises OSError if unreachable).
Probe = Callable[[Endpoint], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Suite:
    """One protocol's cases: how to run them, which targets they test, and the document they cite.

    Attributes:
        spec: the spec key, the first part of its case ids ("ws", "sse", "poll").
        context: builds each case's context (see :data:`CaseContext`).
        title: the cited document's name as reports show it ("RFC 6455").
        spec_link: the cited document's URL.
        schemes: URL schemes of targets this suite tests (``--target`` picks suites by scheme).
        probe: when several suites share a scheme, says whether a URL is one of this suite's targets
            (used unless ``--suite`` is given).
        reference: argv after ``python -m reference.servers`` that starts this suite's embedded reference
            server (``--host``/``--port`` are added), or () for none.
        reference_profile: the profile that embedded reference server promises (``--profile`` pairs).
        profile_cases: selectors (ids, globs) of the cases above MUST that judge the promises of
            ``reference_profile`` (the connection-lifecycle cases): a run against the embedded reference
            servers runs them without ``--strict`` too. Their level, and so whether they gate the run, is
            unchanged (a STRICT failure gates only with ``--fail-on strict``).
        anchors: section -> fragment, for documents whose fragments are not ``section-<number>`` (the
            WHATWG standard); sections missing from it get no link. Empty: ``#section-<section>``.
    """

    spec: str
    context: CaseContext
    title: str
    spec_link: str
    schemes: frozenset[str]
    probe: Probe | None = None
    reference: tuple[str, ...] = ()
    reference_profile: tuple[tuple[str, str], ...] = ()
    profile_cases: tuple[str, ...] = ()
    anchors: Mapping[str, str] = field(default_factory=dict)

    def section_link(self, section: str) -> str:
        """The URL of ``section`` of the cited document, or "" when it has no known anchor."""
        if self.anchors:
            fragment = self.anchors.get(section, "")
        else:
            fragment = f"section-{quote(section, safe='.-')}" if section else ""
        return f"{self.spec_link}#{fragment}" if fragment else ""


def find(suites: Iterable[Suite], spec: str) -> Suite | None:
    """The suite of ``spec`` among ``suites``, or None."""
    return next((s for s in suites if s.spec == spec), None)


def for_scheme(suites: Iterable[Suite], scheme: str) -> tuple[Suite, ...]:
    """The suites whose targets have URL scheme ``scheme``, in order."""
    return tuple(s for s in suites if scheme in s.schemes)


async def infer_suites(endpoint: Endpoint, suites: Iterable[Suite]) -> tuple[Suite, ...]:
    """The suites whose targets ``endpoint`` looks like: by URL scheme, then by probe when several match.

    A probe raises OSError when it cannot reach the target; then every candidate is returned.
    """
    candidates = for_scheme(suites, endpoint.scheme)
    if len(candidates) <= 1:
        return candidates
    for suite in candidates:
        try:
            if suite.probe is not None and await suite.probe(endpoint):
                return (suite,)
        except OSError:  # unreachable: the target itself will say so (exit 3), not the inference
            return candidates
    return ()
