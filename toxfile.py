"""tox 4 inline plugin: lets ``tox -e conformance TARGET=ws://host:port`` work.

Plain tox 4 rejects ``KEY=VALUE`` words after the options (exit 254, "unrecognized arguments"). This
plugin registers them as a positional argument and puts them into ``os.environ`` before any
environment's configuration is read, so ``set_env = TARGET = {env:TARGET:}`` in tox.ini sees them. The
other two forms need no plugin: ``TARGET=url tox -e conformance`` and
``tox -e conformance -- --target url``.
"""

from __future__ import annotations

import os
import re
from argparse import Action, ArgumentParser, ArgumentTypeError, Namespace
from collections.abc import Sequence
from typing import Any

from tox.config.cli.parser import ToxParser
from tox.config.sets import ConfigSet
from tox.plugin import impl
from tox.session.state import State

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
    """Apply the ``KEY=VALUE`` words to ``os.environ`` before environments read ``{env:KEY}``."""
    for word in getattr(state.conf.options, "env_assignments", None) or []:
        key, value = _ASSIGNMENT.match(word).groups()  # type: ignore[union-attr]
        os.environ[key] = value
