"""Tests for reference/core/ws/opcodes.py: close-code validity on receipt (RFC 6455 §7.4, IANA registry)."""

from __future__ import annotations

import pytest

from reference.core.ws.opcodes import CloseCode, Opcode, is_valid_received_close_code

VALID = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
INVALID = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


@pytest.mark.parametrize("code", VALID)
def test_valid_close_codes(code: int) -> None:
    assert is_valid_received_close_code(code)


@pytest.mark.parametrize("code", INVALID)
def test_invalid_close_codes(code: int) -> None:
    assert not is_valid_received_close_code(code)


def test_every_code_below_5000_is_classified_by_the_ranges() -> None:
    valid = {code for code in range(5000) if is_valid_received_close_code(code)}
    assert valid == set(VALID[:12]) | set(range(3000, 5000))


def test_codes_that_must_not_be_on_the_wire_are_named() -> None:
    assert [c for c in CloseCode if not is_valid_received_close_code(c)] == [
        CloseCode.RESERVED, CloseCode.NO_STATUS_RCVD, CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE,
    ]


@pytest.mark.parametrize(("opcode", "control"), [
    (Opcode.CONT, False), (Opcode.TEXT, False), (Opcode.BINARY, False),
    (Opcode.CLOSE, True), (Opcode.PING, True), (Opcode.PONG, True),
])
def test_control_opcodes_have_the_high_bit(opcode: Opcode, control: bool) -> None:
    assert opcode.is_control is control
