#!/usr/bin/env python3
"""Fuzz the runner's HTTP/1.1 response reader, ``conformance.wire.httpread.ResponseReader``, without sockets.

A hostile or broken SSE or long-poll target can send anything, so the reader must be robust and bounded.
Input: byte 0 configures it (bit 0: small bounds, a 48-byte head, 5 kept body bytes, 2 arrivals, a 6-byte
chunk-size line, instead of the real ones; bit 1: the request was ``HEAD``; bit 2: the stream ends with a
reset; bit 3: it does not end at all; bits 4-7: a third reading in pieces of 1 + value % 13 bytes); the
rest is what the target sends. Invariants:

1. no exception at all: any bytes end in a head, a body, ``head_error`` or ``framing_error``;
2. never past the bounds: ``body`` at most the kept size, ``arrivals`` at most the kept count, and
   ``body`` is exactly the first bytes of what a reader with unlimited room keeps (``body_size`` and
   ``truncated`` agree with it);
3. the same response, body, sizes, state and errors whether the bytes arrive whole, byte by byte, or in
   pieces of the chosen size;
4. after the end of the stream the reader is done; ``ended`` never comes with an error.

Run: ``python fuzz/fuzz_http_reader.py fuzz/corpus/fuzz_http_reader -dict=fuzz/fuzz_http_reader.dict``;
``python fuzz/fuzz_http_reader.py --write-seeds`` (re)writes the hand-written seeds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from conformance.wire import httpread
from conformance.wire.httpread import ReadState, ResponseReader
from fuzz._harness import atheris_main, check, chunks, split_config

__all__ = ["SEEDS", "read", "test_one_input"]

#: (max_head, max_body, max_arrivals, max_chunk_line): the real bounds, and small ones the fuzzer can reach.
_BOUNDS = ((httpread.MAX_RESPONSE_HEAD, httpread.MAX_BODY_KEPT, httpread.MAX_ARRIVALS,
            httpread.MAX_CHUNK_LINE), (48, 5, 2, 6))
_UNBOUNDED = 2**62

Outcome = tuple[object, ...]


def read(pieces: Iterable[bytes], bounds: tuple[int, int, int, int], *, head_request: bool = False,
         eof: bool | None = False) -> ResponseReader:
    """Feed ``pieces`` (at times 0, 1, 2, ...), then the end of the stream (``eof`` says whether it was a
    reset; None: the stream does not end)."""
    max_head, max_body, max_arrivals, max_chunk_line = bounds
    reader = ResponseReader(head_request=head_request, max_head=max_head, max_body=max_body,
                            max_arrivals=max_arrivals, max_chunk_line=max_chunk_line)
    for now, piece in enumerate(pieces):
        reader.receive_data(piece, float(now))
    if eof is not None:
        reader.receive_eof(eof)
    return reader


def outcome(reader: ResponseReader) -> Outcome:
    """What must not depend on how the bytes were cut."""
    response = reader.response
    head = None if response is None else (response.status, response.headers, response.raw)
    return (head, bytes(reader.body), reader.body_size, reader.truncated, reader.state, reader.framing,
            reader.interim, reader.raw_head_size, reader.head_error, reader.framing_error)


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, stream = split_config(data)
    bounds = _BOUNDS[config & 1]
    head_request = bool(config & 2)
    eof = None if config & 8 else bool(config & 4)
    whole = read([stream], bounds, head_request=head_request, eof=eof)
    for size in (1, 1 + (config >> 4) % 13):
        other = read(chunks(stream, size), bounds, head_request=head_request, eof=eof)
        check(outcome(other) == outcome(whole), f"{size}-byte reads differ")
        check(len(other.arrivals) <= bounds[2], f"{len(other.arrivals)} arrivals kept")
        check(other.arrival_count >= len(other.arrivals), "arrivals kept but not counted")
    check(len(whole.body) <= bounds[1], f"{len(whole.body)} body bytes kept")
    roomy = read([stream], (bounds[0], _UNBOUNDED, _UNBOUNDED, bounds[3]), head_request=head_request, eof=eof)
    check(whole.body_size == roomy.body_size == len(roomy.body), "body_size is not every body byte")
    check(bytes(whole.body) == bytes(roomy.body[:bounds[1]]), "the kept body is not the body's prefix")
    check(whole.truncated == (roomy.body_size > bounds[1]), "truncated does not match the body size")
    if eof is not None:
        check(whole.done, "not done after the end of the stream")
    if whole.state is ReadState.ENDED:
        check(not whole.head_error and not whole.framing_error, "ended with an error")
        check(whole.response is not None, "ended without a response")


SEEDS: dict[str, tuple[int, bytes]] = {
    "chunked": (0x30, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"),
    "content-length": (0x30, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA"),
    "close-delimited": (0x30, b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: a\n\n"),
    "no-content": (0x30, b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"),
    "not-modified": (0x30, b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"),
    "head-request": (0x32, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"),
    "interim": (0x30, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    "bad-chunk-size": (0x30, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"),
    "chunk-no-crlf": (0x30, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX0\r\n\r\n"),
    "chunk-line-long": (0x31, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0000001\r\nx\r\n"),
    "head-too-long": (0x31, b"HTTP/1.1 200 OK\r\nX-Padding: " + b"p" * 64 + b"\r\n\r\nbody"),
    "body-past-cap": (0x31, b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n0123456789ab"),
    "invalid-content-length": (0x30, b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello"),
    "same-content-lengths": (0x30, b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"),
    "gzip-then-close": (0x30, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw bytes"),
    "not-http": (0x30, b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
    "cut-in-length": (0x34, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
    "held-no-eof": (0x38, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n:\r\n"),
}

CORPUS = Path(__file__).resolve().parent / "corpus" / "fuzz_http_reader"


def write_seeds(folder: Path = CORPUS) -> None:
    """Write ``seed-<name>`` files (the configuration byte, then the stream)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (config, stream) in SEEDS.items():
        (folder / f"seed-{name}").write_bytes(bytes([config]) + stream)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-seeds"]:
        write_seeds()
    else:
        atheris_main(test_one_input)
