"""A target that is already up at a URL (ws://, wss://, http://, https://; IPv6 literals in brackets)."""

from __future__ import annotations

from conformance.results import TargetInfo
from conformance.targets.base import TargetError, TargetSpec, wait_accepting
from conformance.wire.endpoint import Address

__all__ = ["UrlTarget"]


class UrlTarget:
    """Checks that the URL accepts TCP connections; starts and stops nothing."""

    def __init__(self, spec: TargetSpec) -> None:
        if spec.address is None:
            raise TargetError("a url target needs --target")
        self.address = spec.address
        self.timeout = min(spec.start_timeout, 1.0)

    async def start(self) -> Address:
        """Raises :class:`TargetError` if nothing accepts connections there within 1 s."""
        await wait_accepting(self.address, self.timeout)
        return self.address

    async def stop(self) -> TargetInfo:
        """Nothing to stop."""
        return TargetInfo("url", self.address.name, self.address.url)
