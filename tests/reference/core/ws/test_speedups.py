"""The accelerated frame path (``_speedups.read_simple_frame``) against the pure-Python parser, and the
core's fast path that uses it (``Connection.receive_message``) against ``receive_data``.

The C reader must accept a strict subset of what ``FrameParser`` accepts and return the same frame: these
tests compare both on generated streams (well-formed frames, every header rule broken once, random bytes)
and check that the differential harness (fuzz/fuzz_ws_speedups.py) notices a C reader that disagrees.
"""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzz.fuzz_ws_speedups as harness
from fuzz._harness import HarnessFailure
from reference.core.ws import speedups
from reference.core.ws.deflate import DeflateParams
from reference.core.ws.events import BinaryMessage, TextMessage
from reference.core.ws.frames import Frame, FrameParser
from reference.core.ws.mask import py_apply_mask
from reference.core.ws.opcodes import Opcode
from reference.core.ws.protocol import Connection

C_READ = speedups.C_READ_SIMPLE_FRAME
needs_c = pytest.mark.skipif(C_READ is None, reason="the C extension is not built (or disabled)")
KEY = b"\x37\xfa\x21\x3d"


def encode(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, masked: bool = True,
           length_form: str = "minimal") -> bytes:
    """A frame as a client would send it, with the length in the given form (to break §5.2 on purpose)."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | rsv | opcode
    bit = 0x80 if masked else 0
    if length_form == "16" or (length_form == "minimal" and 126 <= n <= 0xFFFF):
        head = bytes((b0, bit | 126)) + struct.pack("!H", n)
    elif length_form == "64" or (length_form == "minimal" and n > 0xFFFF):
        head = bytes((b0, bit | 127)) + struct.pack("!Q", n)
    else:
        head = bytes((b0, bit | n))
    return head + (KEY + py_apply_mask(payload, KEY) if masked else payload)


frames = st.builds(
    encode,
    opcode=st.sampled_from([0, 1, 2, 3, 8, 9, 10, 11, 15]),
    payload=st.one_of(st.binary(max_size=140), st.binary(min_size=126, max_size=300)),
    fin=st.booleans(),
    rsv=st.sampled_from([0, 0, 0, 0x40, 0x20, 0x10]),
    masked=st.booleans() | st.just(True),
    length_form=st.sampled_from(["minimal", "minimal", "minimal", "16", "64"]),
)
configs = st.integers(min_value=0, max_value=255).map(lambda n: bytes((n,)))


@settings(max_examples=150, deadline=None)
@given(config=configs, stream=st.lists(frames, max_size=6).map(b"".join), tail=st.binary(max_size=12))
def test_accelerated_and_pure_python_parsers_agree(config: bytes, stream: bytes, tail: bytes) -> None:
    harness.test_one_input(config + stream + tail)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_they_agree_on_random_bytes(data: bytes) -> None:
    harness.test_one_input(data)


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 5, 7, 9, 13, 200])
@pytest.mark.parametrize("payload", [b"hi", b"x" * 300, b"y" * 70000])
def test_a_frame_split_anywhere_comes_out_whole_once(cut: int, payload: bytes) -> None:
    frame = encode(2, payload)
    for accelerated in (True, False):
        parser = FrameParser(accelerated=accelerated)
        assert list(parser.feed(frame[:cut])) == ([] if cut < len(frame) else [Frame(Opcode.BINARY, payload)])
        rest = list(parser.feed(frame[cut:]))
        assert rest == ([Frame(Opcode.BINARY, payload)] if cut < len(frame) else [])
        assert parser.buffered == 0


@needs_c
@pytest.mark.parametrize(("frame", "why"), [
    (encode(1, b"rsv", rsv=0x40), "RSV1"),
    (encode(3, b""), "reserved opcode"),
    (encode(9, b"p", fin=False), "fragmented ping"),
    (encode(9, b"p" * 126), "long ping"),
    (encode(1, b"ab", length_form="16"), "non-minimal 16-bit length"),
    (encode(1, b"ab" * 70, length_form="64"), "non-minimal 64-bit length"),
    (bytes((0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0)) + KEY, "64-bit length with the MSB set"),
    (encode(1, b"plain", masked=False), "unmasked frame to a server"),
    (encode(2, b"z" * 200), "over the room of 100 bytes"),
])
def test_the_c_reader_declines_what_it_must_leave_to_python(frame: bytes, why: str) -> None:
    assert C_READ is not None
    assert C_READ(frame, 0, True, 100) is None, why


@needs_c
def test_the_c_reader_reads_a_well_formed_frame_at_an_offset() -> None:
    assert C_READ is not None
    stream = b"junk" + encode(1, b"hello") + encode(10, b"")
    assert C_READ(stream, 4, True, -1) == (1, True, b"hello", 4 + 11)
    assert C_READ(stream, 15, True, 0) == (10, True, b"", len(stream))  # control frames: no room needed
    assert C_READ(encode(2, b"abc", masked=False, fin=False), 0, False, 3) == (2, False, b"abc", 5)
    with pytest.raises(ValueError, match="pos out of range"):
        C_READ(stream, len(stream) + 1, True, -1)
    with pytest.raises(TypeError, match="takes 4 arguments"):
        C_READ(stream, 0, True)  # type: ignore[call-arg]


@needs_c
def test_the_harness_catches_a_c_reader_that_changes_a_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    assert C_READ is not None

    def flips_a_bit(data: bytes, pos: int, masked: bool, room: int) -> tuple[int, bool, bytes, int] | None:
        read = C_READ(data, pos, masked, room)  # type: ignore[misc]
        if read is None or not read[2]:
            return read
        return read[0], read[1], bytes((read[2][0] ^ 1,)) + read[2][1:], read[3]

    monkeypatch.setattr(harness, "C_READ_SIMPLE_FRAME", flips_a_bit)
    with pytest.raises(HarnessFailure, match="different frames"):
        harness.test_one_input(b"\x00" + encode(1, b"hello"))


@needs_c
def test_the_harness_catches_a_c_reader_that_accepts_a_bad_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    def accepts_rsv1(data: bytes, pos: int, masked: bool, room: int) -> tuple[int, bool, bytes, int] | None:
        return (1, True, b"rsv", len(data)) if data[pos] & 0x40 else None

    monkeypatch.setattr(harness, "C_READ_SIMPLE_FRAME", accepts_rsv1)
    with pytest.raises(HarnessFailure, match="Python refuses"):
        harness.test_one_input(b"\x00" + encode(1, b"rsv", rsv=0x40))


def test_a_limit_beyond_any_buffer_is_no_limit() -> None:
    # Found by fuzz/fuzz_ws_differential.py: a max_size of 2**63 overflowed the C side's ssize_t (1011).
    stream = encode(1, b"ok") + encode(2, b"z" * 300)
    for accelerated in (True, False):
        parser = FrameParser(max_size=2**63, accelerated=accelerated)
        assert [f.payload for f in parser.feed(stream)] == [b"ok", b"z" * 300]


# -- Connection.receive_message: the core's fast path for one whole message (the harness's invariant 4) ----

text_or_bad = st.one_of(st.text(max_size=40).map(lambda t: t.encode()), st.binary(max_size=40))


@needs_c
@settings(max_examples=200, deadline=None)
@given(stream=st.lists(st.one_of(
    st.builds(encode, opcode=st.sampled_from([1, 2]), payload=text_or_bad),  # the fast path's own input
    frames,
), max_size=6), cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=4),
    max_size=st.sampled_from([16, 64 * 2**20]))
def test_the_fast_path_changes_nothing_but_the_speed(stream: list[bytes], cuts: list[int],
                                                     max_size: int) -> None:
    """Whatever the frames (well-formed, invalid UTF-8, fragmented, control, broken, too big) and however
    they are cut into chunks, the fast path gives the same events, the same bytes and the same state."""
    data = b"".join(stream)
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)] or [b""]
    chunks = list(stream) + chunks  # frame by frame (the fast path's case), then cut anyhow
    assert harness.serve(chunks, fast=True, max_size=max_size) == harness.serve(chunks, fast=False,
                                                                                max_size=max_size)


@needs_c
def test_the_fast_path_takes_only_one_whole_message_on_an_open_connection() -> None:
    conn = Connection()
    text = encode(1, "héllo".encode())
    assert conn.receive_message(text, 1.0) == TextMessage("héllo")
    assert conn.receive_message(encode(2, b"\x00\xff"), 2.0) == BinaryMessage(b"\x00\xff")
    assert conn.events_received() == []
    assert conn.data_to_send() == []
    for declined in (text + text,                      # two frames
                     text[:-1],                        # part of one
                     encode(1, b"a", fin=False),       # a fragment
                     encode(9, b"p"),                  # a control frame
                     encode(1, b"\xff"),               # invalid UTF-8: receive_data fails it with 1007
                     encode(1, b"a", masked=False)):   # unmasked: receive_data fails it with 1002
        assert Connection().receive_message(declined, 1.0) is None
    partial = Connection()
    partial.receive_data(text[:3], 1.0)
    assert partial.receive_message(text, 2.0) is None  # input is buffered: the frame is not at the start
    closed = Connection()
    closed.receive_data(encode(8, b"\x03\xe8"), 1.0)
    assert closed.receive_message(text, 2.0) is None
    assert Connection(deflate=DeflateParams()).receive_message(text, 1.0) is None
