"""What every harness shares: chunking an input, a failure type, and the Atheris entry point.

A harness module defines ``test_one_input(data: bytes) -> None`` that raises ``HarnessFailure`` (or any
unexpected exception) when an invariant breaks; Atheris is imported only in ``atheris_main`` so the
harnesses run under plain pytest everywhere (``tests/fuzz/`` replays the corpus through them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

__all__ = ["HarnessFailure", "atheris_main", "check", "chunks", "split_config"]


class HarnessFailure(AssertionError):
    """An invariant of a harness does not hold for this input."""


def check(condition: bool, message: str) -> None:
    """Raise ``HarnessFailure(message)`` unless ``condition`` (unlike ``assert``, survives ``-O``)."""
    if not condition:
        raise HarnessFailure(message)


def split_config(data: bytes) -> tuple[int, bytes]:
    """Use the first byte of a fuzz input as configuration bits and the rest as the byte stream."""
    return (data[0], data[1:]) if data else (0, b"")


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in pieces of ``size`` bytes (the last one shorter)."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


def atheris_main(test_one_input: Callable[[bytes], None]) -> None:
    """Run ``test_one_input`` under coverage-guided Atheris; libFuzzer flags come from ``sys.argv``."""
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]  # the optional 'fuzz' extra, Linux only

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
