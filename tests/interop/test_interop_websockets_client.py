"""The Python ``websockets`` client (its threading implementation) against the reference server."""

from __future__ import annotations

import hashlib

import pytest
from websockets.sync.client import connect

pytestmark = pytest.mark.interop

LARGE = 16 * 2**20


def pattern(size: int) -> bytes:
    """A non-repeating-looking payload, so a reordered or corrupted echo shows."""
    block = hashlib.sha256(b"rtconform").digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def test_websockets_client_exchanges_messages_and_closes_cleanly(reference_url: str) -> None:
    with connect(reference_url, max_size=LARGE + 1024, compression=None, open_timeout=5) as ws:
        ws.send("héllo ✓")
        assert ws.recv(timeout=5) == "héllo ✓"
        ws.send(b"\x00\x01\xfe\xff")
        assert ws.recv(timeout=5) == b"\x00\x01\xfe\xff"
        ws.send(["frag", "men", "ted"])  # one text message in three frames
        assert ws.recv(timeout=5) == "fragmented"
        ws.send([b"\x01" * 70000, b"\x02" * 3])  # a fragmented binary message with a 64-bit first frame
        assert ws.recv(timeout=5) == b"\x01" * 70000 + b"\x02" * 3
        pong = ws.ping(b"are you there?")
        assert pong.wait(5)
        ws.close(1000, "done")
    assert ws.close_code == 1000  # the server echoed our code: a clean closing handshake


def test_websockets_client_round_trips_a_16_mib_message(reference_url: str) -> None:
    large = pattern(LARGE)
    with connect(reference_url, max_size=LARGE + 1024, compression=None, open_timeout=5) as ws:
        ws.send(large)
        echo = ws.recv(timeout=30)
        text = large[: 2**20].hex()  # 2 MiB of text, UTF-8 validated on the way in
        ws.send(text)
        text_echo = ws.recv(timeout=30)
    assert isinstance(echo, bytes)
    assert len(echo) == LARGE
    assert hashlib.sha256(echo).digest() == hashlib.sha256(large).digest()
    assert text_echo == text
    assert ws.close_code == 1000
