"""A target that is already up at a URL (ws://, wss://, IPv6 literals in brackets)."""

from __future__ import annotations

from conformance.results import TargetInfo
from conformance.targets.base import TargetError, TargetSpec, register_kind, wait_accepting
from conformance.wire.endpoint import Endpoint

__all__ = ["UrlTarget"]


class UrlTarget:
    """Checks that the URL accepts TCP connections; starts and stops nothing."""

    def __init__(self, spec: TargetSpec) -> None:
        if spec.endpoint is None:
            raise TargetError("a url target needs --target")
        self.endpoint = spec.endpoint
        self.timeout = min(spec.start_timeout, 1.0)

    async def start(self) -> Endpoint:
        """Raises :class:`TargetError` if nothing accepts connections there within 1 s."""
        await wait_accepting(self.endpoint, self.timeout)
        return self.endpoint

    async def stop(self) -> TargetInfo:
        """Nothing to stop."""
        return TargetInfo("url", self.endpoint.name, self.endpoint.url)


register_kind("url", UrlTarget)
