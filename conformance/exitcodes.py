"""The exit codes of every ``rtconform`` subcommand, defined once.

0 the target conforms (``fuzz``: nothing found; ``replay``: not reproduced); 1 a gating case failed or
errored (``fuzz``: findings; ``replay``: reproduced; ``report --check``: a run does not pass); 2 a usage
error, shown as one line on stderr; 3 the target could not be started or reached, or a tool error;
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    """What ``rtconform`` exits with."""

    OK = 0
    FAILED = 1
    USAGE = 2
    TOOL = 3
    INTERRUPTED = 130
