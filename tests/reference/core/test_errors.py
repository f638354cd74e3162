"""Tests for reference/core/errors.py."""

from __future__ import annotations

import pytest

from reference.core.errors import (
    InvalidCompressedData,
    InvalidUtf8,
    LocalProtocolError,
    PayloadTooBig,
    ProtocolError,
    RemoteProtocolError,
)


@pytest.mark.parametrize("cls", [LocalProtocolError, RemoteProtocolError, PayloadTooBig, InvalidUtf8,
                                 InvalidCompressedData])
def test_every_error_is_a_protocol_error(cls: type[ProtocolError]) -> None:
    exc = cls("bad thing 0x3", 1007)
    assert isinstance(exc, ProtocolError)
    assert (str(exc), exc.msg, exc.close_code) == ("bad thing 0x3", "bad thing 0x3", 1007)


def test_close_code_defaults_to_protocol_error() -> None:
    assert ProtocolError("x").close_code == 1002


def test_local_and_remote_are_distinct() -> None:
    assert not issubclass(RemoteProtocolError, LocalProtocolError)
    assert not issubclass(LocalProtocolError, RemoteProtocolError)


@pytest.mark.parametrize(("cls", "code"), [
    (ProtocolError, 1002), (LocalProtocolError, 1002), (RemoteProtocolError, 1002),
    (PayloadTooBig, 1009), (InvalidUtf8, 1007), (InvalidCompressedData, 1007),
])
def test_each_kind_of_error_carries_its_default_close_code(cls: type[ProtocolError], code: int) -> None:
    assert cls("x").close_code == code
