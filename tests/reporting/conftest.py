"""Real runs for the report tests: the runner against the reference server, two third-party servers
(websockets, aiohttp) and a hostile server, each started by the runner itself (``--cmd``).

A spread of the catalog (about 40 cases, every group represented) keeps these runs to a few seconds;
``RTCONFORM_REPORT_FULL=1`` runs the whole catalog instead (to refresh docs/img/report.png).
"""

from __future__ import annotations

import io
import os
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.app import RunOptions, run
from conformance.registry import load
from conformance.runner import RunSettings
from conformance.targets import TargetSpec
from conformance.wire.endpoint import parse_address

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SPREAD = 40


def spread() -> tuple[str, ...]:
    """About ``SPREAD`` WebSocket case IDs, spread over the catalog (the selector "ws" with
    RTCONFORM_REPORT_FULL)."""
    if os.environ.get("RTCONFORM_REPORT_FULL"):
        return ("ws",)
    cases = load().select(("ws",))
    return tuple(c.id for c in cases[::max(1, len(cases) // SPREAD)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Ran:
    """One finished ``rtconform run``: its exit code, printed output and report folder."""

    code: int
    out: str
    err: str
    folder: Path

    @property
    def run_json(self) -> Path:
        return self.folder / "run.json"


def run_script(script: Path | None, report_dir: Path, include: tuple[str, ...], **options: object) -> Ran:
    """``rtconform run`` against ``script --port N`` started by the runner (None: the embedded reference)."""
    target = TargetSpec()
    if script is not None:
        port = free_port()
        command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} --port {port}"
        target = TargetSpec(address=parse_address(f"ws://127.0.0.1:{port}"), command=command)
    out, err = io.StringIO(), io.StringIO()
    opts = RunOptions(target=target, include=include, report_dir=report_dir,
                      settings=RunSettings(jobs=16, timeout=5.0, close_timeout=1.0), **options)  # type: ignore[arg-type]
    code = run(opts, out=out, err=err)
    folders = [p for p in report_dir.iterdir() if p.is_dir()]
    assert len(folders) == 1, f"expected one report folder in {report_dir}: {folders} ({err.getvalue()})"
    return Ran(code, out.getvalue(), err.getvalue(), folders[0])


@pytest.fixture(scope="session")
def cases() -> tuple[str, ...]:
    return spread()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory, cases: tuple[str, ...]) -> Ran:
    """The hostile server run through the real runner."""
    return run_script(HERE / "hostile_server.py", tmp_path_factory.mktemp("hostile"), cases)


@pytest.fixture(scope="session")
def targets(tmp_path_factory: pytest.TempPathFactory, cases: tuple[str, ...]) -> dict[str, Ran]:
    """The reference server, the websockets server and the aiohttp server, same cases."""
    scripts = {"reference": None, "websockets": REPO / "tests" / "fixtures" / "websockets_echo.py",
               "aiohttp": REPO / "tests" / "fixtures" / "aiohttp_echo.py"}
    return {name: run_script(script, tmp_path_factory.mktemp(name), cases)
            for name, script in scripts.items()}
