"""tox 4 inline plugin: lets ``tox -e conformance TARGET=ws://host:port`` work, and lets ``tox`` find the
Pythons pyenv installed.

Plain tox 4 rejects ``KEY=VALUE`` words after the options (exit 254, "unrecognized arguments"). This
plugin registers them as a positional argument and puts them into ``os.environ`` before any
environment's configuration is read, so ``set_env = TARGET = {env:TARGET:}`` in tox.ini sees them. The
other two forms need no plugin: ``TARGET=url tox -e conformance`` and
``tox -e conformance -- --target url``.

pyenv puts one folder of shims on PATH, and a shim such as ``python3.12`` works only for the version
pyenv has made active; tox's interpreter discovery (virtualenv's) finds the shim, sees it fail, and
skips py310, py312 and py313 ("could not find python interpreter"). The plugin appends each installed
CPython 3.x's ``bin`` folder (the newest patch release per minor version) to the end of PATH, after
the shims, so ``python3.12`` resolves where pyenv has it and everything found before stays first.
The pyenv root is ``$PYENV_ROOT``, else ``~/.pyenv``; without one nothing changes.
"""

from __future__ import annotations

import os
import re
from argparse import Action, ArgumentParser, ArgumentTypeError, Namespace
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tox.config.cli.parser import ToxParser
from tox.config.sets import ConfigSet
from tox.plugin import impl
from tox.session.state import State

_VERSION = re.compile(r"^3\.(\d+)\.(\d+)$")


def pyenv_bin_dirs(root: Path) -> list[Path]:
    """The ``bin`` folder of the newest patch release of each CPython 3.x minor version under
    ``root/versions`` that has its ``python3.X`` executable, oldest minor first."""
    newest: dict[int, tuple[int, Path]] = {}
    versions = root / "versions"
    for entry in versions.iterdir() if versions.is_dir() else ():
        m = _VERSION.match(entry.name)
        if not m:  # pypy, miniconda, 3.13-dev, pyenv-virtualenv environments...
            continue
        minor, patch = int(m.group(1)), int(m.group(2))
        found = (entry / "bin" / f"python3.{minor}").is_file()
        if found and (minor not in newest or patch > newest[minor][0]):
            newest[minor] = (patch, entry / "bin")
    return [newest[minor][1] for minor in sorted(newest)]


def with_pyenv_pythons(path: str, root: Path) -> str:
    """``path`` (a PATH value) with :func:`pyenv_bin_dirs` appended, those already on it left out."""
    parts = path.split(os.pathsep) if path else []
    extra = [str(d) for d in pyenv_bin_dirs(root) if str(d) not in parts]
    return os.pathsep.join(parts + extra)


def _pyenv_root() -> Path | None:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    return root if (root / "versions").is_dir() else None


_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


def _assignment(word: str) -> str:
    if not _ASSIGNMENT.match(word):
        raise ArgumentTypeError(f"expected KEY=VALUE (e.g. TARGET=ws://127.0.0.1:9001), not {word!r}")
    return word


class _Collect(Action):
    """Adds to the list instead of replacing it.

    tox copies root options onto its sub-command parsers, and the root parser's positional comes after
    the sub-command, so a plain positional would overwrite the sub-command's words with [].
    """

    def __call__(self, parser: ArgumentParser, namespace: Namespace, values: str | Sequence[Any] | None,
                 option_string: str | None = None) -> None:
        words = list(getattr(namespace, self.dest, None) or [])
        setattr(namespace, self.dest, words + [v for v in values or [] if v not in words])


@impl
def tox_add_option(parser: ToxParser) -> None:
    """Accept ``KEY=VALUE`` words (environment variables for the run) after the tox options."""
    parser.add_argument("env_assignments", nargs="*", type=_assignment, default=[], action=_Collect,
                        metavar="KEY=VALUE",
                        help="set environment variables for this run, e.g. TARGET=ws://127.0.0.1:9001")


@impl
def tox_add_core_config(core_conf: ConfigSet, state: State) -> None:
    """Apply the ``KEY=VALUE`` words to ``os.environ`` before environments read ``{env:KEY}``, and make
    pyenv's Pythons findable before any environment looks for its interpreter."""
    root = _pyenv_root()
    if root is not None:
        os.environ["PATH"] = with_pyenv_pythons(os.environ.get("PATH", ""), root)
    for word in getattr(state.conf.options, "env_assignments", None) or []:
        key, value = _ASSIGNMENT.match(word).groups()  # type: ignore[union-attr]
        os.environ[key] = value
