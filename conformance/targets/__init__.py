"""Targets: what the cases run against. A target starts (or just checks) a server and gives an Address.

``base`` (the protocol and the spec) <- ``url``, ``process``, ``docker``, ``plugins``, ``sampling`` <-
``kinds`` (:func:`make_target`): dependencies flow one way inside the package.
"""

from __future__ import annotations

from conformance.targets.base import Target, TargetError, TargetSpec
from conformance.targets.kinds import BUILTIN_KINDS, make_target

__all__ = ["BUILTIN_KINDS", "Target", "TargetError", "TargetSpec", "make_target"]
