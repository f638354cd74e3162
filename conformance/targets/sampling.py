"""Resource sampling around any target.

:func:`sampled` wraps a target so that its memory and CPU use is sampled from start to stop (see
:mod:`conformance.resources`) when the target offers a probe: a ``resource_probe()`` method (plugins,
Docker), or the local processes it started (``--cmd``, the embedded reference servers: /proc on Linux, psutil
on macOS, :func:`conformance.resources.local_probe`).
"""

from __future__ import annotations

import dataclasses

from conformance.resources import Probe, Sampler, local_probe
from conformance.results import TargetInfo
from conformance.suites import MemoryProbe
from conformance.targets.base import Target
from conformance.targets.process import ManagedProcess
from conformance.wire.endpoint import Address

__all__ = ["SampledTarget", "memory_probe", "probe_for", "sampled"]


def probe_for(target: Target) -> tuple[Probe, str, str] | None:
    """The target's probe with its source name and what it measures, or None if it has none."""
    offer = getattr(target, "resource_probe", None)
    if callable(offer):
        probe: tuple[Probe, str, str] | None = offer()
        return probe
    processes = _started_processes(target)
    if processes:
        return local_probe(*(p.proc.pid for p in processes if p.proc is not None))
    return None


def _started_processes(target: object) -> list[ManagedProcess]:
    """The processes a built-in target started: its ``process``, or those of its ``targets`` (a set of
    embedded reference servers holds ``(protocol, target)`` pairs)."""
    found = []
    process = getattr(target, "process", None)
    if isinstance(process, ManagedProcess) and process.proc is not None:
        found.append(process)
    for item in getattr(target, "targets", None) or ():
        found += _started_processes(item[1] if isinstance(item, tuple) else item)
    return found


class SampledTarget:
    """A target whose resource use is sampled between :meth:`start` and :meth:`stop`."""

    def __init__(self, inner: Target) -> None:
        self.inner = inner
        self.sampler: Sampler | None = None

    async def start(self) -> Address:
        """Start the inner target, then sampling (if it has a probe)."""
        address = await self.inner.start()
        found = probe_for(self.inner)
        if found is not None:
            self.sampler = Sampler(*found)
            self.sampler.start()
        return address

    @property
    def probe(self) -> Probe | None:
        """The probe sampling the target, once started (None when it has none)."""
        return self.sampler.probe if self.sampler is not None else None

    async def stop(self) -> TargetInfo:
        """Stop sampling (last sample first), then the inner target; the samples go into its info."""
        sampler, self.sampler = self.sampler, None
        if sampler is not None:
            try:
                await sampler.stop()
            finally:
                info = await self.inner.stop()
            return dataclasses.replace(info, resources=sampler.usage())
        return await self.inner.stop()


def sampled(target: Target) -> Target:
    """``target`` with resource sampling around it."""
    return SampledTarget(target)


def memory_probe(target: object) -> MemoryProbe | None:
    """A started target's memory reading (bytes now, blocking), for cases that report it; None when its
    resources are not sampled."""
    sampler = getattr(target, "sampler", None)
    if not isinstance(sampler, Sampler):
        return None
    probe = sampler.probe

    def memory() -> int | None:
        value = probe()
        return None if value is None else value[0]

    return memory
