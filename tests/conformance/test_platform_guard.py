"""On a system without process groups (Windows: no os.killpg), starting a target fails at once with a
message that says what works instead, and the run exits 3; a URL target does not start anything."""

from __future__ import annotations

import os

import pytest

from conformance.cli import main
from conformance.exitcodes import ExitCode
from conformance.targets.process import UNSUPPORTED, can_start_processes


def test_posix_systems_can_start_targets() -> None:
    assert can_start_processes() is hasattr(os, "killpg")


def test_without_killpg_starting_a_target_is_refused_clearly(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delattr(os, "killpg", raising=False)
    assert not can_start_processes()
    assert main(["run", "--case", "ws/5.1", "--no-reports", "-q"]) == ExitCode.TOOL
    assert UNSUPPORTED in capsys.readouterr().err
    assert main(["run", "--target", "ws://127.0.0.1:9/", "--cmd", "true", "--case", "ws/5.1", "--no-reports",
                 "-q", "--start-timeout", "1"]) == ExitCode.TOOL
    err = capsys.readouterr().err
    assert "needs Linux or macOS" in err
    assert "WSL 2" in err
