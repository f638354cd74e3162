"""Which target a :class:`~conformance.targets.base.TargetSpec` asks for: the built-in kinds, then plugins.

Built-in kinds (``url``, ``command``, ``reference``, ``docker``) are listed here and win over plugin kinds
of the same name (:mod:`conformance.targets.plugins`). Every target is wrapped in resource sampling
(:mod:`conformance.targets.sampling`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from conformance.targets.base import Target, TargetError, TargetSpec
from conformance.targets.docker import DockerTarget
from conformance.targets.plugins import plugin_kind
from conformance.targets.process import CommandTarget, ReferenceSet
from conformance.targets.sampling import sampled
from conformance.targets.url import UrlTarget

__all__ = ["BUILTIN_KINDS", "make_target"]

#: Kind name -> factory, for the kinds that come with rtconform.
BUILTIN_KINDS: Mapping[str, Callable[[TargetSpec], Target]] = {
    "url": UrlTarget, "command": CommandTarget, "reference": ReferenceSet, "docker": DockerTarget,
}


def make_target(spec: TargetSpec) -> Target:
    """The target for ``spec``, sampled.

    Raises:
        TargetError: no built-in or plugin kind is called ``spec.kind``.
    """
    factory = BUILTIN_KINDS.get(spec.kind) or plugin_kind(spec.kind)
    if factory is None:
        raise TargetError(f"unknown target kind {spec.kind!r}")
    return sampled(factory(spec))
