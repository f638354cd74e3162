"""The optional C extension ``reference.core.ws._speedups``, loaded once, and which frame path is active.

The extension is built by ``setup.py`` with ``optional=True``: without a compiler the install carries on and
every caller uses its pure-Python fallback (``mask.py_apply_mask``, ``FrameParser``'s own header reader).
Setting ``RTCONFORM_NO_SPEEDUPS=1`` in the environment forces the fallback even when the extension is built,
so the two paths can be compared (the tests do) and a suspected C bug can be ruled out without a rebuild.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType
from typing import Union

__all__ = ["C_APPLY_MASK", "C_READ_SIMPLE_FRAME", "DISABLE_ENV", "FRAME_PATH"]

BytesLike = Union[bytes, bytearray, memoryview]  # noqa: UP007  (3.10 evaluates aliases at runtime)
#: The environment variable that forces the pure-Python path.
DISABLE_ENV = "RTCONFORM_NO_SPEEDUPS"


def _load() -> tuple[ModuleType | None, str]:
    """The extension module (or None) and a one-line description of the frame path that results."""
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return None, f"pure Python (C speedups disabled by {DISABLE_ENV})"
    try:
        extension = importlib.import_module("reference.core.ws._speedups")
    except ImportError:
        return None, "pure Python (C speedups not built)"
    return extension, "C speedups (reference.core.ws._speedups)"


_EXTENSION, FRAME_PATH = _load()

#: ``apply_mask(data, key) -> bytes`` in C, or None.
C_APPLY_MASK: Callable[[BytesLike, BytesLike], bytes] | None = (
    None if _EXTENSION is None else _EXTENSION.apply_mask)
#: ``read_simple_frame(data, pos, masked, room) -> (opcode, fin, payload, end) | None`` in C, or None.
C_READ_SIMPLE_FRAME: Callable[[BytesLike, int, bool, int], tuple[int, bool, bytes, int] | None] | None = (
    None if _EXTENSION is None else _EXTENSION.read_simple_frame)
