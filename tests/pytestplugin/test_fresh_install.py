"""The plugin as a user gets it: a wheel of this tree installed in a fresh venv with ``websockets`` and
``pytest`` (from the package index), then ``pytest --rtconform-target ws://...`` against websockets'
server, beside a test of the user's own that uses the ``rtconform_ws_server`` fixture.

Nothing of this interpreter is visible in the venv (no PYTHONPATH, no system site-packages): the
``pytest11`` entry point, the catalog and the reference server all come from the wheel. Slow (~20 s: a
wheel build and an install from the index); CI runs it (``-m "not slow"`` leaves it out locally).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from target_servers import spawn_server

ROOT = Path(__file__).resolve().parents[2]
#: Cases websockets passes (conformance/expectations/websockets.toml lists none of them).
SELECT = "autobahn-1.1 or rsv1"
#: What the tree copy leaves out: VCS, caches, build output, npm packages, reports.
SKIP = shutil.ignore_patterns(".git", ".tox", "node_modules", "reports", "build", "dist", "*.egg-info",
                              "__pycache__", ".*_cache", ".hypothesis", ".venv")

USER_TEST = """
from websockets.sync.client import connect


def test_my_client_against_the_reference(rtconform_ws_server):
    with connect(rtconform_ws_server) as ws:
        ws.send("ping me back")
        assert ws.recv(timeout=5) == "ping me back"
"""


def _run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, **kwargs)


@pytest.mark.slow
def test_pip_installed_plugin_runs_against_websockets(tmp_path: Path) -> None:
    source, dist, venv, project = (tmp_path / n for n in ("src", "dist", "venv", "project"))
    shutil.copytree(ROOT, source, ignore=SKIP)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(source)])
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(dist.glob("rtconform-*.whl"))
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install", str(wheel),
                      "websockets", "pytest"])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))}
    project.mkdir()
    (project / "test_mine.py").write_text(USER_TEST, encoding="utf-8")
    server = [str(python), str(ROOT / "tests" / "fixtures" / "websockets_echo.py"), "--port", "0"]
    with spawn_server(server) as (host, port):
        url = f"ws://{host}:{port}"
        result = _run([str(python), "-m", "pytest", "-v", "-p", "no:cacheprovider", "--rtconform-target", url,
                       "-k", f"{SELECT} or test_my_client"], cwd=project, env=env)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"rtconform: target {url}" in out
    assert "rtconform::ws/5.2/rsv1-without-extension PASSED" in out
    assert "rtconform::ws/5.6/echo-text-empty PASSED" in out
    assert "test_mine.py::test_my_client_against_the_reference PASSED" in out
    assert str(venv) in _run([str(python), "-c", "import conformance; print(conformance.__file__)"],
                             cwd=project, env=env).stdout
