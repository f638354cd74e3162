"""The sseclient responder's own pieces: the strict request-head reader, and the server's bounds."""

from __future__ import annotations

import asyncio

from conformance.catalog.sseclient.context import show
from conformance.catalog.sseclient.request import MAX_REQUEST_HEAD, HeadBuffer, parse_request_head
from conformance.catalog.sseclient.server import MAX_CONNECTIONS, CaseServer
from conformance.wire.transcript import Transcript

GOOD = (b"GET /s?x=1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nLast-Event-ID: \xc3\xa9\r\n"
        b"Accept:  text/event-stream \r\n\r\n")


def test_a_valid_head_is_read_with_its_utf8_header() -> None:
    request = parse_request_head(GOOD)
    assert request.problem == ""
    assert (request.method, request.target, request.path) == ("GET", "/s?x=1", "/s")
    assert request.header("accept") == "text/event-stream"
    assert request.utf8_header("last-event-id") == "\u00e9"
    assert request.header("origin") is None


def test_malformed_heads_say_why() -> None:
    problems = {
        b"GET /s HTTP/1.0\r\nHost: h\r\n\r\n": "HTTP/1.0",
        b"GET http://h/s HTTP/1.1\r\nHost: h\r\n\r\n": "origin-form",
        b"GET /s HTTP/1.1\r\n\r\n": "0 Host",
        b"GET /s HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n": "2 Host",
        b"GET /s HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n": "malformed header line",
        b"GET /s HTTP/1.1\r\nHost : h\r\n\r\n": "malformed header line",
        b"GET /s HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n": "control character",
        b"GET /s HTTP/1.1\r\nHost: h\r\n": "does not end",
    }
    for raw, why in problems.items():
        assert why in parse_request_head(raw).problem, raw


def test_the_head_buffer_is_bounded_and_finds_a_split_blank_line() -> None:
    buffer = HeadBuffer()
    assert buffer.feed(GOOD[:-3]) is None
    assert buffer.feed(GOOD[-3:] + b"rest") == GOOD
    assert buffer.rest == b"rest"
    flood = HeadBuffer()
    for _ in range(MAX_REQUEST_HEAD // 1000 + 1):
        assert flood.feed(b"X" * 1000) is None
    assert flood.overflow
    assert flood.feed(b"\r\n\r\n") is None


def test_the_server_reads_at_most_max_connections_and_never_waits_past_its_deadline() -> None:
    async def run() -> tuple[int, int, float]:
        loop = asyncio.get_running_loop()
        server = CaseServer(Transcript(), loop.time() + 2.0)
        await server.start()
        writers = []
        for _ in range(MAX_CONNECTIONS + 3):
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            writers.append(writer)
        taken = 0
        while await server.next(0.5) is not None:
            taken += 1
        start = loop.time()
        await server.close()
        for writer in writers:
            writer.close()
        return taken, server.refused, loop.time() - start

    taken, refused, closing = asyncio.run(run())
    assert (taken, refused) == (MAX_CONNECTIONS, 3)
    assert closing < 1.0


def test_a_verdict_shows_a_long_printed_field_cut() -> None:
    line = show("message", "x" * 10_000, "")
    assert len(line) < 100
    assert line.startswith('message "xxx')
    assert line.endswith('"... id=""')
