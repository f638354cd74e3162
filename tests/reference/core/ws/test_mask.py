"""Tests for reference/core/ws/mask.py: the C speedup and the pure-Python fallback agree."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.core.ws import speedups
from reference.core.ws.mask import C_APPLY_MASK, apply_mask, py_apply_mask

Masker = Callable[[bytes | bytearray | memoryview, bytes | bytearray | memoryview], bytes]
IMPLEMENTATIONS: list[Masker] = [py_apply_mask] + ([C_APPLY_MASK] if C_APPLY_MASK else [])


def reference_mask(data: bytes, key: bytes) -> bytes:
    """The RFC 6455 §5.3 definition, byte by byte."""
    return bytes(byte ^ key[i % 4] for i, byte in enumerate(data))


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                    reason="no C compiler: the optional extension cannot be built")
def test_c_speedup_is_built_and_used() -> None:
    """With a compiler, installing builds the extension; a silent fallback would hide a broken build."""
    assert C_APPLY_MASK is not None
    assert apply_mask is C_APPLY_MASK


@pytest.mark.parametrize("impl", IMPLEMENTATIONS, ids=lambda f: f.__module__)
@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 125, 2047, 2048, 2049, 65536 + 3])
def test_mask_matches_the_definition(impl: Masker, size: int) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    key = b"\x12\x34\xab\xff"
    assert impl(data, key) == reference_mask(data, key)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS, ids=lambda f: f.__module__)
@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_mask_accepts_any_bytes_like(impl: Masker, wrap: Callable[[bytes], bytes]) -> None:
    data = b"Hello, world! " * 300
    assert impl(wrap(data), wrap(b"abcd")) == reference_mask(data, b"abcd")


@pytest.mark.parametrize("impl", IMPLEMENTATIONS, ids=lambda f: f.__module__)
@pytest.mark.parametrize("key", [b"", b"abc", b"abcde"])
def test_mask_rejects_keys_that_are_not_4_bytes(impl: Masker, key: bytes) -> None:
    with pytest.raises(ValueError, match=f"mask key must be 4 bytes, got {len(key)}"):
        impl(b"data", key)


@given(data=st.binary(max_size=5000), key=st.binary(min_size=4, max_size=4))
def test_both_paths_agree_and_masking_twice_is_identity(data: bytes, key: bytes) -> None:
    masked = py_apply_mask(data, key)
    assert apply_mask(data, key) == masked
    assert apply_mask(masked, key) == data


def test_fallback_when_the_extension_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "reference.core.ws._speedups", None)  # import fails as if not built
    assert speedups._load() == (None, "pure Python (C speedups not built)")


def test_fallback_when_the_extension_is_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(speedups.DISABLE_ENV, "1")
    assert speedups._load() == (None, f"pure Python (C speedups disabled by {speedups.DISABLE_ENV})")


@pytest.mark.skipif(C_APPLY_MASK is None, reason="the C extension is not built")
def test_c_apply_mask_checks_its_arguments() -> None:
    assert C_APPLY_MASK is not None
    with pytest.raises(TypeError, match="takes 2 arguments, got 1"):
        C_APPLY_MASK(b"data")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="bytes-like"):
        C_APPLY_MASK("text", b"abcd")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes-like"):
        C_APPLY_MASK(b"data", "abcd")  # type: ignore[arg-type]
