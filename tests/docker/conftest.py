"""Fixtures for the Docker tests: a real engine (skip with a reason when none answers), our images, and
the reference server on the host.

CI starts the engine and builds the images with ``bash .ci/docker.sh start``. Locally, a missing image is
built with ``docker/build.sh`` when an engine answers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGES = ("rtconform-reference", "rtconform-runner")
_LISTENING = re.compile(r"listening on ws://127\.0\.0\.1:(\d+)")


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A docker SDK client whose engine answered a ping, or the test is skipped."""
    docker = pytest.importorskip("docker", reason="the docker SDK is not installed (extra 'docker')")
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:
        pytest.skip(f"no docker engine answers ({str(exc).splitlines()[0][:120]}); "
                    "start one with: bash .ci/docker.sh start")
    yield client
    client.close()


@pytest.fixture(scope="session")
def images(docker_client: Any) -> tuple[str, ...]:
    """Our images, built with docker/build.sh if one is missing (a failed build fails the tests)."""
    docker = pytest.importorskip("docker")
    missing = []
    for name in IMAGES:
        try:
            docker_client.images.get(name)
        except docker.errors.ImageNotFound:
            missing.append(name)
    if missing:
        build = subprocess.run(["bash", str(REPO / "docker" / "build.sh")], capture_output=True, text=True,
                               timeout=300, check=False)
        assert build.returncode == 0, f"docker/build.sh failed: {build.stderr[-2000:]}"
    return IMAGES


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture
def no_leftovers(docker_client: Any) -> Iterator[None]:
    """After the test, no container is left whose runner has ended (other test sessions sharing the engine
    may have containers of their own, with live runners)."""
    yield
    labelled = docker_client.containers.list(all=True, filters={"label": "rtconform.pid"})
    left = [c for c in labelled if not _pid_alive(c.labels["rtconform.pid"])]
    for c in left:
        c.remove(force=True)
    assert not left, f"containers left behind: {[c.name for c in left]}"


@pytest.fixture(scope="module")
def host_server() -> Iterator[int]:
    """The reference ws server on the host (127.0.0.1, a free port), through its CLI; yields the port."""
    proc = subprocess.Popen([sys.executable, "-m", "reference.servers", "ws", "--host", "127.0.0.1",
                             "--port", "0"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = _LISTENING.search(line)
    try:
        assert match, f"reference server did not start: {line!r}"
        yield int(match.group(1))
    finally:
        proc.terminate()
        proc.wait(10)
