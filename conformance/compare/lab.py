"""A whole comparison: each protocol's server (the embedded reference server unless a URL is given), one
run after another (so one server's CPU is not another's), and the versioned compare.json document.

The embedded reference servers are started through their command line
(:class:`~conformance.targets.process.ReferenceTarget`, as ``rtconform run`` starts them), never imported.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import platform
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.app import tool_version
from conformance.compare.findings import findings
from conformance.compare.impairment import Impairment
from conformance.compare.runner import run_protocol
from conformance.compare.workload import Server, Workload
from conformance.targets.process import ReferenceTarget

__all__ = ["REFERENCE_ARGS", "SCHEMA", "Plan", "run_compare", "run_compare_sync"]

#: The document's schema id; the number changes when a field changes meaning or goes away.
SCHEMA = "rtconform-compare/1"
#: The embedded reference server of each protocol (arguments of ``python -m reference.servers``); the
#: Socket.IO one with connection state recovery on, as a Socket.IO 4.6+ deployment that wants no loss
#: across reconnections runs it.
REFERENCE_ARGS = {"ws": ["ws"], "sse": ["sse"], "poll": ["poll"],
                  "sio": ["sio", "--recovery-window", "30"]}


@dataclass(frozen=True)
class Plan:
    """What to compare.

    Attributes:
        protocols: the protocols, in report order.
        urls: protocol -> the user's server URL; a protocol without one gets its reference server.
        publish_urls: protocol -> where to publish (default ``/publish`` on the URL's origin).
        pids: protocol -> a user's server process id to measure (its CPU and RSS).
        workload, impairment, seed: the run's settings.
    """

    protocols: Sequence[str]
    workload: Workload
    impairment: Impairment
    urls: Mapping[str, str] = field(default_factory=dict)
    publish_urls: Mapping[str, str] = field(default_factory=dict)
    pids: Mapping[str, int] = field(default_factory=dict)
    seed: int = 1


def _publish_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/publish", "", ""))


def _machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": sys.platform,
            "load_average": [round(x, 2) for x in load] if load else None}


async def _one(plan: Plan, protocol: str) -> dict[str, Any]:
    """Start the protocol's server if needed, run it, stop the server."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    target: ReferenceTarget | None = None
    url = plan.urls.get(protocol)
    pid = plan.pids.get(protocol)
    if url is None:
        target = ReferenceTarget(REFERENCE_ARGS[protocol])
        await target.start()
        assert target.url is not None
        assert target.process.proc is not None
        url, pid = target.url, target.process.proc.pid
    publish = "" if protocol == "ws" else url if protocol == "sio" else \
        plan.publish_urls.get(protocol) or _publish_url(url)
    try:
        result = await run_protocol(Server(protocol, url, publish, pid), plan.workload, plan.impairment,
                                    seed=plan.seed)
    finally:
        if target is not None:
            await target.stop()
    result["server_kind"] = "reference" if target is not None else "user"
    result["seconds"] = round(loop.time() - began, 2)  # with the server's start and stop
    return result


async def run_compare(plan: Plan, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the plan; the compare.json document.

    Raises:
        TargetError: a reference server did not start.
    """
    started = datetime.datetime.now(datetime.timezone.utc)
    protocols: dict[str, dict[str, Any]] = {}
    for protocol in plan.protocols:
        if progress is not None:
            progress(f"{protocol}: running")
        protocols[protocol] = await _one(plan, protocol)
        if progress is not None:
            r = protocols[protocol]
            progress(f"{protocol}: {r['status']}, p50 {r['latency_ms']['p50']} ms, "
                     f"{r['messages']['delivered']}/{r['messages']['expected']} delivered")
    return {
        "schema": SCHEMA,
        "tool_version": tool_version(),
        "created": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 2),
        "machine": _machine(),
        "workload": plan.workload.to_json(),
        "network": {**plan.impairment.to_json(), "description": plan.impairment.describe()},
        "protocols": protocols,
        "findings": findings(protocols),
    }


def run_compare_sync(plan: Plan, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """:func:`run_compare` in a new event loop."""
    return asyncio.run(run_compare(plan, progress))
