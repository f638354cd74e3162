"""permessage-deflate (RFC 7692) over a real socket: negotiation in the 101, compressed echoes, the close
codes of bad compressed input, the memory budget, and the websockets client with its default compression."""

from __future__ import annotations

import struct
import zlib

import pytest
from raw_ws_client import BINARY, CLOSE, TEXT, RawClient, encode_frame, upgrade_request
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.sync.client import connect
from ws_server_harness import StartServer

from reference.core.ws.deflate import DeflateConfig
from reference.servers.cli import build_parser, main
from reference.servers.ws import WsSettings
from reference.servers.ws_cli import settings_from

TRAILER = b"\x00\x00\xff\xff"
RSV1 = 0x40


def offer(port: int, *values: str) -> tuple[RawClient, dict[str, str]]:
    client = RawClient.open(port)
    client.sock.sendall(upgrade_request(port, extra=tuple(("Sec-WebSocket-Extensions", v) for v in values)))
    response = client.read_response()
    assert response.status == 101
    return client, response.headers


def compressed_frame(opcode: int, data: bytes, *, fin: bool = True, compressor: zlib._Compress | None = None,
                     rsv1: bool = True) -> bytes:
    comp = compressor or zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
    if fin:  # RFC 7692 §7.2.1: the trailer is removed from the end of the message only
        payload = payload[:-4]
    wire = bytearray(encode_frame(opcode, payload, fin=fin))
    if rsv1:
        wire[0] |= RSV1
    return bytes(wire)


def read_frame_bits(client: RawClient) -> tuple[int, bool, bytes]:
    """(first header byte, fin, payload) of the next server frame."""
    b0, b1 = client.read_exact(2)
    length = b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", client.read_exact(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", client.read_exact(8))
    return b0, bool(b0 & 0x80), client.read_exact(length)


def read_close_code(client: RawClient) -> int:
    b0, _, payload = read_frame_bits(client)
    assert b0 & 0x0F == CLOSE
    assert not b0 & RSV1  # RFC 7692 §6: never on a control frame
    return int(struct.unpack("!H", payload[:2])[0])


@pytest.mark.parametrize(("offers", "answer"), [
    (("permessage-deflate; client_max_window_bits",), "permessage-deflate"),
    (("permessage-deflate; server_max_window_bits=8", "permessage-deflate; server_no_context_takeover"),
     "permessage-deflate; server_no_context_takeover"),
    (("permessage-deflate; server_max_window_bits=11",), "permessage-deflate; server_max_window_bits=11"),
    (("permessage-deflate; bogus",), None),
    (("x-webkit-deflate-frame",), None),
])
def test_the_101_names_the_accepted_offer(start_server: StartServer, offers: tuple[str, ...],
                                          answer: str | None) -> None:
    server = start_server()
    client, headers = offer(server.port, *offers)
    assert headers.get("sec-websocket-extensions") == answer
    client.close()


def test_no_deflate_declines_every_offer_and_rsv1_then_fails_1002(start_server: StartServer) -> None:
    server = start_server(WsSettings(deflate=False))
    client, headers = offer(server.port, "permessage-deflate")
    assert "sec-websocket-extensions" not in headers
    client.sock.sendall(compressed_frame(TEXT, b"hello"))
    assert read_close_code(client) == 1002
    client.close()


def test_compressed_echo_has_rsv1_on_its_only_frame_and_takes_over_context(start_server: StartServer) -> None:
    server = start_server()
    client, _ = offer(server.port, "permessage-deflate")
    writer = zlib.compressobj(6, zlib.DEFLATED, -15)
    reader = zlib.decompressobj(-15)
    message = ("echo me, compressed: κόσμε " * 40).encode()
    sizes = []
    for _ in range(2):
        # fragmented: RSV1 on the first frame only
        client.sock.sendall(compressed_frame(TEXT, message[:100], fin=False, compressor=writer)
                            + compressed_frame(0, message[100:], compressor=writer, rsv1=False))
        b0, fin, payload = read_frame_bits(client)
        assert (b0 & 0x0F, fin, bool(b0 & RSV1)) == (TEXT, True, True)
        assert reader.decompress(payload + TRAILER) == message
        sizes.append(len(payload))
    assert sizes[1] < sizes[0]  # the second echo refers back into the first
    client.close()


def test_bomb_over_the_wire_fails_with_1009(start_server: StartServer) -> None:
    server = start_server(WsSettings(max_message_size=2**20))
    client, _ = offer(server.port, "permessage-deflate")
    bomb = compressed_frame(BINARY, b"\x00" * (64 * 2**20))  # 64 MiB of zeros in about 64 KiB
    assert len(bomb) < 70_000
    client.sock.sendall(bomb)
    assert read_close_code(client) == 1009
    client.close()


def test_data_that_does_not_inflate_fails_with_1007(start_server: StartServer) -> None:
    server = start_server()
    client, _ = offer(server.port, "permessage-deflate")
    wire = bytearray(encode_frame(BINARY, b"\xff\xfe\xfd\xfc\xfb"))
    wire[0] |= RSV1
    client.sock.sendall(bytes(wire))
    assert read_close_code(client) == 1007
    client.close()


def test_rsv1_on_a_continuation_fails_with_1002(start_server: StartServer) -> None:
    server = start_server()
    client, _ = offer(server.port, "permessage-deflate")
    cont = bytearray(encode_frame(0, b"x"))
    cont[0] |= RSV1
    client.sock.sendall(compressed_frame(TEXT, b"abc", fin=False) + bytes(cont))
    assert read_close_code(client) == 1002
    client.close()


def test_assembling_compressed_message_counts_its_inflated_size_against_the_budget(
        start_server: StartServer) -> None:
    budget = 4 * 2**20
    server = start_server(WsSettings(memory_budget=budget))
    client, _ = offer(server.port, "permessage-deflate")
    writer = zlib.compressobj(6, zlib.DEFLATED, -15)
    # Each fragment is about 3 KiB on the wire and 3 MiB inflated: the second passes the 4 MiB budget.
    client.sock.sendall(compressed_frame(BINARY, b"\x01" * (3 * 2**20), fin=False, compressor=writer))
    client.sock.sendall(compressed_frame(0, b"\x02" * (3 * 2**20), fin=False, compressor=writer,
                                         rsv1=False))
    assert read_close_code(client) == 1009
    assert server.call(lambda: server.server.budget.refusals) == 1
    assert server.call(lambda: server.server.budget.peak) > budget  # charged by the inflated size
    client.close()


def test_websockets_client_with_default_compression_round_trips(start_server: StartServer) -> None:
    server = start_server()
    with connect(server.url, open_timeout=5, max_size=2**24) as ws:  # compression="deflate" by default
        header = ws.response.headers["Sec-WebSocket-Extensions"]
        assert header.startswith("permessage-deflate")
        assert any(isinstance(ext, PerMessageDeflate) for ext in ws.protocol.extensions)
        text = "compressible text ✓ " * 5000
        ws.send(text)
        assert ws.recv(timeout=5) == text
        blob = bytes(range(256)) * 4096  # 1 MiB
        ws.send([blob[:1000], blob[1000:]])  # fragmented, compressed
        assert ws.recv(timeout=10) == blob
        ws.send(b"")
        assert ws.recv(timeout=5) == b""
    assert ws.close_code == 1000


def test_cli_deflate_options_reach_the_settings(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    defaults = settings_from(parser.parse_args(["ws"]))
    assert (defaults.deflate, defaults.deflate_window_bits) == (True, 15)
    assert defaults.compression() == DeflateConfig()
    off = settings_from(parser.parse_args(["ws", "--no-deflate"]))
    assert off.deflate is False
    assert off.compression() is None
    small = settings_from(parser.parse_args(["ws", "--deflate", "--deflate-window-bits", "10"]))
    assert small.compression() == DeflateConfig(window_bits=10)
    with pytest.raises(SystemExit):
        main(["ws", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--deflate, --no-deflate" in help_text
    assert "on by default" in help_text


@pytest.mark.parametrize("bits", ["8", "16", "x"])
def test_cli_refuses_window_bits_zlib_cannot_use(bits: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ws", "--deflate-window-bits", bits])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "--deflate-window-bits" in err
