#!/usr/bin/env python3
"""Differential fuzzing: our server core against ``wsproto`` and ``websockets`` on the same client bytes.

Input: byte 0 is ignored (kept so the seeds share the other harnesses' layout); the rest is what a
client sends. Invariant: the three reactions agree, or a documented rule explains the difference
(``fuzz.differential.RULES``, listed with RFC citations in ``docs/differential.md``).
"""

from __future__ import annotations

from fuzz._harness import atheris_main, check, split_config
from fuzz.differential import compare

__all__ = ["test_one_input"]


def test_one_input(data: bytes) -> None:
    """Check that no unexplained difference exists for one input."""
    _, stream = split_config(data)
    differences = compare(stream)
    check(not differences, f"unexplained difference: {differences[:1]!r}")


if __name__ == "__main__":
    atheris_main(test_one_input)
