#!/usr/bin/env python3
"""Fuzz the permessage-deflate inflate path, ``reference.core.ws.deflate.PerMessageDeflate.inflate``.

Input: byte 0 configures the harness (bit 0: ``client_no_context_takeover``; bits 1-2: the room left in
the message size limit, 0, 100, 4096 or 70000 bytes); the rest is the compressed payload of one message
as a client sends it (trailer removed). Invariants:

1. the only exceptions are ``InvalidCompressedData`` (close code 1007) and ``PayloadTooBig`` (1009);
2. the output is never longer than the room;
3. the same output, or an error, whether the payload comes in one frame, in 1-byte frames or in 7-byte
   frames;
4. the outcome is what plain zlib says of the payload plus the ``00 00 ff ff`` trailer (RFC 7692 §7.2.2),
   asked for at most room + 1 bytes: more than the room is 1009; a zlib error, or bytes after the end of
   the deflate stream other than the trailer, is 1007; otherwise the same bytes;
5. after a success, the server's compressor sends those bytes back in a form plain zlib inflates to them.

Which of the two errors a payload that is both too big and invalid gets may depend on its fragmentation,
and so 3 and 4 compare errors without their kind. zlib parses block headers ahead of the output it may
still write: given a whole payload that outputs one literal, then has an invalid dynamic block header,
with room for no byte, zlib reads the header in the same call and reports the error; fed one byte at a
time, the literal comes out first and passes the room (``fuzz/regressions/fuzz_ws_deflate/
too-big-or-invalid-by-fragmentation``).

Run: ``python fuzz/fuzz_ws_deflate.py fuzz/corpus/fuzz_ws_deflate -dict=fuzz/fuzz_ws_deflate.dict``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from fuzz._harness import atheris_main, check, chunks, split_config
from reference.core.errors import InvalidCompressedData, PayloadTooBig
from reference.core.ws.deflate import TRAILER, DeflateParams, PerMessageDeflate

__all__ = ["inflate", "test_one_input"]

_ROOMS = (0, 100, 4096, 70_000)

Outcome = tuple[bytes | None, str | None]


def _same(one: Outcome, other: Outcome) -> bool:
    """The same output, or both an error (of either kind: see the module docstring)."""
    return one == other or (one[0] is None and other[0] is None)


def inflate(pieces: Iterable[bytes], *, params: DeflateParams, room: int) -> Outcome:
    """Inflate the frames of one message with a new codec: (output, None) or (None, error class name)."""
    codec = PerMessageDeflate(params)
    frames = list(pieces) or [b""]
    out = b""
    try:
        for index, piece in enumerate(frames):
            out += codec.inflate(piece, final=index == len(frames) - 1, room=room - len(out))
    except (InvalidCompressedData, PayloadTooBig) as exc:
        check(exc.close_code == (1007 if isinstance(exc, InvalidCompressedData) else 1009),
              f"{type(exc).__name__} with close code {exc.close_code}")
        return None, type(exc).__name__
    check(len(out) <= room, f"inflated {len(out)} bytes into a room of {room}")
    return out, None


def reference_outcome(payload: bytes, room: int) -> Outcome:
    """What plain zlib says of ``payload`` (see invariant 4)."""
    decompressor = zlib.decompressobj(-15)
    try:
        out = decompressor.decompress(payload + TRAILER, room + 1)
    except zlib.error:
        return None, "InvalidCompressedData"
    if len(out) > room:
        return None, "PayloadTooBig"
    if decompressor.eof and not TRAILER.endswith(decompressor.unused_data):
        return None, "InvalidCompressedData"
    return out, None


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, payload = split_config(data)
    params = DeflateParams(client_no_context_takeover=bool(config & 1))
    room = _ROOMS[(config >> 1) & 3]
    whole = inflate([payload], params=params, room=room)
    for size in (1, 7):
        pieces = inflate(chunks(payload, size), params=params, room=room)
        check(_same(pieces, whole), f"{size}-byte frames inflate differently: {pieces!r:.80}, {whole!r:.80}")
    expected = reference_outcome(payload, room)
    check(_same(whole, expected), f"inflate gave {whole!r:.80}, zlib says {expected!r:.80}")
    out = whole[0]
    if out is not None:
        sent = PerMessageDeflate(params).deflate(out)
        try:
            echoed = zlib.decompressobj(-15).decompress(sent + TRAILER)
        except zlib.error as exc:
            echoed = f"zlib error: {exc}".encode()
        check(echoed == out, f"the compressed echo does not inflate to the message: {echoed!r:.80}")


if __name__ == "__main__":
    atheris_main(test_one_input)
