"""The HTML report's compiled templates, kept between runs.

Compiling the report's Jinja templates takes longer than rendering a whole catalog's pages, and every
``rtconform run`` used to do it again. Jinja's file-system bytecode cache keeps the compiled code in the
user's cache folder (``$XDG_CACHE_HOME/rtconform/templates``, else ``~/.cache/rtconform/templates``);
an entry is used only while its template's source is unchanged (Jinja checks a hash of the source, and
its own and Python's versions). The cache only saves time: a folder that cannot be made, or is not the
user's own and closed to others (the code in it is executed), means no cache; an entry that cannot be
read or written is compiled again. The output is the same either way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import stat
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

__all__ = ["cache_folder", "template_cache"]


def cache_folder() -> Path:
    """Where the compiled templates go (not created here)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rtconform" / "templates"


class _QuietCache(jinja2.FileSystemBytecodeCache):
    """A bytecode cache whose read and write errors mean "compile it" (never a failed report)."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):  # unreadable, damaged
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _private_folder(folder: Path) -> bool:
    """``folder`` exists (made here if need be), is a real directory of this user, closed to others."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return False
    own = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and own and not info.st_mode & 0o077


def template_cache(folder: Path | None = None) -> jinja2.BytecodeCache | None:
    """The bytecode cache in ``folder`` (default :func:`cache_folder`), or None where it cannot be
    trusted or made."""
    folder = cache_folder() if folder is None else folder
    if not _private_folder(folder):
        return None
    return _QuietCache(str(folder), "%s.jinja")
