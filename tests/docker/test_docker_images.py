"""Our images: the runner image runs the suite against a server on the host (--network host) and writes
its reports into a mounted folder; the reference image runs as non-root with a working health check."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("images", "no_leftovers")


def run_container(client: Any, image: str, command: list[str], **kw: Any) -> tuple[int, str]:
    """Run to the end; the exit code and the logs. The container is removed in every case."""
    container = client.containers.run(image, command, detach=True, labels={"rtconform.target": "test"}, **kw)
    try:
        code = container.wait(timeout=60)["StatusCode"]
        return code, container.logs().decode("utf-8", "replace")
    finally:
        container.remove(force=True)


def test_runner_image_tests_a_server_on_the_host(docker_client: Any, host_server: int,
                                                 tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    code, logs = run_container(
        docker_client, "rtconform-runner",
        ["rtconform", "run", "--target", f"ws://127.0.0.1:{host_server}/", "--case", "ws/5", "-q"],
        network_mode="host", user=f"{os.getuid()}:{os.getgid()}",
        volumes={str(reports): {"bind": "/work/reports", "mode": "rw"}})
    assert code == 0, logs
    assert logs.splitlines()[-1].startswith("result: "), logs
    run = json.loads((reports / f"127.0.0.1_{host_server}" / "run.json").read_text())
    assert run["target"]["kind"] == "url"
    assert len(run["cases"]) > 10
    assert {c["outcome"] for c in run["cases"]} <= {"passed", "non-strict", "informational"}
    assert (reports / f"127.0.0.1_{host_server}" / "junit.xml").is_file()


def test_reference_image_config(docker_client: Any) -> None:
    config = docker_client.images.get("rtconform-reference").attrs["Config"]
    assert config["User"] == "10001:10001"
    assert config["StopSignal"] == "SIGTERM"
    assert config["ExposedPorts"] == {"9001/tcp": {}}
    assert config["Entrypoint"] == ["python", "-m", "reference.servers"]
    assert config["Healthcheck"]["Test"][1:] == ["python", "/usr/local/lib/rtconform-healthcheck.py"]
    runner = docker_client.images.get("rtconform-runner").attrs["Config"]
    assert runner["User"] == "10001:10001"
    assert runner["WorkingDir"] == "/work"


def test_health_check_needs_a_listening_port(docker_client: Any) -> None:
    check = ["/usr/local/lib/rtconform-healthcheck.py"]
    code, logs = run_container(docker_client, "rtconform-reference", check, entrypoint=["python"])
    assert code == 1
    assert "no listening tcp port accepts connections" in logs
    container = docker_client.containers.run("rtconform-reference", detach=True,
                                             labels={"rtconform.target": "test"})
    try:
        for _ in range(100):
            result = container.exec_run(["python", *check])
            if result.exit_code == 0:
                break
        assert result.exit_code == 0, result.output
    finally:
        container.remove(force=True)
