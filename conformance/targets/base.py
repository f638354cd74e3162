"""The target protocol, the spec a user gives, and the registry of target kinds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from conformance.results import TargetInfo
from conformance.wire.endpoint import Endpoint

__all__ = ["TARGET_KINDS", "Target", "TargetError", "TargetSpec", "make_target", "register_kind",
           "wait_accepting"]


class TargetError(Exception):
    """The target could not be started or reached (the CLI exits with 3)."""


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """What the user asked for.

    Attributes:
        endpoint: the parsed ``--target`` (with connection options), or None for the embedded reference.
        command: ``--cmd``: a shell command that starts the target (then ``endpoint`` says where it listens).
        start_timeout: seconds to wait for a started target to accept connections.
        protocol: the reference server protocol to start when there is no target ("ws").
        protocols: the suites whose embedded reference servers to start together (overrides ``protocol``).
    """

    endpoint: Endpoint | None = None
    command: str | None = None
    start_timeout: float = 15.0
    protocol: str = "ws"
    protocols: tuple[str, ...] = ()
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
        return "url" if self.endpoint is not None else "reference"


class Target(Protocol):
    """A target: :meth:`start` gives the endpoint to test, :meth:`stop` ends it and reports about it."""

    async def start(self) -> Endpoint:
        """Start or check the target. Raises :class:`TargetError` if it is not usable."""
        ...

    async def stop(self) -> TargetInfo:
        """Stop what :meth:`start` started (if anything); describe the target for the results."""
        ...


TARGET_KINDS: dict[str, Callable[[TargetSpec], Target]] = {}


def register_kind(name: str, factory: Callable[[TargetSpec], Target]) -> None:
    """Add a target kind (plugins: the ``rtconform.targets`` entry point group, see targets/plugins.py)."""
    TARGET_KINDS[name] = factory


def make_target(spec: TargetSpec) -> Target:
    """The target for ``spec``.

    Raises:
        TargetError: no kind is registered for ``spec.kind``.
    """
    # Import here: the built-in kinds register themselves when their modules load; then plugins.
    from conformance.targets.plugins import load_kinds, sampled

    load_kinds()
    factory = TARGET_KINDS.get(spec.kind)
    if factory is None:
        raise TargetError(f"unknown target kind {spec.kind!r}")
    return sampled(factory(spec))


async def wait_accepting(endpoint: Endpoint, timeout: float,
                         alive: Callable[[], bool] = lambda: True) -> None:
    """Wait until ``endpoint`` accepts TCP connections (retrying every 20 ms while ``alive()``).

    Raises:
        TargetError: not accepting within ``timeout`` seconds, or ``alive()`` turned false.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    last: Exception | None = None
    while loop.time() < end:
        if not alive():
            raise TargetError(f"the target exited before accepting connections on {endpoint.host_header}")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(endpoint.host, endpoint.port),
                                               max(0.05, end - loop.time()))
        except (OSError, asyncio.TimeoutError) as exc:
            last = exc
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return
    raise TargetError(f"target {endpoint.url} is unreachable: {last or 'timeout'}")
