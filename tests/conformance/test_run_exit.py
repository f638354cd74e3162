"""``rtconform run`` skips the interpreter's last garbage collection at exit, and only then: in a process
that goes on (tests, the pytest plugin) nothing is frozen, and the exit hook is registered once."""

from __future__ import annotations

import atexit
import gc

from conformance.cli import main
from conformance.exitcodes import ExitCode


def test_nothing_frozen_while_the_process_goes_on_and_one_exit_hook() -> None:
    argv = ["run", "--case", "ws/5.6/echo-text-empty", "--no-reports", "-q"]
    assert main(argv) == ExitCode.OK
    after_one = atexit._ncallbacks()  # the first run's imports register their own hooks too
    assert main(argv) == ExitCode.OK
    assert atexit._ncallbacks() == after_one
    assert gc.get_freeze_count() == 0
