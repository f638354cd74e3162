"""Target kinds from plugins.

Third parties add a target kind without touching the runner: a distribution declares an entry point in
the group ``rtconform.targets`` whose name is the kind and whose object is a factory taking a
:class:`~conformance.targets.base.TargetSpec` (usually the target class)::

    [project.entry-points."rtconform.targets"]
    k8s = "rtconform_k8s:PodTarget"

``rtconform run --target-kind k8s --target-param namespace=ci`` then builds it; the factory reads
``spec.params`` (and ``spec.address``, the parsed ``--target``, if any). Its ``start()`` returns an
:class:`~conformance.wire.endpoint.Address` (``parse_address(url, ALL_SCHEMES)``). Built-in kinds win
over plugins of the same name (:mod:`conformance.targets.kinds`). A plugin is imported only when its
kind is used, so a broken plugin cannot break the other kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points

from conformance.targets.base import Target, TargetError, TargetSpec

__all__ = ["ENTRY_POINT_GROUP", "plugin_kind"]

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


def plugin_kind(name: str) -> Callable[[TargetSpec], Target] | None:
    """The factory of the plugin kind ``name`` (loaded on first call), or None if no plugin declares it."""
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return _lazy(ep)
    return None
