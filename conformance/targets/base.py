"""The target protocol, the spec a user gives, and waiting for a target to accept connections.

A target gives an :class:`~conformance.wire.endpoint.Address` (where it listens, and what it promises);
the user's connection options are not its business: the runner joins the two for each case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from conformance.connection_errors import describe
from conformance.results import TargetInfo
from conformance.suites import Suite
from conformance.wire.endpoint import Address

__all__ = ["Target", "TargetError", "TargetSpec", "wait_accepting"]


class TargetError(Exception):
    """The target could not be started or reached (the CLI exits with 3)."""


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """What the user asked for (and the suites the run selected).

    Attributes:
        address: the parsed ``--target``, or None for the embedded reference servers.
        command: ``--cmd``: a shell command that starts the target (then ``address`` says where it listens).
        start_timeout: seconds to wait for a started target to accept connections.
        suites: the suites of the selected cases: the embedded reference servers of these are started.
    """

    address: Address | None = None
    command: str | None = None
    start_timeout: float = 15.0
    suites: tuple[Suite, ...] = ()
    # --docker-image/--docker-port/--docker-arg (targets/docker.py); --target-kind/--target-param (plugins).
    docker_image: str | None = None
    docker_port: int = 9001
    docker_args: tuple[str, ...] = ()
    plugin_kind: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        """The target kind this spec asks for."""
        if self.plugin_kind:
            return self.plugin_kind
        if self.docker_image:
            return "docker"
        if self.command:
            return "command"
        return "url" if self.address is not None else "reference"


class Target(Protocol):
    """A target: :meth:`start` gives the address to test, :meth:`stop` ends it and reports about it."""

    async def start(self) -> Address:
        """Start or check the target. Raises :class:`TargetError` if it is not usable."""
        ...

    async def stop(self) -> TargetInfo:
        """Stop what :meth:`start` started (if anything); describe the target for the results."""
        ...


async def wait_accepting(address: Address, timeout: float,
                         alive: Callable[[], bool] = lambda: True) -> None:
    """Wait until ``address`` accepts TCP connections (retrying every 20 ms while ``alive()``).

    Raises:
        TargetError: not accepting within ``timeout`` seconds, or ``alive()`` turned false.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    last: Exception | None = None
    while loop.time() < end:
        if not alive():
            raise TargetError(f"the target exited before accepting connections on {address.host_header}")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(address.host, address.port),
                                               max(0.05, end - loop.time()))
        except (OSError, asyncio.TimeoutError) as exc:
            last = exc
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return
    if isinstance(last, OSError) and not isinstance(last, TimeoutError):
        why = describe(last, address).message
    else:
        why = f"no TCP connection within {timeout:g}s"
    raise TargetError(f"target {address.url} is unreachable: {why}")
