"""The permessage-deflate harness (``fuzz/fuzz_ws_deflate.py``) can fail: each invariant broken once."""

from __future__ import annotations

import zlib

import pytest

from fuzz import fuzz_ws_deflate
from fuzz._harness import HarnessFailure
from reference.core.ws import deflate


def payload(data: bytes) -> bytes:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return (comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]


ROOM_4096 = bytes([2 << 1])


def test_valid_and_invalid_payloads_pass() -> None:
    for data in (payload(b"hello" * 50), payload(b"\x00" * 100_000), b"\xff\xff", b"\x00"):
        fuzz_ws_deflate.test_one_input(ROOM_4096 + data)


def test_an_exception_other_than_1007_and_1009_is_not_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deflate, "InvalidCompressedData", type("Other", (Exception,), {}))
    with pytest.raises(Exception, match="does not inflate") as caught:
        fuzz_ws_deflate.test_one_input(ROOM_4096 + b"\xff\xff")
    assert type(caught.value).__name__ == "Other"


def test_output_past_the_room_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deflate, "_INFLATE_STEP", 10**9)
    real = deflate._inflate_into
    monkeypatch.setattr(deflate, "_inflate_into",
                        lambda parts, d, data, room, **kw: real(parts, d, data, room + 10**6, **kw))
    with pytest.raises(HarnessFailure, match="into a room of 4096"):
        fuzz_ws_deflate.test_one_input(ROOM_4096 + payload(b"\x00" * 100_000))


def test_a_chunking_dependent_result_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = deflate.PerMessageDeflate.inflate

    def adds_a_byte_after_1_byte_frames(self: deflate.PerMessageDeflate, data: bytes, *, final: bool,
                                        room: int) -> bytes:
        out = real(self, data, final=final, room=room)
        return out + b"!" if len(data) == 1 and final else out

    monkeypatch.setattr(deflate.PerMessageDeflate, "inflate", adds_a_byte_after_1_byte_frames)
    with pytest.raises(HarnessFailure, match="frames inflate differently"):
        fuzz_ws_deflate.test_one_input(ROOM_4096 + payload(b"hello, chunked world " * 20))


def test_a_disagreement_with_zlib_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # Junk after a final block accepted in every fragmentation alike: only the comparison with zlib sees it.
    class Junk(Exception):
        pass

    monkeypatch.setattr(deflate, "InvalidCompressedData", Junk)
    real = deflate._inflate_into

    def accepts_junk(parts: list[bytes], decompressor: zlib._Decompress, data: bytes, room: int, *,
                     trailer: bool = False) -> int:
        try:
            return real(parts, decompressor, data, room, trailer=trailer)
        except Junk:
            return room

    monkeypatch.setattr(deflate, "_inflate_into", accepts_junk)
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    ended = comp.compress(b"abc") + comp.flush(zlib.Z_FINISH)
    with pytest.raises(HarnessFailure, match="zlib says"):
        fuzz_ws_deflate.test_one_input(ROOM_4096 + ended + b"junk")


def test_a_broken_compressed_echo_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deflate.PerMessageDeflate, "deflate", lambda self, data: data)
    with pytest.raises(HarnessFailure, match="compressed echo"):
        fuzz_ws_deflate.test_one_input(ROOM_4096 + payload(b"echo me " * 30))
