"""``--docker-image IMAGE``: the target runs in a container, through the ``docker`` Python SDK.

The container's ``--docker-port`` (9001) is published on 127.0.0.1 at a free host port; the image's
command is replaced by the ``--docker-arg`` words when there are any; an init runs as PID 1 (like
``docker run --init``). The target is ready when that port forwards connections into the container, and
fails at once (with the container's exit code and the last lines of its logs) when the container exits
first. :meth:`DockerTarget.stop` always stops and removes the container; its logs and exit code go into
the results. A container still present when the interpreter exits (a run killed mid-way) is
force-removed by an ``atexit`` hook.

Images are never pulled: a missing image is a target error (build it, or ``docker pull`` it yourself).
The SDK is an optional dependency (``pip install 'rtconform[docker]'``); it is imported on first use.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import os
import shlex
import uuid
from typing import Any

from conformance.results import TargetInfo
from conformance.targets.base import TargetError, TargetSpec
from conformance.wire.endpoint import ALL_SCHEMES, Address, parse_address

__all__ = ["LABEL", "PID_LABEL", "DockerTarget", "connect_engine"]

#: Labels on every container the runner starts (``docker ps --filter label=rtconform.target``): the image,
#: and the pid of the runner that started it (a container whose runner is gone was left behind).
LABEL = "rtconform.target"
PID_LABEL = "rtconform.pid"
LOG_TAIL = 64 * 1024
STOP_GRACE = 3
_PROBE_WAIT = 0.2
_LIVE: dict[str, Any] = {}  # container id -> client, for the atexit safety net


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _sdk() -> Any:
    """The ``docker`` SDK module (untyped; imported by name so that the repository's docker/ folder,
    a namespace package to type checkers, does not shadow it)."""
    try:
        return importlib.import_module("docker")
    except ImportError:
        raise TargetError("the docker target needs the docker package: pip install 'rtconform[docker]'") \
            from None


def connect_engine() -> Any:
    """A ``docker.DockerClient`` that answered a ping.

    Raises:
        TargetError: the SDK is not installed, or no engine answers (one line).
    """
    docker = _sdk()
    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:
        raise TargetError(f"no docker engine is reachable at {where}: {_first_line(exc)}") from None
    return client


def _remove_leftovers() -> None:
    for cid, client in list(_LIVE.items()):
        with contextlib.suppress(Exception):
            client.api.remove_container(cid, force=True)
        _LIVE.pop(cid, None)


atexit.register(_remove_leftovers)


def _mem_cpu(stats: dict[str, Any]) -> tuple[int, float] | None:
    """Memory (usage minus inactive file cache, as ``docker stats`` shows) and cumulative CPU seconds."""
    mem = stats.get("memory_stats") or {}
    cpu = (stats.get("cpu_stats") or {}).get("cpu_usage") or {}
    if "usage" not in mem or "total_usage" not in cpu:
        return None  # the container is not running any more
    detail = mem.get("stats") or {}
    cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    return int(mem["usage"]) - int(cache), int(cpu["total_usage"]) / 1e9


def _api_at_least(version: str, wanted: tuple[int, int]) -> bool:
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= wanted


class DockerTarget:
    """Starts ``spec.docker_image`` in a container and tests it through its published port."""

    def __init__(self, spec: TargetSpec) -> None:
        if not spec.docker_image:
            raise TargetError("a docker target needs --docker-image")
        self.image = spec.docker_image
        self.port = spec.docker_port
        self.args = spec.docker_args
        self.timeout = spec.start_timeout
        # --target with --docker-image: only its scheme and path are used.
        self.scheme = spec.address.scheme if spec.address else "ws"
        self.resource = spec.address.resource if spec.address else "/"
        self.client: Any = None
        self.container: Any = None
        self.url = ""
        self.host_port: int | None = None

    @property
    def name(self) -> str:
        """The report folder name: ``docker-<image>``."""
        safe = "".join(c if c.isalnum() or c in "-." else "_" for c in self.image)
        return f"docker-{safe}"

    @property
    def command(self) -> str:
        """An equivalent ``docker run`` line, for the report."""
        published = f"127.0.0.1:{self.host_port or ''}:{self.port}"
        return shlex.join(["docker", "run", "--init", "-p", published, self.image, *self.args])

    def _create(self) -> Any:
        docker = _sdk()
        self.client = connect_engine()
        try:
            container = self.client.containers.create(
                self.image, command=list(self.args) or None, detach=True,
                name=f"rtconform-{uuid.uuid4().hex[:12]}",
                labels={LABEL: self.image, PID_LABEL: str(os.getpid())},
                ports={f"{self.port}/tcp": ("127.0.0.1", None)},
                # An init as PID 1 (docker run --init) forwards SIGTERM: a server without a handler for it
                # (or one stopped before it installed its handler) ends at once, not after the grace time.
                init=True)
        except docker.errors.ImageNotFound:
            raise TargetError(f"docker image {self.image!r} is not present locally (rtconform never pulls: "
                              "build it, e.g. docker/build.sh, or docker pull it)") from None
        except docker.errors.APIError as exc:
            raise TargetError(f"cannot create a container of {self.image!r}: {_first_line(exc)}") from None
        _LIVE[container.id] = self.client
        self.container = container
        try:
            container.start()
        except docker.errors.APIError as exc:
            raise TargetError(f"cannot start a container of {self.image!r}: {_first_line(exc)}") from None
        return container

    def _state(self) -> tuple[str, int | None, int | None]:
        """Status, exit code (once exited) and the published host port (once known)."""
        self.container.reload()
        attrs = self.container.attrs
        state = attrs.get("State") or {}
        bound = ((attrs.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{self.port}/tcp") or []
        port = int(bound[0]["HostPort"]) if bound else None
        exited = state.get("Status") in ("exited", "dead")
        return state.get("Status", "?"), state.get("ExitCode") if exited else None, port

    async def start(self) -> Address:
        """Create and start the container; wait until its port forwards connections."""
        self.container = None
        # Shielded: on Ctrl-C the creation finishes, so that stop() finds the container and removes it.
        create = asyncio.ensure_future(asyncio.to_thread(self._create))
        try:
            await asyncio.shield(create)
            address = await self._wait_ready()
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                await create
            info = await self.stop()
            if not isinstance(exc, TargetError):
                raise
            raise TargetError(self._died_message(str(exc), info)) from None
        return address

    @staticmethod
    def _died_message(reason: str, info: TargetInfo) -> str:
        if info.returncode is None and not info.output:
            return reason
        lines = info.output.strip().splitlines()[-3:]
        logs = " | ".join(line.strip() for line in lines)[-400:]
        return f"{reason} (exit code {info.returncode}; last log lines: {logs!r})"

    async def _wait_ready(self) -> Address:
        loop = asyncio.get_running_loop()
        end = loop.time() + self.timeout
        while loop.time() < end:
            try:
                status, code, port = await asyncio.to_thread(self._state)
            except Exception as exc:  # removed by someone else, or the engine went away
                raise TargetError(f"cannot inspect the container of {self.image!r}: {_first_line(exc)}") \
                    from None
            if code is not None:
                raise TargetError(f"the container of {self.image!r} exited before accepting connections")
            if port is not None and status == "running":
                self.host_port = port
                if await _forwards(port):
                    self.url = f"{self.scheme}://127.0.0.1:{port}{self.resource}"
                    return parse_address(self.url, ALL_SCHEMES)
            await asyncio.sleep(0.05)
        raise TargetError(f"the container of {self.image!r} did not accept connections on port {self.port} "
                          f"within {self.timeout}s")

    def resource_probe(self) -> tuple[Any, str, str] | None:
        """Container stats (one-shot, no streaming) as a resource probe."""
        if self.container is None:
            return None
        api, cid = self.client.api, self.container.id
        # one_shot needs API 1.41 (engine 20.10); older engines take about 2 s per reading without it.
        one_shot = True if _api_at_least(api.api_version, (1, 41)) else None

        def probe() -> tuple[int, float] | None:
            return _mem_cpu(api.stats(cid, stream=False, one_shot=one_shot))

        return probe, "docker", "container memory usage minus inactive file cache, container cpu time"

    def _finish(self) -> tuple[str, int | None]:
        container = self.container
        code: int | None = None
        with contextlib.suppress(Exception):
            container.stop(timeout=STOP_GRACE)
        with contextlib.suppress(Exception):
            code = int(container.wait(timeout=STOP_GRACE + 5)["StatusCode"])
        logs = b""
        with contextlib.suppress(Exception):
            logs = container.logs(stdout=True, stderr=True)
        with contextlib.suppress(Exception):
            container.remove(force=True, v=True)
            _LIVE.pop(container.id, None)
        return logs[-LOG_TAIL:].decode("utf-8", "replace"), code

    async def stop(self) -> TargetInfo:
        """Stop and remove the container; its logs and exit code go into the results."""
        output, code = "", None
        if self.container is not None:
            # Shielded: Ctrl-C cancels the run, but the container must still go away.
            output, code = await asyncio.shield(asyncio.to_thread(self._finish))
            self.container = None
        return TargetInfo("docker", self.name, self.url, self.command, output, code)


async def _forwards(port: int) -> bool:
    """The published port reaches a listening server in the container.

    docker-proxy accepts on the host port even before the server listens, then closes the connection at
    once when it cannot reach the container's port: an immediate end of stream means "not yet".
    """
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1.0)
    except (OSError, asyncio.TimeoutError):
        return False
    try:
        data = await asyncio.wait_for(reader.read(1), _PROBE_WAIT)
    except asyncio.TimeoutError:
        return True  # the connection stays open: something listens behind the proxy
    except OSError:
        return False
    finally:
        writer.close()
    return data != b""

