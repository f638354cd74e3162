"""The exit codes of every ``rtconform`` subcommand, defined once: the enum the code returns and the
words ``--help`` shows (:func:`exit_code_help`).

0 the target conforms (``fuzz``: nothing found; ``replay``: not reproduced); 1 a gating case failed or
errored (``fuzz``: findings; ``replay``: reproduced; ``report --check``: a run does not pass); 2 a usage
error, shown as one line on stderr; 3 the target could not be started or reached, or a tool error;
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import textwrap
from enum import IntEnum

__all__ = ["MEANINGS", "ExitCode", "exit_code_help"]


class ExitCode(IntEnum):
    """What ``rtconform`` exits with."""

    OK = 0
    FAILED = 1
    USAGE = 2
    TOOL = 3
    INTERRUPTED = 130


#: What each exit code means, as ``--help`` says it.
MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "the target conforms: no gating failure (fuzz: nothing found; replay: not reproduced)",
    ExitCode.FAILED: "a gating case failed or errored, or an expected failure now passes (fuzz: findings; "
                     "replay: reproduced; report --check: a run does not pass)",
    ExitCode.USAGE: "usage error (one line on stderr)",
    ExitCode.TOOL: "the target could not be started or reached, or a tool error",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_code_help() -> str:
    """The exit codes as a ``--help`` epilog, one per line."""
    return "exit codes:\n" + "\n".join(
        textwrap.fill(MEANINGS[code], 78, initial_indent=f"  {int(code):<4} ", subsequent_indent=" " * 7)
        for code in ExitCode)
