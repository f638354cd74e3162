"""The strict event-stream parser is bounded by construction: what it keeps never passes its caps."""

from __future__ import annotations

import asyncio

from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from conformance.wire.httpclient import HttpExchange
from conformance.wire.sse import MAX_LINE, StreamParser, Subscription


def test_an_endless_data_line_is_not_buffered() -> None:
    parser = StreamParser()
    parser.feed(b"data: ")
    for _ in range(3 * MAX_LINE // 65536):
        parser.feed(b"x" * 65536)
    assert parser._pending_len > MAX_LINE
    assert sum(map(len, parser._pending)) == 0  # nothing of it is kept once it is over the cap
    parser.feed(b"\ndata: ok\n\n")
    assert [e.data for e in parser.events] == ["ok"]
    (deviation,) = parser.deviations
    assert deviation.startswith(f"line 1: a line of {3 * MAX_LINE + 6} characters is longer than the "
                                f"runner reads ({MAX_LINE}): skipped: 'data: xxx")


def test_a_line_of_exactly_the_cap_is_read() -> None:
    parser = StreamParser(max_line=10)
    parser.feed(b"data: 1234\n\n")
    assert [e.data for e in parser.events] == ["1234"]
    assert parser.deviations == []


def test_a_long_line_at_eof_is_reported_and_unfinished() -> None:
    parser = StreamParser(max_line=10)
    parser.feed(b"data: " + b"y" * 20)
    parser.feed_eof()
    assert parser.unfinished == ["data: yyyyy"]
    assert [d.split(":")[0] for d in parser.deviations] == ["line 1",
                                                           "unfinished event at eof (not dispatched)"]


def test_an_event_over_the_data_cap_is_not_dispatched() -> None:
    parser = StreamParser(max_event_data=8)
    parser.feed(b"data: 1234\ndata: 5678\ndata: 9\n\ndata: a\n\n")
    assert [e.data for e in parser.events] == ["a"]
    assert parser._data == []
    assert parser.deviations == ["line 2: event data longer than the runner keeps (8): the event is not "
                                 "dispatched"]


def test_events_comments_retries_and_deviations_are_kept_up_to_their_caps_and_counted() -> None:
    parser = StreamParser(max_events=2, max_comments=3, max_retries=1, max_deviations=2)
    parser.feed(b"data: 1\n\n" * 5 + b":hb\n" * 6 + b"retry: 5\n" * 4 + b"id: \x00\n" * 5 + b"\n")
    assert [e.data for e in parser.events] == ["1", "1"]
    assert parser.event_count == 5
    assert len(parser.comments) == 3
    assert parser.comment_count == 6
    assert parser.retries == [5]
    assert len(parser.deviations) == 2
    assert parser.deviation_count == 6
    assert parser.deviations[0].startswith("more than 2 events")


def test_kept_events_are_bounded_in_characters() -> None:
    parser = StreamParser(max_kept_data=20)  # data, type and ids count: "abc" + "message" = 10
    parser.feed(b"data: abc\n\ndata: defghi\n\ndata: g\n\n")
    assert [e.data for e in parser.events] == ["abc"]  # "g" would fit, but none after the first one dropped
    assert parser.event_count == 3


def test_comments_retries_and_deviations_quote_little() -> None:
    parser = StreamParser(max_comment_text=4)
    parser.feed(b":" + b"c" * 100 + b"\nretry: " + b"9" * 5000 + b"\nid: \x00" + b"i" * 100 + b"\n\n")
    assert [c.text for c in parser.comments] == ["cccc"]
    assert parser.retries == []
    assert parser.deviations[0] == "line 2: retry of 5000 digits is longer than the runner reads (18)"
    assert len(parser.deviations[1]) < 100


def test_endless_events_keep_memory_bounded() -> None:
    parser = StreamParser(max_events=100)
    for _ in range(100):
        parser.feed(b"event: t\ndata: x\n\n" * 100)
    assert len(parser.events) == 100
    assert parser.event_count == 10000
    assert parser._block_lines == []
    assert parser._block_size == 0


def test_subscription_arrivals_are_bounded_and_never_too_early() -> None:
    async def main() -> list[tuple[float, int, int]]:
        ex = HttpExchange(parse_url("http://127.0.0.1:9/events", ALL_SCHEMES))
        sub = Subscription(ex, max_arrivals=3)
        for _ in range(10):
            sub._feed(b"data: x\n\n")
        return sub.arrivals

    arrivals = asyncio.run(main())
    assert [n for _, n, _ in arrivals] == [1, 2, 10]  # the last entry is the latest arrival
    assert arrivals[1][0] <= arrivals[2][0]
