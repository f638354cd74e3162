"""The Socket.IO harness (``fuzz/fuzz_sio_decoder.py``) can fail: each invariant broken once."""

from __future__ import annotations

import pytest

from fuzz import fuzz_sio_decoder
from fuzz._harness import HarnessFailure
from reference.core.sio import decoder, packets, session
from reference.core.sio.errors import Reaction

CONFIG = b"\x03"
BINARY = b'0\x1e51-["message",{"_placeholder":true,"num":0}]\x1e\x00\x01'


def test_valid_and_invalid_streams_pass() -> None:
    for stream in (BINARY, b"0\x1e2{}", b"\x00x", b"abc", b"0/random\x1e0\x1e1"):
        fuzz_sio_decoder.test_one_input(CONFIG + stream)


def test_an_exception_other_than_the_codec_errors_is_not_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, *, max_attachments: int) -> packets.Header:
        raise ValueError("unexpected")
    monkeypatch.setattr(decoder, "parse_header", broken)
    with pytest.raises(ValueError, match="unexpected"):
        fuzz_sio_decoder.test_one_input(CONFIG + b"0")


def test_attachment_bytes_past_the_bound_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = decoder.Decoder.receive_binary

    def lax(self: decoder.Decoder, data: bytes) -> packets.Packet | None:  # enforces no bound
        bound, self.max_attachment_bytes = self.max_attachment_bytes, 10**9
        try:
            return real(self, data)
        finally:
            self.max_attachment_bytes = bound
    monkeypatch.setattr(decoder.Decoder, "receive_binary", lax)
    two = b'52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
    with pytest.raises(HarnessFailure, match="holds 20 attachment bytes"):
        fuzz_sio_decoder.test_one_input(b"\x07" + b"0\x1e" + two + b"\x1e\x00" + b"x" * 20)


def test_a_roundtrip_that_changes_the_packet_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = packets.encode
    monkeypatch.setattr(fuzz_sio_decoder, "encode",
                        lambda p: [str(real(p)[0]).replace('"message"', '"massage"'), *real(p)[1:]])
    with pytest.raises(HarnessFailure, match="decodes back"):
        fuzz_sio_decoder.test_one_input(CONFIG + b'2["message",1]')


def test_a_session_that_does_not_fail_with_the_decoder_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "reaction_for", lambda exc: Reaction.IGNORE)
    with pytest.raises(HarnessFailure, match="the session did not"):
        fuzz_sio_decoder.test_one_input(CONFIG + b"0\x1e2{}")


def test_output_that_does_not_decode_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = session.encode
    monkeypatch.setattr(session, "encode", lambda p: [*real(p), b"extra"])
    with pytest.raises(HarnessFailure, match="does not decode"):
        fuzz_sio_decoder.test_one_input(CONFIG + b'0\x1e2["message",1]')
