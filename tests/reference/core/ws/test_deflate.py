"""Tests for reference/core/ws/deflate.py: permessage-deflate (RFC 7692) negotiation and codec.

The client side here is plain ``zlib`` driven by the test, not the module under test, so a codec bug is not
mirrored on both ends.
"""

from __future__ import annotations

import random
import tracemalloc
import zlib

import pytest

from reference.core.errors import InvalidCompressedData, PayloadTooBig
from reference.core.ws.deflate import (
    DeflateConfig,
    DeflateParams,
    PerMessageDeflate,
    decline_reason,
    negotiate,
    parse_extensions,
)

TRAILER = b"\x00\x00\xff\xff"


def client_deflate(data: bytes, *, wbits: int = 15, compressor: zlib._Compress | None = None) -> bytes:
    """What a client sends: raw deflate, sync-flushed, trailer removed (RFC 7692 §7.2.1)."""
    comp = compressor or zlib.compressobj(6, zlib.DEFLATED, -wbits)
    out = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(TRAILER)
    return out[:-4]


def client_inflate(payload: bytes, decompressor: zlib._Decompress | None = None) -> bytes:
    """What a client does with the server's message (RFC 7692 §7.2.2)."""
    return (decompressor or zlib.decompressobj(-15)).decompress(payload + TRAILER)


# -- negotiation: offer -> response (None: declined, the header is left out) ---------------------------

NEGOTIATION = [
    # plain offers
    ("permessage-deflate", "permessage-deflate"),
    ("permessage-deflate; client_max_window_bits", "permessage-deflate"),  # Chromium's offer
    ("permessage-deflate; server_no_context_takeover",
     "permessage-deflate; server_no_context_takeover"),
    ("permessage-deflate; client_no_context_takeover",
     "permessage-deflate; client_no_context_takeover"),
    ("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
    ("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"),
    ("permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15"),
    ("permessage-deflate; client_max_window_bits=8", "permessage-deflate"),
    ('permessage-deflate; server_max_window_bits="12"', "permessage-deflate; server_max_window_bits=12"),
    ("permessage-deflate ;  server_no_context_takeover ", "permessage-deflate; server_no_context_takeover"),
    # invalid offers are declined (RFC 7692 §7)
    ("permessage-deflate; foo", None),
    ("permessage-deflate; foo=1", None),
    ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", None),
    ("permessage-deflate; client_max_window_bits; client_max_window_bits=10", None),
    ("permessage-deflate; server_max_window_bits=7", None),
    ("permessage-deflate; server_max_window_bits=16", None),
    ("permessage-deflate; server_max_window_bits=010", None),
    ("permessage-deflate; server_max_window_bits=ten", None),
    ("permessage-deflate; server_max_window_bits", None),
    ("permessage-deflate; client_max_window_bits=7", None),
    ("permessage-deflate; client_max_window_bits=16", None),
    ("permessage-deflate; client_max_window_bits=abc", None),
    ("permessage-deflate; server_no_context_takeover=1", None),
    ("permessage-deflate; client_no_context_takeover=true", None),
    ('permessage-deflate; server_max_window_bits="1 0"', None),
    ("permessage-deflate; Server_No_Context_Takeover", None),
    # unsupported: zlib cannot compress with an 8-bit window
    ("permessage-deflate; server_max_window_bits=8", None),
    # other extensions are ignored; the first acceptable offer wins
    ("x-webkit-deflate-frame", None),
    ("x-webkit-deflate-frame, permessage-deflate", "permessage-deflate"),
    ("permessage-deflate; server_max_window_bits=8, permessage-deflate; server_no_context_takeover",
     "permessage-deflate; server_no_context_takeover"),
    ("permessage-deflate; foo, permessage-deflate; client_max_window_bits",
     "permessage-deflate"),
    ("permessage-deflate; server_max_window_bits=9, permessage-deflate",
     "permessage-deflate; server_max_window_bits=9"),
    ("permessage-deflate; x=\"a,b\", permessage-deflate; server_max_window_bits=11",
     "permessage-deflate; server_max_window_bits=11"),
    ("", None),
    (" , ,", None),
]


@pytest.mark.parametrize(("offer", "response"), NEGOTIATION)
def test_negotiation_answers_each_offer_list(offer: str, response: str | None) -> None:
    result = negotiate([offer], DeflateConfig())
    assert (None if result is None else result[0]) == response


def test_several_header_lines_are_one_list_in_order() -> None:
    # RFC 6455 §11.3.2: the header "MAY appear multiple times", "logically the same as a single" one.
    result = negotiate(["permessage-deflate; bogus", "permessage-deflate; server_max_window_bits=13"],
                       DeflateConfig())
    assert result is not None
    assert result[0] == "permessage-deflate; server_max_window_bits=13"
    assert result[1].server_max_window_bits == 13


def test_declined_offers_say_why() -> None:
    assert decline_reason((("foo", None),)) == "unknown parameter foo"
    assert "duplicate" in str(decline_reason((("server_no_context_takeover", None),) * 2))
    assert "8" in str(decline_reason((("server_max_window_bits", "8"),)))
    assert decline_reason((("client_max_window_bits", None),)) is None


def test_agreement_reflects_offer_and_config() -> None:
    config = DeflateConfig(window_bits=12, client_window_bits=10, client_no_context_takeover=True)
    result = negotiate(["permessage-deflate; client_max_window_bits; server_max_window_bits=14"], config)
    assert result is not None
    header, params = result
    assert header == ("permessage-deflate; client_no_context_takeover; server_max_window_bits=12; "
                      "client_max_window_bits=10")
    assert params == DeflateParams(False, True, 12, 10)


def test_client_window_bits_are_not_answered_without_the_offer() -> None:
    # RFC 7692 §7.1.2.2: without client_max_window_bits in the offer the response "MUST NOT include" it.
    result = negotiate(["permessage-deflate"], DeflateConfig(client_window_bits=9))
    assert result is not None
    assert result[0] == "permessage-deflate"
    result = negotiate(["permessage-deflate; client_max_window_bits=12"], DeflateConfig(client_window_bits=9))
    assert result is not None
    assert result[0] == "permessage-deflate; client_max_window_bits=9"
    result = negotiate(["permessage-deflate; client_max_window_bits=8"], DeflateConfig(client_window_bits=9))
    assert result is not None
    assert result[0] == "permessage-deflate; client_max_window_bits=8"


def test_server_may_impose_no_context_takeover() -> None:
    result = negotiate(["permessage-deflate"], DeflateConfig(server_no_context_takeover=True))
    assert result is not None
    assert result[0] == "permessage-deflate; server_no_context_takeover"


@pytest.mark.parametrize("kwargs", [{"window_bits": 8}, {"window_bits": 16}, {"client_window_bits": 7},
                                    {"level": 10}, {"mem_level": 0}])
def test_config_refuses_what_zlib_or_the_rfc_cannot_do(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be between"):
        DeflateConfig(**kwargs)  # type: ignore[arg-type]


def test_parse_extensions_keeps_names_values_and_order() -> None:
    parsed = parse_extensions(['a; b=1; c="x\\yz", d', 'e;;', "f; g=\"unterminated"])
    assert parsed == [("a", (("b", "1"), ("c", "xyz"))), ("d", ()), None, None]


# -- codec ---------------------------------------------------------------------------------------------


def test_inflates_what_a_client_compresses_and_the_client_inflates_what_it_sends() -> None:
    codec = PerMessageDeflate(DeflateParams())
    text = "héllo wörld ".encode() * 50
    assert codec.inflate(client_deflate(text), final=True, room=10_000) == text
    sent = codec.deflate(text)
    assert not sent.endswith(TRAILER)  # RFC 7692 §7.2.1: removed by the sender
    assert client_inflate(sent) == text


def test_empty_message_round_trips() -> None:
    codec = PerMessageDeflate(DeflateParams())
    assert client_inflate(codec.deflate(b"")) == b""
    assert codec.inflate(client_deflate(b""), final=True, room=0) == b""
    assert codec.inflate(b"\x00", final=True, room=0) == b""  # RFC 7692 §7.2.3.6's single 0x00 octet


def test_fragments_inflate_in_order() -> None:
    codec = PerMessageDeflate(DeflateParams())
    data = bytes(range(256)) * 40
    payload = client_deflate(data)
    thirds = [payload[: len(payload) // 3], payload[len(payload) // 3 : 2 * len(payload) // 3],
              payload[2 * len(payload) // 3 :]]
    out = b"".join(codec.inflate(part, final=i == 2, room=len(data)) for i, part in enumerate(thirds))
    assert out == data


def test_context_takeover_makes_the_second_identical_message_smaller() -> None:
    codec = PerMessageDeflate(DeflateParams())
    message = b"The quick brown fox jumps over the lazy dog, again and again. " * 4
    first, second = codec.deflate(message), codec.deflate(message)
    assert len(second) < len(first)
    reader = zlib.decompressobj(-15)  # the client keeps its context too
    assert client_inflate(first, reader) == message
    assert client_inflate(second, reader) == message


def test_server_no_context_takeover_compresses_each_message_alone() -> None:
    codec = PerMessageDeflate(DeflateParams(server_no_context_takeover=True))
    message = b"The quick brown fox jumps over the lazy dog, again and again. " * 4
    first, second = codec.deflate(message), codec.deflate(message)
    assert first == second
    assert client_inflate(second) == message  # a fresh inflater: no reference into the first message


def test_inflate_keeps_the_clients_context_between_messages() -> None:
    codec = PerMessageDeflate(DeflateParams())
    writer = zlib.compressobj(6, zlib.DEFLATED, -15)
    message = b"context takeover on the client's side " * 3
    first, second = client_deflate(message, compressor=writer), client_deflate(message, compressor=writer)
    assert len(second) < len(first)
    assert codec.inflate(first, final=True, room=1000) == message
    assert codec.inflate(second, final=True, room=1000) == message
    # The second message alone refers back into the first: a fresh inflater cannot read it.
    fresh = PerMessageDeflate(DeflateParams())
    with pytest.raises(InvalidCompressedData):
        fresh.inflate(second, final=True, room=1000)


def test_client_no_context_takeover_resets_the_inflater_per_message() -> None:
    codec = PerMessageDeflate(DeflateParams(client_no_context_takeover=True))
    message = b"each message on its own " * 3
    for _ in range(3):
        assert codec.inflate(client_deflate(message), final=True, room=1000) == message


@pytest.mark.parametrize("bits", [9, 10, 12, 15])
def test_server_window_bits_are_respected(bits: int) -> None:
    codec = PerMessageDeflate(DeflateParams(server_max_window_bits=bits))
    # Repeats 600 bytes apart can only be found with a window over 512 bytes.
    block = random.Random(bits).randbytes(600)
    message = block * 8
    payload = codec.deflate(message)
    assert zlib.decompressobj(-bits).decompress(payload + TRAILER) == message  # fits the agreed window
    if bits == 9:
        # With 9 bits the 600-byte repeats are out of reach: barely any compression.
        assert len(payload) > len(message) * 0.9
    else:
        assert len(payload) < len(message) // 4


@pytest.mark.parametrize("bits", [8, 9, 15])
def test_inflates_any_client_window(bits: int) -> None:
    codec = PerMessageDeflate(DeflateParams(client_max_window_bits=bits))
    message = bytes(range(200)) * 30
    wbits = max(bits, 9)  # zlib compresses with 9 when asked for 8
    assert codec.inflate(client_deflate(message, wbits=wbits), final=True, room=len(message)) == message


def test_data_that_does_not_inflate_is_invalid() -> None:
    codec = PerMessageDeflate(DeflateParams())
    with pytest.raises(InvalidCompressedData) as caught:
        codec.inflate(b"\xff\xff\xff\xff", final=True, room=1000)
    assert caught.value.close_code == 1007


def test_data_after_a_final_block_is_invalid() -> None:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    ended = comp.compress(b"abc") + comp.flush(zlib.Z_FINISH)
    assert PerMessageDeflate(DeflateParams()).inflate(ended, final=True, room=10) == b"abc"
    with pytest.raises(InvalidCompressedData):
        PerMessageDeflate(DeflateParams()).inflate(ended + b"\x01\x02", final=True, room=10)


def test_a_final_block_ends_the_context_for_the_next_message() -> None:
    codec = PerMessageDeflate(DeflateParams())
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    assert codec.inflate(comp.compress(b"one") + comp.flush(zlib.Z_FINISH), final=True, room=10) == b"one"
    assert codec.inflate(client_deflate(b"two"), final=True, room=10) == b"two"


def test_output_larger_than_one_step_is_complete() -> None:
    message = random.Random(7).randbytes(1000) * 5000  # 5 MB from 1 KB: several steps of output per input
    payload = client_deflate(message)
    codec = PerMessageDeflate(DeflateParams())
    assert codec.inflate(payload, final=True, room=len(message)) == message
    # and in small fragments, each producing more than a step
    codec = PerMessageDeflate(DeflateParams())
    chunks = [payload[i : i + 100] for i in range(0, len(payload), 100)]
    last = len(chunks) - 1
    out = b"".join(codec.inflate(c, final=i == last, room=len(message)) for i, c in enumerate(chunks))
    assert out == message


def test_limit_is_exact() -> None:
    message = b"x" * 1000
    codec = PerMessageDeflate(DeflateParams())
    assert codec.inflate(client_deflate(message), final=True, room=1000) == message
    with pytest.raises(PayloadTooBig) as caught:
        PerMessageDeflate(DeflateParams()).inflate(client_deflate(message), final=True, room=999)
    assert caught.value.close_code == 1009


def test_bomb_never_allocates_past_the_limit() -> None:
    limit = 16 * 2**20
    bomb = client_deflate(b"\x00" * (256 * 2**20))  # 256 MiB of zeros in about 250 KiB
    assert len(bomb) < 300_000
    codec = PerMessageDeflate(DeflateParams())
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooBig):
            codec.inflate(bomb, final=True, room=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The output gathered (at most the limit) plus one step in flight (1 MiB, twice while zlib's buffer is
    # copied out); inflating into one piece of the limit's size would peak at twice the limit.
    assert peak < limit + 4 * 2**20, peak


def test_small_bomb_of_1_kib() -> None:
    bomb = client_deflate(b"A" * 1_000_000)
    assert len(bomb) <= 1024
    with pytest.raises(PayloadTooBig):
        PerMessageDeflate(DeflateParams()).inflate(bomb, final=True, room=64 * 1024)
