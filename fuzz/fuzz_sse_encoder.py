#!/usr/bin/env python3
"""Fuzz the reference encoder, ``reference.core.sse.encoder.encode_event``, against the strict reader.

Input: byte 0 configures (bits 0-1: end of line LF, CRLF, CR, LF; bit 2: with an event type; bit 3: with
an id; bits 4-7: chunk size 1-16 for reading it back); the rest, decoded as UTF-8 with replacement, is
split at the first two U+0001 into payload, event type and id. Invariants:

1. ``encode_event`` raises ``LocalProtocolError`` exactly when the type or id has CR or LF, or the id
   has NUL; nothing else;
2. otherwise its output parses, in any chunking, with no deviation to exactly one event whose data is
   the payload with CRLF and CR turned into LF, whose type is the type (or "message"), and whose id and
   last event ID are the id;
3. ``encode_comment`` and ``encode_retry`` dispatch no event.

Run: ``python fuzz/fuzz_sse_encoder.py fuzz/corpus/fuzz_sse_encoder -dict=fuzz/fuzz_sse_encoder.dict``;
``python fuzz/fuzz_sse_encoder.py --write-seeds`` (re)writes the hand-written seeds.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from conformance.wire.sse import parse_stream
from fuzz._harness import atheris_main, check, split_config
from reference.core.errors import LocalProtocolError
from reference.core.sse.encoder import encode_comment, encode_event, encode_retry

__all__ = ["SEEDS", "test_one_input"]

_EOLS = ("\n", "\r\n", "\r", "\n")


def _unwritable(event: str | None, id_: str | None) -> bool:
    return any(v is not None and ("\r" in v or "\n" in v) for v in (event, id_)) or \
        (id_ is not None and "\0" in id_)


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, rest = split_config(data)
    parts = [*rest.decode("utf-8", "replace").split("\x01", 2), "", ""]
    payload = parts[0]
    event = parts[1] if config & 4 else None
    id_ = parts[2] if config & 8 else None
    eol = _EOLS[config & 3]
    try:
        body = encode_event(payload, event=event, id=id_, eol=eol)
    except LocalProtocolError:
        check(_unwritable(event, id_), f"refused a writable event: {event!r} {id_!r}")
        return
    check(not _unwritable(event, id_), f"wrote an unwritable event: {event!r} {id_!r}")
    size = 1 + (config >> 4)
    body = encode_comment("x", eol=eol) + encode_retry(len(payload), eol=eol) + body
    parser = parse_stream(body, list(range(size, len(body), size)))
    check(parser.deviations == [], f"deviations: {parser.deviations[:2]}")
    check(len(parser.events) == 1, f"{len(parser.events)} events")
    got = parser.events[0]
    check(got.data == re.sub(r"\r\n|\r", "\n", payload), "data changed")
    check(got.type == (event or "message"), f"type {got.type!r}")
    check(got.id == id_ and got.last_event_id == (id_ or ""), f"id {got.id!r}")


SEEDS: dict[str, bytes] = {
    "plain": b"\x00hello",
    "typed-id": b"\x0cdata\x01type\x017",
    "crlf-payload": b"\x01a\r\nb\rc\nd",
    "cr-eol": b"\x02line one\nline two",
    "leading-space": b"\x00 lead\n  two",
    "colon": b"\x00:not a comment",
    "empty": b"\x00",
    "newline-in-type": b"\x04x\x01bad\ntype",
    "nul-in-id": b"\x08x\x01\x01a\x00b",
    "cr-in-id": b"\x08x\x01\x011\r2",
    "unicode": b"\xf0caf\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80 \xe2\x80\xa8",
    "invalid-utf8": b"\x00\xff\xfe",
    "bom": b"\x00\xef\xbb\xbfx",
}


CORPUS = Path(__file__).resolve().parent / "corpus" / "fuzz_sse_encoder"


def write_seeds(folder: Path = CORPUS) -> None:
    """Write ``seed-<name>`` files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in SEEDS.items():
        (folder / f"seed-{name}").write_bytes(data)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-seeds"]:
        write_seeds()
    else:
        atheris_main(test_one_input)
