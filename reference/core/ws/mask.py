"""WebSocket masking (RFC 6455 §5.3): a C speedup with a pure-Python fallback.

RFC 6455 §5.3: "Octet i of the transformed data ("transformed-octet-i") is the XOR of octet i of the
original data ("original-octet-i") with octet at index i modulo 4 of the masking key ("masking-key-octet-j")".
Masking and unmasking are the same operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Union

from reference.core.ws import speedups

__all__ = ["C_APPLY_MASK", "apply_mask", "py_apply_mask"]

BytesLike = Union[bytes, bytearray, memoryview]  # noqa: UP007  (3.10 evaluates aliases at runtime)

#: Below this size one big-int XOR is fastest; above it, ``bytes.translate`` on the four byte lanes.
_TRANSLATE_ABOVE = 2048
_IDENTITY = int.from_bytes(bytes(range(256)), "big")
_ONES = int.from_bytes(b"\x01" * 256, "big")


def _xor_table(k: int) -> bytes:
    """Return the 256-byte translation table mapping each byte ``b`` to ``b ^ k``."""
    # k * _ONES has every byte equal to k (no carries since k < 256), so one XOR flips all 256 entries.
    return (_IDENTITY ^ (k * _ONES)).to_bytes(256, "big")


def py_apply_mask(data: BytesLike, key: BytesLike) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` repeated, without a per-byte Python loop.

    Args:
        data: The payload to mask or unmask.
        key: The 4-byte masking key.

    Returns:
        The transformed payload.

    Raises:
        ValueError: If ``key`` is not 4 bytes long.
    """
    key = bytes(key)
    if len(key) != 4:
        raise ValueError(f"mask key must be 4 bytes, got {len(key)}")
    n = len(data)
    if n <= _TRANSLATE_ABOVE:
        stream = (key * ((n >> 2) + 1))[:n]
        masked = int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")
        return masked.to_bytes(n, "big")
    # Split the payload into its four byte lanes (i mod 4); each lane is XORed with one key byte.
    data = bytes(data)
    out = bytearray(n)
    for lane in range(4):
        out[lane::4] = data[lane::4].translate(_xor_table(key[lane]))
    return bytes(out)


#: The C implementation, or None when the extension is not built or disabled (tests compare both paths).
C_APPLY_MASK = speedups.C_APPLY_MASK

#: The fastest available implementation: ``apply_mask(data, key) -> bytes``.
apply_mask: Callable[[BytesLike, BytesLike], bytes] = C_APPLY_MASK or py_apply_mask
