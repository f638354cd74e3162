"""The README's two set-up commands: one runs ``tox -e conformance``, one ``tox``, both without
installing into the system Python (PEP 668), and ``.ci/run`` runs the README's test command as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    """The commands of the first ``sh`` block under "Set up and run", comments removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Set up and run"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README: no sh block under 'Set up and run'"
    return [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_two_commands_one_for_the_suite_one_for_the_tests() -> None:
    suite, tests = readme_commands()
    assert suite.endswith("tox -e conformance")
    assert re.search(r"(^|\s|/)tox$", tests), tests
    assert suite.rsplit("tox -e conformance", 1)[0] == tests.rsplit("tox", 1)[0], "the same set-up"


def test_the_commands_do_not_install_into_the_system_python() -> None:
    for command in readme_commands():
        first = command.split("&&", 1)[0].strip()
        assert "pip install" not in first, f"PEP 668: {first!r} installs into the system Python"
        assert first.startswith(("python3 -m venv", "pipx ", "uvx ", "uv ")), first


def test_ci_runs_the_readme_test_command() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    commands = [line for line in lines if line and not line.startswith(("#", "log ", "export "))]
    assert commands[-1] == readme_commands()[1], ".ci/run ends with the README's test command"
