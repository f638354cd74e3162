"""``rtconform run`` skips the interpreter's last garbage collection at exit, and only then: in a process
that goes on (tests, the pytest plugin) nothing is frozen, and the exit hook is registered once."""

from __future__ import annotations

import atexit
import gc
from collections.abc import Callable

import pytest

from conformance.cli import main
from conformance.cli import run as run_cli
from conformance.exitcodes import ExitCode


def test_nothing_frozen_while_the_process_goes_on_and_one_exit_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = run_cli._skip_the_last_collection
    hooks: list[Callable[[], None]] = []  # ours, registered; any other module's hook goes to atexit itself
    register, unregister = atexit.register, atexit.unregister
    monkeypatch.setattr(atexit, "register", lambda f, *a: hooks.append(f) if f is ours else register(f, *a))
    monkeypatch.setattr(atexit, "unregister",
                        lambda f: (hooks.remove(f) if f in hooks else None) if f is ours else unregister(f))
    argv = ["run", "--case", "ws/5.6/echo-text-empty", "--no-reports", "-q"]
    before = gc.get_freeze_count()  # another module may have frozen some (seen on Python 3.12)
    for _ in range(2):
        assert main(argv) == ExitCode.OK
    assert hooks == [ours]
    assert gc.get_freeze_count() == before
    ours()  # what exit does: everything alive is frozen
    try:
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
