"""The sans-IO HTTP/1.1 response reader (``wire.httpread``): framing, errors and bounds; no sockets."""

from __future__ import annotations

import pytest

from conformance.wire.httpread import (
    MAX_RESPONSE_HEAD,
    TRANSITIONS,
    Dechunker,
    Framing,
    ReadState,
    ResponseReader,
    Trigger,
)

OK = b"HTTP/1.1 200 OK\r\n"


def read(data: bytes, *, eof: bool = True, piece: int | None = None, **kw: object) -> ResponseReader:
    reader = ResponseReader(**kw)  # type: ignore[arg-type]
    step = piece or len(data) or 1
    for i in range(0, len(data), step):
        reader.receive_data(data[i:i + step], float(i))
    if eof:
        reader.receive_eof()
    return reader


@pytest.mark.parametrize("piece", [None, 1, 3])
def test_chunked_body_is_dechunked_and_ends_at_the_last_chunk(piece: int | None) -> None:
    data = OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;name=v\r\n world\r\n0\r\n\r\nafter"
    reader = read(data, eof=False, piece=piece)
    assert reader.state is ReadState.ENDED
    assert reader.framing is Framing.CHUNKED
    assert bytes(reader.body) == b"hello world"
    assert reader.body_size == 11
    assert not reader.framing_error


@pytest.mark.parametrize("piece", [None, 1])
def test_content_length_ends_the_body_and_ignores_what_follows(piece: int | None) -> None:
    reader = read(OK + b"Content-Length: 5\r\n\r\nhelloEXTRA", eof=False, piece=piece)
    assert reader.state is ReadState.ENDED
    assert bytes(reader.body) == b"hello"
    assert reader.ignored == 5


def test_close_delimited_body_ends_with_the_connection() -> None:
    reader = read(OK + b"Content-Type: text/event-stream\r\n\r\ndata: a\n\n", eof=False)
    assert reader.state is ReadState.BODY
    assert not reader.done
    reader.receive_eof()
    assert reader.state is ReadState.ENDED
    assert bytes(reader.body) == b"data: a\n\n"


def test_a_reset_does_not_end_a_close_delimited_body() -> None:
    reader = read(OK + b"\r\nabc", eof=False)
    reader.receive_eof(reset=True)
    assert reader.state is ReadState.CUT
    assert reader.reset


@pytest.mark.parametrize("head", [b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
                                  b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"])
def test_204_and_304_have_no_body(head: bytes) -> None:
    reader = read(head + b"abc", eof=False)
    assert reader.state is ReadState.ENDED
    assert reader.body == b""
    assert reader.ignored == 3


def test_the_answer_to_head_has_no_body() -> None:
    reader = read(OK + b"Content-Length: 100\r\n\r\n", eof=False, head_request=True)
    assert reader.state is ReadState.ENDED


def test_interim_responses_are_skipped() -> None:
    reader = read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                  + OK + b"Content-Length: 2\r\n\r\nok", eof=False, piece=2)
    assert reader.response is not None
    assert reader.response.status == 200
    assert reader.interim == 2
    assert bytes(reader.body) == b"ok"


def test_chunked_not_final_is_close_delimited() -> None:
    reader = read(OK + b"Transfer-Encoding: chunked, gzip\r\nContent-Length: 1\r\n\r\nraw")
    assert reader.framing is Framing.CLOSE
    assert bytes(reader.body) == b"raw"
    assert reader.state is ReadState.ENDED


@pytest.mark.parametrize(("value", "framing", "error"), [
    (b"3, 3", Framing.LENGTH, ""),
    (b"3, 4", Framing.CLOSE, "invalid content-length"),
    (b"-3", Framing.CLOSE, "invalid content-length"),
    (b"0x3", Framing.CLOSE, "invalid content-length"),
    (b"9" * 5000, Framing.CLOSE, "content-length of 5000 digits is more than the runner reads"),
])
def test_content_length_validity(value: bytes, framing: Framing, error: str) -> None:
    reader = read(OK + b"Content-Length: " + value + b"\r\n\r\nabc", eof=False)
    assert reader.framing is framing
    assert error in reader.framing_error
    assert bool(error) == bool(reader.framing_error)
    assert reader.state is (ReadState.BROKEN if error else ReadState.ENDED)


@pytest.mark.parametrize(("chunked", "error"), [
    (b"zz\r\nhello\r\n", "bad chunk size line: b'zz'"),
    (b" 5\r\nhello\r\n", "bad chunk size line"),
    (b"+5\r\nhello\r\n", "bad chunk size line"),
    (b"5\nhello\r\n", "bad chunk size line"),
    (b"2\r\nhiXX0\r\n\r\n", "chunk data not followed by crlf"),
    (b"1" * 9000 + b"\r\n", "chunk-size line longer than 8192 bytes"),
])
def test_broken_chunked_encoding_is_a_framing_error(chunked: bytes, error: str) -> None:
    for piece in (None, 1):
        reader = read(OK + b"Transfer-Encoding: chunked\r\n\r\n" + chunked, eof=False, piece=piece)
        assert reader.state is ReadState.BROKEN
        assert reader.done
        assert error in reader.framing_error


def test_chunked_cut_by_eof_is_not_ended() -> None:
    reader = read(OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel")
    assert reader.state is ReadState.CUT
    assert bytes(reader.body) == b"hel"


def test_a_chunk_is_delivered_as_it_arrives_not_when_whole() -> None:
    dechunker = Dechunker()
    assert dechunker.feed(b"10000000\r\nabc") == b"abc"  # a 256 MiB chunk: nothing of it is held back
    assert dechunker.feed(b"def") == b"def"
    assert not dechunker.done
    assert not dechunker.error


def test_head_too_large_is_a_head_error_whatever_the_pieces() -> None:
    head = OK + b"X-Pad: " + b"p" * MAX_RESPONSE_HEAD + b"\r\n\r\n"
    for piece in (None, 4096):
        reader = read(head, eof=False, piece=piece)
        assert reader.state is ReadState.BROKEN
        assert f"longer than {MAX_RESPONSE_HEAD} bytes" in reader.head_error
        assert reader.response is None


def test_head_of_exactly_the_limit_is_read() -> None:
    pad = MAX_RESPONSE_HEAD - len(OK) - len(b"X-Pad: \r\n\r\n")
    reader = read(OK + b"X-Pad: " + b"p" * pad + b"\r\n\r\n", eof=False, piece=1000)
    assert reader.response is not None
    assert reader.raw_head_size == MAX_RESPONSE_HEAD


def test_no_head_before_eof_and_a_garbage_status_line() -> None:
    reader = read(b"HTTP/1.1 200 O")
    assert reader.state is ReadState.CUT
    assert "closed after 14 bytes" in reader.head_error
    reader = read(b"SSH-2.0-OpenSSH\r\n\r\n", eof=False)
    assert reader.state is ReadState.BROKEN
    assert "not an http status line" in reader.head_error


def test_body_past_its_bound_is_counted_not_kept() -> None:
    reader = read(OK + b"Content-Length: 100\r\n\r\n" + b"x" * 100, eof=False, piece=7, max_body=10)
    assert reader.state is ReadState.ENDED
    assert bytes(reader.body) == b"x" * 10
    assert reader.body_size == 100
    assert reader.truncated


def test_timeline_is_bounded_but_the_silences_stay_exact() -> None:
    reader = ResponseReader(max_arrivals=2)
    reader.receive_data(OK + b"\r\n", 10.0)
    for now in (11.0, 11.5, 15.0, 15.1):
        reader.receive_data(b"x", now)
    assert reader.arrivals == [(11.0, 1), (11.5, 1)]
    assert reader.arrival_count == 4
    assert reader.last_arrival == 15.1
    assert reader.longest_silence == pytest.approx(3.5)
    assert reader.head_at == 10.0


def test_transitions_table_is_the_only_way_states_change() -> None:
    assert TRANSITIONS[ReadState.HEAD][Trigger.HEAD_READ] is ReadState.BODY
    assert all(not TRANSITIONS[s] for s in (ReadState.ENDED, ReadState.CUT, ReadState.BROKEN))
    reader = read(OK + b"Content-Length: 1\r\n\r\nx", eof=False)
    reader.receive_eof()  # after the end: recorded, no move
    assert reader.state is ReadState.ENDED
    assert reader.eof
    reader.receive_data(b"more", 1.0)
    assert reader.ignored == 4
