"""Targets: what the cases run against. A target starts (or just checks) a server and gives an Endpoint.

Kinds are pluggable: :data:`TARGET_KINDS` maps a kind name to a factory taking :class:`TargetSpec`.
"""

from __future__ import annotations

from conformance.targets.base import TARGET_KINDS, Target, TargetError, TargetSpec, make_target, register_kind

__all__ = ["TARGET_KINDS", "Target", "TargetError", "TargetSpec", "make_target", "register_kind"]
