"""Replay every seed, every input Atheris kept and every saved reproducer through its harness.

This is how the harnesses run where Atheris does not install: each file of ``fuzz/corpus/<harness>/``
and ``fuzz/regressions/<harness>/`` is one test. A crash Atheris finds is saved under
``fuzz/regressions/<harness>/`` (by ``python -m fuzz.run``) and becomes a test here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
HARNESSES = sorted(p.stem for p in FUZZ.glob("fuzz_*.py"))
INPUTS = sorted(p for name in HARNESSES for folder in ("corpus", "regressions")
                for p in (FUZZ / folder / name).glob("*") if p.is_file())


def _harness(name: str) -> Callable[[bytes], None]:
    return importlib.import_module(f"fuzz.{name}").test_one_input  # type: ignore[no-any-return]


def test_every_harness_has_a_seed_corpus_dict_and_options() -> None:
    assert set(HARNESSES) == {"fuzz_ws_frames", "fuzz_ws_protocol", "fuzz_ws_handshake", "fuzz_wire_reader",
                              "fuzz_ws_client", "fuzz_ws_differential", "fuzz_sse_encoder", "fuzz_sse_parser",
                              "fuzz_http_reader", "fuzz_ws_deflate", "fuzz_sio_decoder",
                              "fuzz_eio_packets", "fuzz_ws_speedups"}
    for name in HARNESSES:
        assert len(list((FUZZ / "corpus" / name).glob("seed-*"))) >= 10, name
        assert (FUZZ / f"{name}.dict").is_file()
        assert f"dict = {name}.dict" in (FUZZ / f"{name}.options").read_text()


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: f"{p.parent.name}/{p.name[:24]}")
def test_input_keeps_the_invariants(path: Path) -> None:
    _harness(path.parent.name)(path.read_bytes())
