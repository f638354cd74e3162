"""The runner's own permessage-deflate (conformance/wire/deflate.py) and its use by the sans-IO client."""

from __future__ import annotations

import random
import zlib

import pytest

from conformance.registry import load
from conformance.wire import deflate
from conformance.wire.deflate import Agreement, NegotiationError, PerMessageDeflate, negotiate
from conformance.wire.wsconn import WsClientConnection
from conformance.wire.wsframes import BINARY, CONT, PING, TEXT, FrameReader, frame

DEFAULT = deflate.offer(client_no_context_takeover=True, client_max_window_bits=True)


def test_offer_writes_the_parameters_in_autobahns_order() -> None:
    assert DEFAULT == "permessage-deflate; client_no_context_takeover; client_max_window_bits"
    assert deflate.offer(server_no_context_takeover=True, server_max_window_bits=9) == (
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9")


def test_parse_extensions_reads_quoted_values_and_several_elements() -> None:
    assert deflate.parse_extensions('permessage-deflate; server_max_window_bits="10", x-foo') == [
        ("permessage-deflate", [("server_max_window_bits", "10")]), ("x-foo", [])]
    with pytest.raises(ValueError, match="not a token"):
        deflate.parse_extensions("permessage-deflate; a b")


@pytest.mark.parametrize(("answer", "expected"), [
    (None, None),
    ("permessage-deflate", Agreement(response="permessage-deflate")),
    ("permessage-deflate; client_max_window_bits=10; server_no_context_takeover",
     Agreement(True, False, 15, 10,
               "permessage-deflate; client_max_window_bits=10; server_no_context_takeover")),
])
def test_negotiate_accepts_valid_answers(answer: str | None, expected: Agreement | None) -> None:
    assert negotiate([DEFAULT], answer) == expected


@pytest.mark.parametrize(("offers", "answer", "why"), [
    ([DEFAULT], "permessage-deflate; foo", "does not define"),
    ([DEFAULT], "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "twice"),
    ([DEFAULT], "permessage-deflate; server_max_window_bits=16", "not a window size"),
    ([DEFAULT], "permessage-deflate; server_max_window_bits=08", "not a window size"),
    ([DEFAULT], "permessage-deflate, permessage-deflate", "2 times"),
    ([DEFAULT], "x-other", "never offered"),
    (["permessage-deflate"], "permessage-deflate; client_max_window_bits=10", "not offered"),
    ([deflate.offer(server_no_context_takeover=True)], "permessage-deflate", "§7.1.1.1"),
    ([deflate.offer(server_max_window_bits=9)], "permessage-deflate; server_max_window_bits=10", "smaller"),
    (["permessage-deflate; x=1"], "permessage-deflate", "there was none"),
])
def test_negotiate_rejects_answers_no_offer_allows(offers: list[str], answer: str, why: str) -> None:
    with pytest.raises(NegotiationError, match=why):
        negotiate(offers, answer)


def test_an_answer_leaving_out_the_offered_server_window_is_a_remark() -> None:
    agreement = negotiate([deflate.offer(server_max_window_bits=15)], "permessage-deflate")
    assert agreement is not None
    assert "§7.1.2.1" in agreement.remark


def _server_compress(data: bytes, comp: zlib._Compress) -> bytes:
    out = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(deflate.TAIL)
    return out[:-4]


def test_inflate_keeps_the_window_unless_server_no_context_takeover() -> None:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    msg = b"the same sentence, twice over " * 20
    first, second = _server_compress(msg, comp), _server_compress(msg, comp)
    assert len(second) < len(first) // 2  # the second refers back to the first
    keep = PerMessageDeflate(Agreement())
    assert keep.inflate(first, 2**20) == msg
    assert keep.inflate(second, 2**20) == msg
    fresh = PerMessageDeflate(Agreement(server_no_context_takeover=True))
    assert fresh.inflate(first, 2**20) == msg
    with pytest.raises(deflate.InflateError):
        fresh.inflate(second, 2**20)


def test_inflate_checks_the_agreed_server_window() -> None:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    block = random.Random(7).randbytes(2048)
    data = block + b"x" * 10 + block  # the second block refers back 2 KiB, past a 512-byte window
    payload = _server_compress(data, comp)
    assert PerMessageDeflate(Agreement()).inflate(payload, 2**20) == data
    with pytest.raises(deflate.InflateError):
        PerMessageDeflate(Agreement(server_max_window_bits=9)).inflate(payload, 2**20)


def test_a_bomb_stops_at_the_limit() -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = _server_compress(bytes(64 * 2**20), comp)
    assert len(bomb) < 100 * 2**10
    with pytest.raises(deflate.InflateTooLarge):
        PerMessageDeflate(Agreement()).inflate(bomb, 2**20)
    exact = _server_compress(bytes(1000), zlib.compressobj(9, zlib.DEFLATED, -15))
    assert PerMessageDeflate(Agreement()).inflate(exact, 1000) == bytes(1000)


def _open(offers: list[str], answer: str) -> WsClientConnection:
    conn = WsClientConnection()
    conn.connection_made("test")
    conn.send_request(offers)
    conn.receive_data(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Sec-WebSocket-Extensions: {answer}\r\n\r\n").encode())
    return conn


def test_the_connection_compresses_with_rsv1_on_the_first_frame_only() -> None:
    conn = _open([DEFAULT], "permessage-deflate")
    reader = FrameReader(2**20)
    frames = [f for raw in conn.message_frames(TEXT, b"abc" * 1000, fragment=8) for f in reader.feed(raw)]
    assert frames[0].rsv1
    assert frames[0].opcode == TEXT
    assert not frames[0].fin
    assert all(not f.rsv1 for f in frames[1:])
    assert all(f.opcode == CONT for f in frames[1:])
    assert frames[-1].fin
    payload = b"".join(f.payload for f in frames)
    assert PerMessageDeflate(Agreement()).inflate(payload, 2**20) == b"abc" * 1000
    plain = FrameReader(2**20).feed(conn.message_frames(BINARY, b"xyz", compress=False)[0])
    assert plain[0].payload == b"xyz"
    assert not plain[0].rsv1


def test_the_connection_inflates_and_judges_the_targets_frames() -> None:
    conn = _open([DEFAULT], "permessage-deflate")
    body = deflate.compress_raw("grüße".encode() * 50)
    conn.receive_data(frame(TEXT, body[:5], fin=False, rsv1=True, mask=False)
                      + frame(CONT, body[5:], mask=False))
    events = [(e.data, e.compressed) for e in conn.events]  # type: ignore[union-attr]
    assert events == [("grüße".encode() * 50, True)]
    assert conn.deviations == []
    conn.receive_data(frame(PING, b"", rsv1=True, mask=False) + frame(TEXT, b"x", rsv2=True, mask=False))
    assert [d.split(":")[0] for d in conn.deviations] == [
        "rsv1 on a control frame or a continuation frame",
        "rsv2/rsv3 set, permessage-deflate defines only rsv1",
    ]


def test_a_target_bomb_aborts_the_connection_at_the_runners_limit() -> None:
    conn = _open([DEFAULT], "permessage-deflate")
    conn.receive_data(frame(BINARY, deflate.compress_raw(bytes(9 * 2**20), level=9), rsv1=True, mask=False))
    assert conn.events == []
    assert "inflates past the runner's limit" in conn.aborted


def test_an_invalid_answer_is_recorded_and_nothing_is_inflated() -> None:
    conn = _open([DEFAULT], "permessage-deflate; bogus")
    assert conn.deflate is None
    assert "does not define" in conn.negotiation_error


def test_without_an_offer_nothing_changes() -> None:
    conn = _open([], "permessage-deflate")
    assert conn.deflate is None
    assert conn.negotiation_error == ""
    assert conn.receiver.extensions


def test_autobahn_ids_and_selectors_of_the_compression_groups() -> None:
    registry = load(("conformance.catalog.ws",))
    ids = {c.autobahn for c in registry.cases if c.autobahn and c.autobahn.split(".")[0] in ("12", "13")}
    assert ids == {f"12.{j}.{i}" for j in range(1, 6) for i in range(1, 19)} | {
        f"13.{j}.{i}" for j in range(1, 8) for i in range(1, 19)}
    assert len(registry.select(["12.*"])) == 90
    assert len(registry.select(["13.*"])) == 126
    assert not any(c.autobahn and c.autobahn.startswith("13.") for c in registry.select(["ws"], ["13.*"]))
    assert [c.autobahn for c in registry.select(["12.1.1"])] == ["12.1.1"]
