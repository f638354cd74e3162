"""Tests for reference/core/ws/utf8.py: fail-fast incremental validation (RFC 6455 §8.1).

The invalid sequences are from Markus Kuhn's "UTF-8 decoder capability and stress test" (sections 3-5),
as used by Autobahn 6.x. ``fails_at`` is the index of the first byte after which no continuation can
make the input valid: the validator must raise on exactly that byte when fed byte by byte.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.core.errors import InvalidUtf8
from reference.core.ws.utf8 import Utf8Validator, decode_utf8

KAPPA = "κόσμε".encode()  # Kuhn 1: valid Greek, 11 bytes (the ό is U+1F79, 3 bytes)

# (id, bytes, index of the byte that must raise)
FAIL_FAST = [
    ("lone-continuation-80", b"\x80", 0),
    ("lone-continuation-bf", b"\xbf", 0),
    ("overlong-lead-c0", b"\xc0\xaf", 0),
    ("overlong-lead-c1", b"\xc1\xbf", 0),
    ("overlong-3-byte-e0-80", b"\xe0\x80\xaf", 1),
    ("overlong-3-byte-e0-9f", b"\xe0\x9f\xbf", 1),
    ("overlong-4-byte-f0-80", b"\xf0\x80\x80\xaf", 1),
    ("overlong-4-byte-f0-8f", b"\xf0\x8f\xbf\xbf", 1),
    ("above-u10ffff-f4-90", b"\xf4\x90\x80\x80", 1),
    ("above-u10ffff-f5", b"\xf5\x80\x80\x80", 0),
    ("above-u10ffff-f7", b"\xf7\xbf\xbf\xbf", 0),
    ("5-byte-lead-f8", b"\xf8\x88\x80\x80\x80", 0),
    ("6-byte-lead-fc", b"\xfc\x84\x80\x80\x80\x80", 0),
    ("fe", b"\xfe", 0),
    ("ff", b"\xff", 0),
    ("surrogate-ed-a0-80", b"\xed\xa0\x80", 1),
    ("surrogate-ed-bf-bf", b"\xed\xbf\xbf", 1),
    ("surrogate-pair", b"\xed\xa0\x80\xed\xb0\x80", 1),
    ("truncated-2-byte-then-ascii", b"\xc2A", 1),
    ("truncated-3-byte-then-ascii", b"\xe2\x82A", 2),
    ("kuhn-6.4.1-after-valid-text", KAPPA + b"\xed\xa0\x80edited", len(KAPPA) + 1),
    ("kuhn-after-valid-4-byte", "𝄞".encode() + b"\xf4\x90", 5),
]

VALID = [
    b"",
    b"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
    KAPPA,
    b"\xed\x9f\xbf",  # U+D7FF, just below the surrogates
    b"\xee\x80\x80",  # U+E000, just above them
    b"\xf4\x8f\xbf\xbf",  # U+10FFFF
    b"\xef\xbf\xbf",  # U+FFFF (a noncharacter, but valid UTF-8)
]


@pytest.mark.parametrize(("data", "fails_at"), [c[1:] for c in FAIL_FAST], ids=[c[0] for c in FAIL_FAST])
def test_validator_fails_at_the_first_impossible_byte(data: bytes, fails_at: int) -> None:
    validator = Utf8Validator()
    for i in range(fails_at):
        validator.feed(data[i : i + 1])
    with pytest.raises(InvalidUtf8, match="invalid utf-8 at byte"):
        validator.feed(data[fails_at : fails_at + 1])


@pytest.mark.parametrize(("data", "fails_at"), [c[1:] for c in FAIL_FAST], ids=[c[0] for c in FAIL_FAST])
def test_validator_fails_when_fed_whole(data: bytes, fails_at: int) -> None:
    with pytest.raises(InvalidUtf8):
        Utf8Validator().feed(data, final=True)
    with pytest.raises(InvalidUtf8):
        decode_utf8(data)


@pytest.mark.parametrize(("data", "fails_at"), [c[1:] for c in FAIL_FAST], ids=[c[0] for c in FAIL_FAST])
def test_error_reports_the_offset_of_the_bad_sequence(data: bytes, fails_at: int) -> None:
    validator = Utf8Validator()
    validator.feed(data[:fails_at])
    with pytest.raises(InvalidUtf8) as info:
        validator.feed(data[fails_at:])
    offset = int(info.value.msg.split("at byte ")[1].split(":")[0])
    assert offset <= fails_at
    assert data[offset] >= 0x80


def test_truncated_but_valid_prefix_waits_for_the_end() -> None:
    validator = Utf8Validator()
    assert validator.feed(b"ab\xf0\x9f") == "ab"
    assert validator.feed(b"\x98") == ""
    assert validator.feed(b"\x80", final=True) == "😀"


@pytest.mark.parametrize("prefix", [b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xed\x9f"])
def test_truncated_sequence_fails_at_the_end_of_the_message(prefix: bytes) -> None:
    validator = Utf8Validator()
    validator.feed(prefix)
    with pytest.raises(InvalidUtf8, match="unexpected end of data"):
        validator.feed(b"", final=True)


@pytest.mark.parametrize("data", VALID)
def test_valid_text_byte_by_byte(data: bytes) -> None:
    validator = Utf8Validator()
    text = "".join(validator.feed(data[i : i + 1]) for i in range(len(data)))
    text += validator.feed(b"", final=True)
    assert text == data.decode("utf-8") == decode_utf8(data)


def test_reset_forgets_a_pending_sequence() -> None:
    validator = Utf8Validator()
    validator.feed(b"xx\xe2\x82")
    validator.reset()
    with pytest.raises(InvalidUtf8, match="at byte 2: ff"):
        validator.feed(b"ok\xff")
    validator.reset()
    assert validator.feed(b"ok", final=True) == "ok"


@given(text=st.text(), cuts=st.lists(st.integers(min_value=0, max_value=64), max_size=8))
def test_any_chunking_of_valid_text_decodes_to_the_text(text: str, cuts: list[int]) -> None:
    data = text.encode("utf-8")
    validator, pos, out = Utf8Validator(), 0, []
    for cut in cuts:
        out.append(validator.feed(data[pos : pos + cut]))
        pos += cut
    out.append(validator.feed(data[pos:], final=True))
    assert "".join(out) == text


@given(data=st.binary(max_size=64))
def test_validator_agrees_with_the_strict_decoder(data: bytes) -> None:
    try:
        expected: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        expected = None
    validator = Utf8Validator()
    try:
        got: str | None = "".join(validator.feed(data[i : i + 1]) for i in range(len(data)))
        got = (got or "") + validator.feed(b"", final=True)
    except InvalidUtf8:
        got = None
    assert got == expected
