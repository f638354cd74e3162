"""Target kinds from plugins, and resource sampling around any target.

Third parties add a target kind without touching the runner: a distribution declares an entry point in
the group ``rtconform.targets`` whose name is the kind and whose object is a factory taking a
:class:`~conformance.targets.base.TargetSpec` (usually the target class)::

    [project.entry-points."rtconform.targets"]
    k8s = "rtconform_k8s:PodTarget"

``rtconform run --target-kind k8s --target-param namespace=ci`` then builds it; the factory reads
``spec.params``. Built-in kinds win over plugins of the same name. A plugin is imported only when its
kind is used, so a broken plugin cannot break the other kinds.

:func:`sampled` wraps a target so that its memory and CPU use is sampled from start to stop (see
:mod:`conformance.resources`) when the target offers a probe: a ``resource_probe()`` method (plugins,
Docker), or the local processes it started (``--cmd``, the embedded reference servers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points

from conformance.resources import Probe, ProcProbe, Sampler
from conformance.results import TargetInfo
from conformance.targets.base import TARGET_KINDS, Target, TargetError, TargetSpec, register_kind
from conformance.targets.process import ManagedProcess
from conformance.wire.endpoint import Endpoint

__all__ = ["ENTRY_POINT_GROUP", "SampledTarget", "load_kinds", "probe_for", "sampled"]

ENTRY_POINT_GROUP = "rtconform.targets"


def _lazy(ep: EntryPoint) -> Callable[[TargetSpec], Target]:
    def factory(spec: TargetSpec) -> Target:
        try:
            loaded = ep.load()
        except Exception as exc:
            raise TargetError(f"target kind {ep.name!r} could not be loaded from {ep.value!r}: "
                              f"{type(exc).__name__}: {exc}") from None
        target: Target = loaded(spec)
        return target

    return factory


def load_kinds() -> None:
    """Register the built-in kinds, then every plugin kind whose name is not taken."""
    from conformance.targets import docker, process, url  # noqa: F401  (they register themselves)

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in TARGET_KINDS:
            register_kind(ep.name, _lazy(ep))


def probe_for(target: Target) -> tuple[Probe, str, str] | None:
    """The target's probe with its source name and what it measures, or None if it has none."""
    offer = getattr(target, "resource_probe", None)
    if callable(offer):
        probe: tuple[Probe, str, str] | None = offer()
        return probe
    processes = _started_processes(target)
    if processes:
        what = "rss and user+system cpu of the started processes and their sessions (/proc)"
        return ProcProbe(*(p.proc.pid for p in processes if p.proc is not None)), "proc", what
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

    async def start(self) -> Endpoint:
        """Start the inner target, then sampling (if it has a probe)."""
        endpoint = await self.inner.start()
        found = probe_for(self.inner)
        if found is not None:
            self.sampler = Sampler(*found)
            self.sampler.start()
        return endpoint

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
