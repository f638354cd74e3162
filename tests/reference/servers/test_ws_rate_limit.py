"""``--rate-limit``: a connection that sends messages faster than the limit is closed with 1008 after the
burst; the messages within it are echoed first; without the option nothing is limited."""

from __future__ import annotations

import struct

from raw_ws_client import CLOSE, TEXT, RawClient, encode_frame
from ws_server_harness import StartServer

from reference.servers.cli import build_parser
from reference.servers.ws import WsSettings
from reference.servers.ws_cli import settings_from


def _flood(port: int, count: int) -> tuple[int, tuple[int, str] | None]:
    """Send ``count`` text messages in one write; the echoes read, and the close frame's code and reason."""
    client = RawClient.connect(port)
    try:
        client.sock.sendall(b"".join(encode_frame(TEXT, b"m%d" % i) for i in range(count)))
        echoes = 0
        while True:
            frame = client.read_frame()
            if frame.opcode == CLOSE:
                (code,) = struct.unpack("!H", frame.payload[:2])
                return echoes, (code, frame.payload[2:].decode())
            assert frame.payload == b"m%d" % echoes, (echoes, frame)
            echoes += 1
            if echoes == count:
                return echoes, None
    finally:
        client.close()


def test_a_peer_over_the_rate_limit_is_closed_with_1008_after_its_burst(start_server: StartServer) -> None:
    server = start_server(WsSettings(rate_limit=5, rate_burst=20))
    echoes, close = _flood(server.port, 200)
    assert close == (1008, "more than 5 messages per second")
    assert 20 <= echoes <= 40  # the burst, plus what the rate refilled (5 per s) while the write was read


def test_without_a_rate_limit_a_burst_is_echoed_whole(start_server: StartServer) -> None:
    server = start_server(WsSettings())
    assert _flood(server.port, 2000) == (2000, None)


def test_the_burst_defaults_to_one_seconds_worth() -> None:
    settings = settings_from(build_parser().parse_args(["ws", "--rate-limit", "2.5"]))
    assert (settings.rate_limit, settings.rate_burst) == (2.5, None)
    bucket = settings.message_bucket(0.0)
    assert bucket is not None
    assert bucket.burst == 3
    explicit = settings_from(build_parser().parse_args(["ws", "--rate-limit", "100", "--rate-burst", "7"]))
    assert explicit.message_bucket(0.0).burst == 7  # type: ignore[union-attr]
    assert WsSettings().message_bucket(0.0) is None
