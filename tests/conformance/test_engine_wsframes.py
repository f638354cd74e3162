"""The runner's frame builder and strict reader, and the judging of server frames."""

from __future__ import annotations

import pytest

from conformance.wire.wsframes import (
    BINARY,
    CLOSE,
    PING,
    TEXT,
    Frame,
    FrameReader,
    FrameTooLarge,
    apply_mask,
    close_payload,
    frame,
)
from conformance.wire.wsrecv import CloseFrame, Message, Ping, Receiver, close_code_problem


def test_frame_minimal_masked_text() -> None:
    data = frame(TEXT, b"Hello", mask_key=b"\x37\xfa\x21\x3d")
    # RFC 6455 §5.7 example: a masked "Hello"
    assert data == bytes.fromhex("818537fa213d7f9f4d5158")


@pytest.mark.parametrize(("kwargs", "head"), [
    ({"rsv1": True, "mask": False}, "c105"),
    ({"fin": False, "rsv2": True, "rsv3": True, "mask": False}, "3105"),
    ({"length_bytes": 2, "mask": False}, "817e0005"),
    ({"length_bytes": 8, "mask": False}, "817f0000000000000005"),
    ({"length": 2**63 + 1, "mask": False}, "817f8000000000000001"),
])
def test_frame_overrides(kwargs: dict[str, object], head: str) -> None:
    assert frame(TEXT, b"Hello", **kwargs).hex().startswith(head)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"length_bytes": 0, "length": 126}, "does not fit the 7-bit field"),
    ({"length_bytes": 2, "length": 2**16}, "does not fit 16 bits"),
    ({"length_bytes": 3}, "length_bytes must be 0, 2 or 8"),
    ({"mask_key": b"abc"}, "mask key must be 4 bytes"),
])
def test_frame_rejects_impossible_fields(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        frame(TEXT, b"x", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="opcode must be 0-15"):
        frame(16)


def test_apply_mask_is_its_own_inverse() -> None:
    data = bytes(range(256)) * 3 + b"x"
    assert apply_mask(apply_mask(data, b"abcd"), b"abcd") == data
    assert apply_mask(b"", b"abcd") == b""


def test_close_payload() -> None:
    assert close_payload(1000, "bye") == b"\x03\xe8bye"
    assert close_payload(None) == b""
    with pytest.raises(ValueError, match="needs a code"):
        close_payload(None, "x")


def test_reader_decodes_byte_by_byte_and_flags_everything() -> None:
    wire = (frame(TEXT, b"hi", mask=False, length_bytes=2) + frame(PING, b"p", mask_key=b"\1\2\3\4")
            + frame(BINARY, b"b" * 300, mask=False, rsv3=True))
    reader = FrameReader(1 << 20)
    frames: list[Frame] = []
    for i in range(len(wire)):
        frames += reader.feed(wire[i:i + 1])
    assert [(f.opcode, f.payload[:2], f.masked, f.minimal, f.rsv3) for f in frames] == [
        (TEXT, b"hi", False, False, False), (PING, b"p", True, True, False),
        (BINARY, b"bb", False, True, True)]
    assert reader.buffered == 0
    assert FrameReader(1 << 20).feed(wire) == frames


def test_reader_refuses_a_huge_declared_length_before_buffering() -> None:
    reader = FrameReader(1 << 20)
    with pytest.raises(FrameTooLarge, match=str(2**63)):
        reader.feed(bytes.fromhex("827f8000000000000000"))
    assert reader.buffered == 10


def _feed(frames: list[Frame]) -> tuple[list[object], list[str]]:
    r = Receiver()
    return [r.feed(f) for f in frames], r.deviations


def test_receiver_assembles_fragments_and_reports_events() -> None:
    events, deviations = _feed([Frame(TEXT, b"He", fin=False), Frame(PING, b"x"), Frame(0, b"llo"),
                                Frame(CLOSE, close_payload(1000, "ok"))])
    assert events == [None, Ping(b"x"), Message(b"Hello"), CloseFrame(1000, "ok", b"\x03\xe8ok")]
    assert deviations == []


@pytest.mark.parametrize(("frames", "fragment"), [
    ([Frame(TEXT, b"x", masked=True)], "masked server frame"),
    ([Frame(TEXT, b"x", rsv1=True)], "rsv bits"),
    ([Frame(TEXT, b"x", length_bytes=2, minimal=False)], "non-minimal length"),
    ([Frame(0x3, b"")], "reserved opcode 0x3"),
    ([Frame(PING, b"x", fin=False)], "invalid control frame"),
    ([Frame(0, b"x")], "continuation frame with no message"),
    ([Frame(TEXT, b"a", fin=False), Frame(BINARY, b"b")], "inside a fragmented message"),
    ([Frame(TEXT, b"\xed\xa0\x80")], "not valid utf-8"),
    ([Frame(CLOSE, b"\x03")], "1-byte payload"),
    ([Frame(CLOSE, close_payload(1005))], "must never be sent"),
    ([Frame(CLOSE, b"\x03\xe8\xff")], "close reason is not utf-8"),
    ([Frame(CLOSE, b""), Frame(TEXT, b"late")], "after the target's close frame"),
])
def test_receiver_records_deviations(frames: list[Frame], fragment: str) -> None:
    _, deviations = _feed(frames)
    assert any(fragment in d for d in deviations), deviations


@pytest.mark.parametrize(("code", "ok"), [
    (1000, True), (1003, True), (1004, False), (1012, True), (1014, True), (1015, False), (1016, False),
    (2999, False), (3000, True), (4999, True), (5000, False), (999, False)])
def test_close_code_validity(code: int, ok: bool) -> None:
    assert (close_code_problem(code) is None) is ok


def test_transcript_caps_entries_and_stored_bytes() -> None:
    from conformance.wire.transcript import Transcript

    tr = Transcript(max_entry_bytes=10, max_entries=5, max_total_bytes=25, tail_entries=0)
    for _ in range(7):
        tr.received(b"x" * 100)
    assert [len(e.data) for e in tr.entries[:5]] == [10, 10, 5, 0, 0]
    assert all(e.length == 100 for e in tr.entries[:5])
    assert tr.dropped == 2
    assert "2 entries not recorded" in tr.entries[5].text
    assert "(100 bytes)" in tr.entries[0].render()


def test_transcript_keeps_a_head_and_a_tail_with_the_gap_counted() -> None:
    from conformance.wire.transcript import Transcript

    tr = Transcript(max_entry_bytes=10, max_entries=6, max_total_bytes=15, tail_entries=2, tail_bytes=12,
                    max_text=8)
    for i in range(10):
        tr.received(bytes([65 + i]) * 100)
    tr.note("the case ended with a long note")
    kept = tr.entries
    assert [len(e.data) for e in kept[:4]] == [10, 5, 0, 0]
    assert "5 entries not recorded" in kept[4].text
    assert kept[5].data == b"JJ", "the tail's data stays within tail_bytes"
    assert kept[5].length == 100
    assert len(kept[6].data) == 0
    assert kept[6].text == "the cas…"
    assert tr.dropped == 5
    assert len(kept) == 7
    assert tr.tail(1) == kept[-1:]
    assert tr.tail(0) == []
