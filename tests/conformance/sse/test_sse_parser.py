"""The strict event-stream parser (conformance.wire.sse) against the WHATWG §9.2.5/§9.2.6 rules and the
web-platform-tests eventsource vectors, in every chunking."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.wire.sse import StreamParser, parse_stream


def events(body: bytes) -> list[tuple[str, str, str]]:
    return [(e.type, e.data, e.last_event_id) for e in parse_stream(body).events]


def every_chunking(body: bytes) -> list[StreamParser]:
    cuts = [[], list(range(1, len(body))), *([[i] for i in range(1, len(body))])]
    return [parse_stream(body, c) for c in cuts]


# (stream, expected events) from wpt eventsource/format-*.any.js and the §9.2.6 rules.
VECTORS = [
    (b"data: a\n\n", [("message", "a", "")]),
    (b"\xef\xbb\xbfdata: bom\n\n", [("message", "bom", "")]),                     # format-bom
    (b"\xef\xbb\xbf\xef\xbb\xbfdata: 2\n\ndata: ok\n\n", [("message", "ok", "")]),  # format-bom-2
    (b"data:1\r:\0\n:\r\ndata:2\n:" + b"x" * 2049 + b"\rdata:3\n:data:fail\r:\ndata:4\n\n",
     [("message", "1\n2\n3\n4", "")]),                                              # format-comments
    (b"data:\n\ndata\ndata\n\ndata:test\n\n",
     [("message", "", ""), ("message", "\n", ""), ("message", "test", "")]),       # format-field-data
    (b"event:test\ndata:x\n\ndata:y\n\n", [("test", "x", ""), ("message", "y", "")]),
    (b"event: \ndata:x\n\n", [("message", "x", "")]),                              # event-empty
    (b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
     [("message", "a", "1"), ("message", "b", "1"), ("message", "c", "")]),        # id persists/reset
    (b"id: a\0b\ndata: x\n\n", [("message", "x", "")]),                            # id with NUL ignored
    (b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n"
     b" data:32\ndata:4\n\n", [("message", "\0\n 2\n1\n3\n\n4", "")]),            # format-field-parsing
    (b"data:\ttest\rdata: \ndata:test\n\n", [("message", "\ttest\n\ntest", "")]),  # leading space
    (b"data:test\r\ndata\ndata:test\r\n\r", [("message", "test\n\ntest", "")]),     # format-newlines
    (b"retry: 1000x\ndata: x\n\n", [("message", "x", "")]),
    (b"id: 5\n\n", []),                                                            # id-only block
    (b"data: unfinished", []),                                                     # dropped at EOF
]


@pytest.mark.parametrize(("body", "expected"), VECTORS)
def test_vectors_in_every_chunking(body: bytes, expected: list[tuple[str, str, str]]) -> None:
    for parser in every_chunking(body):
        assert [(e.type, e.data, e.last_event_id) for e in parser.events] == expected


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    parser = StreamParser()
    parser.feed(b"data: a\r")
    parser.feed(b"\ndata: b\r")
    parser.feed(b"")
    parser.feed(b"\n\r\n")
    assert [e.data for e in parser.events] == ["a\nb"]


def test_lf_completing_a_split_crlf_is_consumed_once() -> None:
    # found by fuzz/fuzz_sse_parser.py: the LF after a chunk-final CR used to leave the CR pending, so
    # the next LF (a blank line) was swallowed too and the event never dispatched
    parser = StreamParser()
    for piece in (b"data: a\r", b"\n", b"\n"):
        parser.feed(piece)
    assert [e.data for e in parser.events] == ["a"]


@pytest.mark.parametrize(("body", "fragment"), [
    (b"data: \xff\n\n", "invalid utf-8 at byte 6"),
    (b"data: a\n\n\xef\xbb\xbfdata: b\n\n", "a bom that is not the first byte"),
    (b"id: 1\0\n\n", "id with nul"),
    (b"retry: 1s\n\n", "retry is not only ascii digits: '1s'"),
    (b"retry\n\n", "retry is not only ascii digits: ''"),
    (b"data: tail", "unfinished event at eof"),
])
def test_server_side_deviations_are_reported(body: bytes, fragment: str) -> None:
    parser = parse_stream(body)
    assert any(fragment in d for d in parser.deviations), parser.deviations


def test_clean_stream_has_no_deviation_and_records_comments_and_retry() -> None:
    parser = parse_stream(b"\xef\xbb\xbfretry: 02000\n:hb\n\ndata: x\n:inside\n\n:between\n")
    assert parser.deviations == []
    assert parser.bom_seen
    assert parser.retries == [2000]
    assert [(c.text, c.in_block) for c in parser.comments] == \
        [("hb", True), ("inside", True), ("between", False)]


def test_bom_inside_a_value_is_data() -> None:
    assert events("data: \ufeffx\n\n".encode()) == [("message", "\ufeffx", "")]


def test_invalid_utf8_is_replaced_and_parsing_goes_on() -> None:
    parser = parse_stream(b"data: \xffa\n\ndata: b\n\n")
    assert [e.data for e in parser.events] == ["\ufffda", "b"]


stream_bytes = st.lists(st.sampled_from([b"data", b"id", b"event", b"retry", b":", b" ", b"\r", b"\n",
                                         b"\r\n", b"x", b"\xc3\xa9", b"\0", b"\xef\xbb\xbf", b"7"]),
                        max_size=60).map(b"".join)


@given(stream_bytes, st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_any_chunking_gives_the_same_result(body: bytes, cuts: list[int]) -> None:
    whole = parse_stream(body)
    chopped = parse_stream(body, sorted(c for c in set(cuts) if 0 < c < len(body)))
    assert [(e.type, e.data, e.last_event_id, e.id) for e in chopped.events] == \
        [(e.type, e.data, e.last_event_id, e.id) for e in whole.events]
    assert chopped.retries == whole.retries
    assert [c.text for c in chopped.comments] == [c.text for c in whole.comments]


@given(st.binary(max_size=300))
def test_any_bytes_parse_without_exception(body: bytes) -> None:
    for a, b in itertools.pairwise([0, len(body) // 3, len(body)]):
        assert a <= b
    parse_stream(body, [len(body) // 2] if len(body) > 1 else None)
