"""Target kinds from a third-party distribution (entry point group ``rtconform.targets``), the CLI
usage errors of the Docker and plugin options, and the error when no engine answers. No engine needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PLUGIN = '''
import os

from conformance.resources import ProcProbe
from conformance.results import TargetInfo
from conformance.targets.base import wait_accepting
from conformance.wire.endpoint import parse_address


class DemoTarget:
    """A server someone else started: its URL and pid come as --target-param."""

    def __init__(self, spec):
        self.params = dict(spec.params)
        self.address = parse_address(self.params["url"])

    async def start(self):
        await wait_accepting(self.address, 2.0)
        return self.address

    def resource_probe(self):
        return ProcProbe(os.getsid(int(self.params["pid"]))), "demo", "the server's session"

    async def stop(self):
        return TargetInfo("demo", "demo-target", self.address.url, output="demo plugin stopped")
'''

ENTRY_POINTS = """[rtconform.targets]
demo = rtconform_demo_plugin:DemoTarget
broken = rtconform_demo_missing:Nope
url = rtconform_demo_plugin:DemoTarget
"""


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding an installed-looking distribution with three target kinds (one broken)."""
    root = tmp_path_factory.mktemp("plugin")
    (root / "rtconform_demo_plugin.py").write_text(PLUGIN)
    info = root / "rtconform_demo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rtconform-demo-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return root


@pytest.fixture(scope="module")
def session_server() -> Iterator[tuple[int, int]]:
    """The reference server in its own session: (port, pid)."""
    proc = subprocess.Popen([sys.executable, "-m", "reference.servers", "ws", "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    try:
        yield int(line.rsplit(":", 1)[1]), proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def rtconform(args: list[str], plugin_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TARGET", "RTCONFORM_DOCKER_IMAGE")}
    if plugin_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(plugin_path), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "conformance", "run", *args], capture_output=True,
                          text=True, timeout=60, env=env, check=False)


def test_plugin_kind_runs_with_its_params_and_probe(plugin_path: Path, session_server: tuple[int, int],
                                                    tmp_path: Path) -> None:
    port, pid = session_server
    run = rtconform(["--target-kind", "demo", "--target-param", f"url=ws://127.0.0.1:{port}/",
                     "--target-param", f"pid={pid}", "--case", "ws/5.1", "--report-dir", str(tmp_path), "-q"],
                    plugin_path)
    assert run.returncode == 0, run.stderr
    target = json.loads((tmp_path / "demo-target" / "run.json").read_text())["target"]
    assert target["kind"] == "demo"
    assert target["output"] == "demo plugin stopped"
    assert target["resources"]["source"] == "demo"
    assert target["resources"]["peak_mem_bytes"] > 5_000_000


def test_broken_plugin_is_one_line_exit_3(plugin_path: Path) -> None:
    run = rtconform(["--target-kind", "broken", "--no-reports"], plugin_path)
    assert run.returncode == 3
    assert run.stderr == ("rtconform: target error: target kind 'broken' could not be loaded from "
                          "'rtconform_demo_missing:Nope': ModuleNotFoundError: No module named "
                          "'rtconform_demo_missing'\n")


def test_builtin_kinds_win_over_plugins(plugin_path: Path) -> None:
    # The plugin also declares "url": the built-in url kind is used, and it needs --target.
    run = rtconform(["--target-kind", "url", "--no-reports"], plugin_path)
    assert run.returncode == 3
    assert run.stderr == "rtconform: target error: a url target needs --target\n"


def test_unknown_kind_without_plugins() -> None:
    run = rtconform(["--target-kind", "demo", "--no-reports"])
    assert run.returncode == 3
    assert run.stderr == "rtconform: target error: unknown target kind 'demo'\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--docker-arg", "ws"], "--docker-arg needs --docker-image"),
    (["--target-param", "a=b"], "--target-param needs --target-kind"),
    (["--target-kind", "x", "--target-param", "novalue"], "--target-param must be KEY=VALUE, not 'novalue'"),
    (["--docker-image", "img", "--cmd", "true", "--target", "ws://127.0.0.1:1/"],
     "--docker-image 'img' and --cmd cannot be used together"),
    (["--docker-image", "img", "--docker-port", "0"],
     "argument --docker-port: must be between 1 and 65535, not '0'"),
])
def test_usage_errors(args: list[str], message: str) -> None:
    run = rtconform(args)
    assert run.returncode == 2
    assert run.stderr == f"rtconform: error: {message}\n"


def test_no_engine_is_one_line_exit_3() -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/rtconform-test.sock"}
    run = subprocess.run([sys.executable, "-m", "conformance", "run", "--docker-image", "rtconform-reference",
                          "--no-reports"], capture_output=True, text=True, timeout=30, env=env, check=False)
    assert run.returncode == 3
    line, = run.stderr.splitlines()
    assert line.startswith("rtconform: target error: no docker engine is reachable at "
                           "unix:///nonexistent/rtconform-test.sock: ")
