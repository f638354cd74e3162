"""Tests for reference/core/ws/frames.py: FrameParser and serialize_frame (RFC 6455 §5)."""

from __future__ import annotations

import re
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.core.errors import LocalProtocolError, PayloadTooBig
from reference.core.ws.frames import Frame, FrameParser, serialize_frame
from reference.core.ws.opcodes import Opcode

KEY = b"\x37\xfa\x21\x3d"  # the masking key of the RFC 6455 §5.7 examples


def mask_by_hand(payload: bytes, key: bytes = KEY) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def raw(b0: int, payload: bytes = b"", *, masked: bool = True, length: bytes | None = None) -> bytes:
    """Build a frame by hand. ``b0`` is FIN|RSV|opcode; ``length`` overrides the 7-bit code + extension."""
    if length is None:
        n = len(payload)
        length = bytes([n]) if n < 126 else b"\x7e" + struct.pack("!H", n) if n < 65536 else (
            b"\x7f" + struct.pack("!Q", n))
    mask_bit = 0x80 if masked else 0
    body = KEY + mask_by_hand(payload) if masked else payload
    return bytes([b0, length[0] | mask_bit]) + length[1:] + body


def parse_all(data: bytes, **kwargs: object) -> list[Frame]:
    parser = FrameParser(**kwargs)  # type: ignore[arg-type]
    frames = list(parser.feed(data))
    parser.feed_eof()
    return frames


def parse_byte_by_byte(data: bytes, **kwargs: object) -> list[Frame]:
    parser = FrameParser(**kwargs)  # type: ignore[arg-type]
    frames = [frame for i in range(len(data)) for frame in parser.feed(data[i : i + 1])]
    parser.feed_eof()
    return frames


# (id, wire bytes, expected frame); all masked, as a server receives them.
VALID = [
    ("rfc-5.7-masked-hello", bytes.fromhex("818537fa213d7f9f4d5158"), Frame(Opcode.TEXT, b"Hello")),
    ("empty-text", raw(0x81), Frame(Opcode.TEXT)),
    ("first-fragment", raw(0x01, b"Hel"), Frame(Opcode.TEXT, b"Hel", fin=False)),
    ("continuation", raw(0x00, b"lo"), Frame(Opcode.CONT, b"lo", fin=False)),
    ("last-continuation", raw(0x80, b"lo"), Frame(Opcode.CONT, b"lo")),
    ("binary-125", raw(0x82, bytes(range(125))), Frame(Opcode.BINARY, bytes(range(125)))),
    ("binary-126-16-bit", raw(0x82, b"x" * 126), Frame(Opcode.BINARY, b"x" * 126)),
    ("binary-65535-16-bit", raw(0x82, b"y" * 65535), Frame(Opcode.BINARY, b"y" * 65535)),
    ("binary-65536-64-bit", raw(0x82, b"z" * 65536), Frame(Opcode.BINARY, b"z" * 65536)),
    ("ping-125", raw(0x89, b"p" * 125), Frame(Opcode.PING, b"p" * 125)),
    ("pong", raw(0x8A, b"Hello"), Frame(Opcode.PONG, b"Hello")),
    ("close-empty", raw(0x88), Frame(Opcode.CLOSE)),
    ("close-1000", raw(0x88, b"\x03\xe8bye"), Frame(Opcode.CLOSE, b"\x03\xe8bye")),
]

# (id, wire bytes, parser options, error class, message, number of bytes after which it must raise)
INVALID = [
    ("rsv1", raw(0xC1, b"Hello"), {}, LocalProtocolError, "reserved bits must be 0, got rsv=0b100", 2),
    ("rsv2", raw(0xA1, b"Hello"), {}, LocalProtocolError, "reserved bits must be 0, got rsv=0b010", 2),
    ("rsv3", raw(0x91, b"Hello"), {}, LocalProtocolError, "reserved bits must be 0, got rsv=0b001", 2),
    ("rsv-all", raw(0xF2), {}, LocalProtocolError, "reserved bits must be 0, got rsv=0b111", 2),
    *[(f"reserved-opcode-{op:#x}", raw(0x80 | op), {}, LocalProtocolError, f"reserved opcode {op:#x}", 2)
      for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)],
    ("fragmented-ping", raw(0x09, b"x"), {}, LocalProtocolError, "fragmented control frame (PING)", 2),
    ("fragmented-close", raw(0x08), {}, LocalProtocolError, "fragmented control frame (CLOSE)", 2),
    ("ping-126", raw(0x89, b"x" * 126), {}, LocalProtocolError,
     "control frame too long (PING, length code 126)", 2),
    ("pong-64-bit", raw(0x8A, b"", length=b"\x7f" + bytes(8)), {}, LocalProtocolError,
     "control frame too long (PONG, length code 127)", 2),
    ("unmasked-to-server", raw(0x81, b"Hello", masked=False), {}, LocalProtocolError,
     "frame is not masked", 2),
    ("masked-to-client", raw(0x81, b"Hello"), {"mask": False}, LocalProtocolError, "frame is masked", 2),
    ("non-minimal-16-bit-125", raw(0x82, b"x" * 125, length=b"\x7e\x00\x7d"), {}, LocalProtocolError,
     "non-minimal length encoding: 125 in 16 bits", 4),
    ("non-minimal-16-bit-0", raw(0x82, b"", length=b"\x7e\x00\x00"), {}, LocalProtocolError,
     "non-minimal length encoding: 0 in 16 bits", 4),
    ("non-minimal-64-bit-65535", raw(0x82, b"", length=b"\x7f" + struct.pack("!Q", 65535)), {},
     LocalProtocolError, "non-minimal length encoding: 65535 in 64 bits", 10),
    ("non-minimal-64-bit-5", raw(0x82, b"", length=b"\x7f" + struct.pack("!Q", 5)), {},
     LocalProtocolError, "non-minimal length encoding: 5 in 64 bits", 10),
    ("64-bit-msb-set", raw(0x82, b"", length=b"\x7f\x80" + bytes(7)), {}, LocalProtocolError,
     "64-bit length with the most significant bit set: 0x8000000000000000", 10),
    ("too-big-7-bit", raw(0x82, b"x" * 11), {"max_size": 10}, PayloadTooBig,
     "frame payload of 11 bytes exceeds the limit of 10", 2),
    ("too-big-16-bit", raw(0x82, b"x" * 300), {"max_size": 299}, PayloadTooBig,
     "frame payload of 300 bytes exceeds the limit of 299", 4),
    ("too-big-64-bit-not-buffered", raw(0x82, b"", length=b"\x7f" + struct.pack("!Q", 2**40)),
     {"max_size": 2**20}, PayloadTooBig, f"frame payload of {2**40} bytes exceeds the limit of {2**20}", 10),
]


def ids(table: list[tuple[object, ...]]) -> list[str]:
    return [str(row[0]) for row in table]


@pytest.mark.parametrize(("wire", "frame"), [r[1:] for r in VALID], ids=ids(VALID))
def test_server_parses_valid_frame_whole(wire: bytes, frame: Frame) -> None:
    assert parse_all(wire) == [frame]


# Byte by byte over the 64 KiB frames is slow; the hypothesis chunking test covers them.
SMALL_VALID = [r for r in VALID if len(r[1]) < 1000]


@pytest.mark.parametrize(("wire", "frame"), [r[1:] for r in SMALL_VALID], ids=ids(SMALL_VALID))
def test_server_parses_valid_frame_byte_by_byte(wire: bytes, frame: Frame) -> None:
    assert parse_byte_by_byte(wire) == [frame]


def test_server_parses_all_valid_frames_in_one_buffer_and_byte_by_byte() -> None:
    stream = b"".join(r[1] for r in SMALL_VALID)
    assert parse_all(stream) == parse_byte_by_byte(stream) == [r[2] for r in SMALL_VALID]


@pytest.mark.parametrize(("wire", "frame"), [r[1:] for r in VALID], ids=ids(VALID))
def test_input_cut_before_the_end_of_a_frame_fails_at_eof(wire: bytes, frame: Frame) -> None:
    for cut in sorted({1, len(wire) // 2, len(wire) - 1}):
        parser = FrameParser()
        assert list(parser.feed(wire[:cut])) == []
        assert parser.buffered == cut
        with pytest.raises(LocalProtocolError, match=f"input ended in the middle of a frame \\({cut} bytes"):
            parser.feed_eof()


def test_client_parses_unmasked_rfc_example() -> None:
    wire = bytes.fromhex("810548656c6c6f")  # RFC 6455 §5.7: a single-frame unmasked text message
    expected = [Frame(Opcode.TEXT, b"Hello")]
    assert parse_all(wire, mask=False) == parse_byte_by_byte(wire, mask=False) == expected
    big = raw(0x82, b"q" * 5000, masked=False)
    assert parse_all(big, mask=False) == [Frame(Opcode.BINARY, b"q" * 5000)]


@pytest.mark.parametrize(("wire", "options", "error", "message", "fails_at"), [r[1:] for r in INVALID],
                         ids=ids(INVALID))
def test_invalid_frame_fails_as_soon_as_the_header_shows_it(
    wire: bytes, options: dict[str, object], error: type[Exception], message: str, fails_at: int
) -> None:
    parser = FrameParser(**options)  # type: ignore[arg-type]
    for i in range(fails_at - 1):
        assert list(parser.feed(wire[i : i + 1])) == []
    with pytest.raises(error, match=f"^{re.escape(message)}$") as info:
        list(parser.feed(wire[fails_at - 1 : fails_at]))
    assert type(info.value) is error


@pytest.mark.parametrize(("wire", "options", "error", "message", "fails_at"), [r[1:] for r in INVALID],
                         ids=ids(INVALID))
def test_invalid_frame_fails_when_fed_whole_after_the_frames_before_it(
    wire: bytes, options: dict[str, object], error: type[Exception], message: str, fails_at: int
) -> None:
    good = raw(0x8A, b"ok", masked=options.get("mask", True) is True)
    frames = []
    with pytest.raises(error, match=re.escape(message)):
        frames.extend(FrameParser(**options).feed(good + wire))  # type: ignore[arg-type]
    assert frames == [Frame(Opcode.PONG, b"ok")]


def test_payload_of_exactly_max_size_is_accepted() -> None:
    assert parse_all(raw(0x82, b"x" * 10), max_size=10) == [Frame(Opcode.BINARY, b"x" * 10)]


def test_max_size_can_change_between_frames() -> None:
    parser = FrameParser(max_size=100)
    assert list(parser.feed(raw(0x82, b"x" * 50))) == [Frame(Opcode.BINARY, b"x" * 50)]
    parser.max_size = 49
    with pytest.raises(PayloadTooBig):
        list(parser.feed(raw(0x82, b"x" * 50)))


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_feed_accepts_any_bytes_like_and_keeps_leftovers(wrap: type) -> None:
    first, second = raw(0x81, b"abc"), raw(0x82, b"d" * 2000)
    stream = first + second
    parser = FrameParser()
    assert list(parser.feed(wrap(stream[:5]))) == []
    assert list(parser.feed(wrap(stream[5:20]))) == [Frame(Opcode.TEXT, b"abc")]
    assert list(parser.feed(wrap(stream[20:100]))) == []
    assert list(parser.feed(wrap(stream[100:]))) == [Frame(Opcode.BINARY, b"d" * 2000)]
    assert parser.buffered == 0
    assert list(parser.feed(b"")) == []


def test_fed_bytearray_is_copied_so_the_caller_may_reuse_it() -> None:
    buffer = bytearray(raw(0x81, b"ab")[:4])
    parser = FrameParser()
    assert list(parser.feed(buffer)) == []
    buffer[:] = b"\x00" * 4
    assert list(parser.feed(raw(0x81, b"ab")[4:])) == [Frame(Opcode.TEXT, b"ab")]


class TestPartialPayload:
    """The part of a frame's payload that arrived, for fail-fast validation of long text frames."""

    @pytest.mark.parametrize("start", [0, 1, 2, 3, 4, 5, 9])
    @pytest.mark.parametrize("masked", [True, False])
    def test_partial_payload_is_unmasked_from_any_offset(self, start: int, masked: bool) -> None:
        payload = bytes(range(200))
        wire = raw(0x01, payload, masked=masked)
        parser = FrameParser(mask=masked)
        header = 8 if masked else 4
        assert list(parser.feed(wire[: header + 30])) == []
        assert parser.pending_opcode is Opcode.TEXT
        assert parser.partial_payload(start) == payload[start:30]
        assert parser.partial_payload(30) == b""

    def test_nothing_pending_before_a_header_or_after_a_frame(self) -> None:
        parser = FrameParser()
        assert parser.pending_opcode is None
        assert parser.partial_payload(0) == b""
        wire = raw(0x81, b"x" * 200)
        list(parser.feed(wire[:3]))  # the 16-bit length is not complete yet
        assert parser.pending_opcode is None
        assert list(parser.feed(wire[3:])) == [Frame(Opcode.TEXT, b"x" * 200)]
        assert parser.pending_opcode is None

    def test_partial_payload_survives_buffer_compaction(self) -> None:
        first, second = raw(0x82, b"a"), raw(0x01, b"hello world")
        parser = FrameParser()
        assert list(parser.feed(first + second[:10])) == [Frame(Opcode.BINARY, b"a")]
        assert parser.partial_payload(0) == b"hell"
        assert list(parser.feed(second[10:12])) == []  # compacts: the pending frame moves to offset 0
        assert parser.partial_payload(1) == b"ello "


# serialize_frame


@pytest.mark.parametrize(("size", "header"), [
    (0, b"\x82\x00"), (125, b"\x82\x7d"), (126, b"\x82\x7e\x00\x7e"), (65535, b"\x82\x7e\xff\xff"),
    (65536, b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
])
def test_server_serializes_with_the_minimal_length_encoding(size: int, header: bytes) -> None:
    wire = serialize_frame(Frame(Opcode.BINARY, b"\x00" * size))
    assert wire == header + b"\x00" * size


def test_serialize_masked_rfc_example() -> None:
    assert serialize_frame(Frame(Opcode.TEXT, b"Hello"), KEY) == bytes.fromhex("818537fa213d7f9f4d5158")


def test_serialize_sets_fin_and_rsv_bits() -> None:
    frame = Frame(Opcode.TEXT, b"", fin=False, rsv1=True, rsv2=False, rsv3=True)
    assert serialize_frame(frame) == b"\x51\x00"  # FIN=0 RSV1=1 RSV2=0 RSV3=1 op=TEXT


@pytest.mark.parametrize(("frame", "message"), [
    (Frame(Opcode.PING, b"x" * 126), "control frame must be final and <= 125 bytes: PING of 126"),
    (Frame(Opcode.CLOSE, b"", fin=False), "control frame must be final and <= 125 bytes: CLOSE of 0"),
])
def test_serialize_refuses_invalid_control_frames(frame: Frame, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=f"^{re.escape(message)}$"):
        serialize_frame(frame)


def test_serialize_refuses_a_bad_mask_key() -> None:
    with pytest.raises(LocalProtocolError, match="mask key must be 4 bytes, got 3"):
        serialize_frame(Frame(Opcode.TEXT, b"x"), b"abc")


# Properties

data_frames = st.builds(
    Frame,
    opcode=st.sampled_from([Opcode.CONT, Opcode.TEXT, Opcode.BINARY]),
    payload=st.one_of(st.binary(max_size=200), st.sampled_from([b"x" * 126, b"y" * 65535, b"z" * 65536])),
    fin=st.booleans(),
)
control_frames = st.builds(
    Frame, opcode=st.sampled_from([Opcode.CLOSE, Opcode.PING, Opcode.PONG]), payload=st.binary(max_size=125)
)
frames = st.one_of(data_frames, control_frames)


@given(frame=frames, key=st.binary(min_size=4, max_size=4))
def test_serialize_then_parse_is_identity(frame: Frame, key: bytes) -> None:
    assert parse_all(serialize_frame(frame, key)) == [frame]
    assert parse_all(serialize_frame(frame), mask=False) == [frame]


@given(frames=st.lists(frames, max_size=6), key=st.binary(min_size=4, max_size=4), data=st.data())
def test_any_chunking_gives_the_same_frames(frames: list[Frame], key: bytes, data: st.DataObject) -> None:
    stream = b"".join(serialize_frame(frame, key) for frame in frames)
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=10)))
    parser, got, last = FrameParser(), [], 0
    for cut in [*cuts, len(stream)]:
        got.extend(parser.feed(stream[last:cut]))
        last = cut
    parser.feed_eof()
    assert got == frames


@given(data=st.binary(max_size=300), mask=st.booleans(), cut=st.integers(min_value=0, max_value=300))
def test_any_input_gives_frames_or_a_documented_error(data: bytes, mask: bool, cut: int) -> None:
    """Fuzz invariant: any bytes parse or raise LocalProtocolError, the same in any chunking."""

    def run(chunks: list[bytes]) -> tuple[list[Frame], str | None]:
        parser, frames = FrameParser(mask=mask, max_size=200), []
        try:
            for chunk in chunks:
                frames.extend(parser.feed(chunk))
        except LocalProtocolError as exc:
            return frames, str(exc)
        return frames, None

    assert run([data]) == run([data[:cut], data[cut:]]) == run([data[i : i + 1] for i in range(len(data))])
