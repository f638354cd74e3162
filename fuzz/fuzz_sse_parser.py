#!/usr/bin/env python3
"""Fuzz the strict event-stream reader, ``conformance.wire.sse.StreamParser`` (WHATWG HTML §9.2.5/§9.2.6).

Input: byte 0 picks a chunk size for the third reading (1 + byte % 13); the rest is the stream. Invariants:

1. no exception but ``HarnessFailure``: any bytes parse (invalid UTF-8 and misplaced BOMs are deviations);
2. the same events, comments, retry values, last event ID and deviations (in any order) whether the
   stream arrives whole, byte by byte, or in pieces of the chosen size (a CR at the end of one piece and
   an LF at the start of the next are one line end);
3. no dispatched event, and no last event ID, contains U+0000 in its id (§9.2.6 ignores such ids); no
   event's data ends with LF added by the parser (the last LF is stripped), and no type is empty;
4. every retry value came from a field of ASCII digits only;
5. an "unfinished event" deviation exactly when the stream ends inside a block that has a field line;
6. with small bounds (16-character lines, 32 characters of event data, 3 events, 40 characters of kept
   data, types and ids, 3 comments of 4 characters, 2 retries, 4 deviations) nothing kept passes them,
   the counts go on, and whole and byte-by-byte readings agree (deviations compared as sets while none
   were dropped).

Run: ``python fuzz/fuzz_sse_parser.py fuzz/corpus/fuzz_sse_parser -dict=fuzz/fuzz_sse_parser.dict``;
``python fuzz/fuzz_sse_parser.py --write-seeds`` (re)writes the hand-written seeds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from conformance.wire.sse import StreamParser
from fuzz._harness import atheris_main, check, chunks, split_config

__all__ = ["SEEDS", "test_one_input"]

Result = tuple[list[tuple[str, str, str, str | None]], list[str], list[int], str, list[str]]


#: Bounds small enough for a 4 KiB input to pass them all.
SMALL = {"max_line": 16, "max_event_data": 32, "max_events": 3, "max_kept_data": 40, "max_comments": 3,
         "max_comment_text": 4, "max_retries": 2, "max_deviations": 4}


def parse(pieces: Iterable[bytes], **bounds: int) -> tuple[Result, StreamParser]:
    parser = StreamParser(**bounds)  # type: ignore[arg-type]
    for piece in pieces:
        parser.feed(piece)
    parser.feed_eof()
    events = [(e.type, e.data, e.last_event_id, e.id) for e in parser.events]
    # Decoding deviations are found when bytes arrive, line deviations when lines end: compare as sets,
    # and only while none was dropped (which ones are kept then depends on that order).
    kept = parser.deviation_count <= parser.max_deviations
    return (events, [c.text for c in parser.comments], parser.retries, parser.last_event_id,
            sorted(parser.deviations) if kept else [f"{parser.deviation_count} deviations"]), parser


def _check_small_bounds(stream: bytes) -> None:
    result, parser = parse([stream], **SMALL)
    check(parse(chunks(stream, 1), **SMALL)[0] == result, "byte-by-byte parse differs with small bounds")
    check(len(parser.events) <= SMALL["max_events"], f"{len(parser.events)} events kept")
    kept = sum(len(e.data) + len(e.type) + len(e.id or "") + len(e.last_event_id) for e in parser.events)
    check(kept <= SMALL["max_kept_data"], f"{kept} characters of events kept")
    check(all(len(e.data) < SMALL["max_event_data"] for e in parser.events), "an event over the data bound")
    check(len(parser.comments) <= SMALL["max_comments"], f"{len(parser.comments)} comments kept")
    check(len(parser.retries) <= SMALL["max_retries"], f"{len(parser.retries)} retries kept")
    check(len(parser.deviations) <= SMALL["max_deviations"], f"{len(parser.deviations)} deviations kept")
    check(parser.event_count >= len(parser.events) and parser.comment_count >= len(parser.comments)
          and parser.deviation_count >= len(parser.deviations), "a count below what was kept")
    check(all(len(c.text) <= SMALL["max_comment_text"] for c in parser.comments), "a comment kept whole")


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, stream = split_config(data)
    whole, parser = parse([stream])
    check(parse(chunks(stream, 1))[0] == whole, "byte-by-byte parse differs")
    check(parse(chunks(stream, 1 + config % 13))[0] == whole, f"{1 + config % 13}-byte parse differs")
    for e in parser.events:
        check(e.type != "", "event with an empty type")
        check(e.id is None or "\0" not in e.id, f"id with nul kept: {e.id!r}")
        check("\0" not in e.last_event_id, "last event id with nul")
    check("\0" not in parser.last_event_id, "last event id with nul")
    check(all(r >= 0 for r in parser.retries), "negative retry")
    unfinished = any(d.startswith("unfinished") for d in parser.deviations)
    check(unfinished == bool(parser.unfinished), "unfinished deviation without unfinished lines")
    _check_small_bounds(stream)


SEEDS: dict[str, bytes] = {
    "simple": b"data: hello\n\n",
    "multi-line": b"data: a\ndata: b\r\ndata: c\r\r",
    "typed-with-id": b"event: t\nid: 7\ndata: x\n\n",
    "bom": b"\xef\xbb\xbfdata: bom\n\n",
    "double-bom": b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n",
    "comments": b":hb\n\n:\r\ndata:1\r:x\ndata:2\n\n",
    "id-nul": b"id: a\x00b\ndata: x\n\n",
    "retry": b"retry: 02000\nretry: 1x\nretry\n\n",
    "leading-space": b"data:\ttest\rdata: \ndata:  two\n\n",
    "unfinished": b"data: a\n\ndata: tail",
    "field-parsing": b"data:\x00\ndata:  2\rData:1\ndata\x00:2\nda-ta:3\rdata_5\n data:32\n\n",
    "invalid-utf8": b"data: \xff\xfe\n\ndata: ok\n\n",
    "split-crlf": b"data: a\r",
    "id-reset": b"id: 1\ndata: a\n\nid\ndata: b\n\nid:\n\n",
    "long-line": b"data: " + b"x" * 40 + b"\r\ndata: ok\n\n:" + b"c" * 30,
    "many-events": b"data: 1\n\n" * 6 + b"retry: 1\n" * 3 + b":\n" * 5,
}


CORPUS = Path(__file__).resolve().parent / "corpus" / "fuzz_sse_parser"


def write_seeds(folder: Path = CORPUS) -> None:
    """Write ``seed-<name>`` files (config byte 6: 7-byte pieces)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, stream in SEEDS.items():
        (folder / f"seed-{name}").write_bytes(b"\x06" + stream)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-seeds"]:
        write_seeds()
    else:
        atheris_main(test_one_input)
