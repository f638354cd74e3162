"""The proxy's own frame codec: it must decode any structurally complete frame, legal or not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ws_codec import (
    MAX_FRAME_PAYLOAD,
    Frame,
    FrameTooLarge,
    Op,
    apply_mask,
    close_payload,
    decode_frame,
    encode_frame,
    parse_close,
)

frames = st.builds(
    Frame,
    opcode=st.integers(0, 15),
    payload=st.binary(max_size=300),
    fin=st.booleans(),
    rsv=st.integers(0, 7),
    mask=st.none() | st.binary(min_size=4, max_size=4),
    length_size=st.none() | st.sampled_from([2, 8]),
)


@given(frames)
def test_decode_inverts_encode_whole_and_byte_by_byte(frame: Frame) -> None:
    wire = encode_frame(frame)
    parsed = decode_frame(wire)
    assert parsed is not None
    assert parsed.consumed == len(wire)
    assert parsed.frame.raw == wire
    assert parsed.frame.evolve() == frame.evolve(length_size=parsed.frame.length_size)
    assert all(decode_frame(wire[:n]) is None for n in range(len(wire)))


def test_unchanged_frame_is_forwarded_byte_for_byte() -> None:
    # FIN=1 op=TEXT, MASK=0, 16-bit length 3 (non-minimal on purpose)
    wire = b"\x81\x7e\x00\x03abc"
    parsed = decode_frame(wire + b"\x89\x00")
    assert parsed is not None
    assert (parsed.consumed, parsed.frame.payload, parsed.frame.length_size) == (7, b"abc", 2)
    assert encode_frame(parsed.frame) == wire


def test_evolve_reencodes_a_new_length_minimally() -> None:
    parsed = decode_frame(b"\x89\x7e\x00\x7e" + b"p" * 126)
    assert parsed is not None
    cut = parsed.frame.evolve(payload=b"p" * 125)
    assert encode_frame(cut) == b"\x89\x7d" + b"p" * 125
    assert encode_frame(parsed.frame.evolve(rsv=1))[:4] == b"\x99\x7e\x00\x7e"


def test_length_field_is_never_smaller_than_needed() -> None:
    assert encode_frame(Frame(Op.BINARY, b"x" * 70000, length_size=2))[:2] == b"\x82\x7f"


@pytest.mark.parametrize("length", [MAX_FRAME_PAYLOAD + 1, 2**63 + 4])
def test_oversized_header_raises_frame_too_large(length: int) -> None:
    with pytest.raises(FrameTooLarge, match=str(length)):
        decode_frame(b"\x82\x7f" + length.to_bytes(8, "big"))


def test_mask_is_an_involution() -> None:
    key = b"\x01\x02\x03\x04"
    assert apply_mask(b"hello", key) == bytes(a ^ b for a, b in zip(b"hello", key * 2, strict=False))
    assert apply_mask(apply_mask(b"hello", key), key) == b"hello"


def test_close_payload_round_trip() -> None:
    assert parse_close(close_payload(1002, b"why")) == (1002, b"why")
    assert parse_close(b"\x03") == (None, b"\x03")
    assert close_payload(None, b"dropped") == b""
