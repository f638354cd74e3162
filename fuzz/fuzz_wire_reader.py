#!/usr/bin/env python3
"""Fuzz the runner's reader of target bytes: ``conformance.wire.wsframes.FrameReader``, ``wsrecv.Receiver``.

A hostile or broken server can send anything, so the runner's reader must be as robust as a server.
Input: byte 0 configures it (bits 0-1: ``max_payload`` of 0, 125, 1000 or 16 MiB; bit 2: an extension
was negotiated); the rest is what the target sends. Invariants:

1. the only exception is ``FrameTooLarge`` (a declared length over the limit, before buffering it);
2. the same frames, events, deviations and error whether the bytes arrive whole, byte by byte or in 3-byte
   reads (``FrameTooLarge`` carries the frames completed earlier in the same read);
3. ``frame(...)`` with the decoded fields (mask key, length encoding) rebuilds each frame's exact bytes;
4. the receiver records a deviation for every frame that breaks a header rule (masked, RSV bits without
   an extension, reserved opcode, non-minimal length, invalid control frame), and never more than 100.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.wire.wsframes import DEFINED_OPCODES, Frame, FrameReader, FrameTooLarge, frame
from conformance.wire.wsrecv import CloseFrame, Event, Receiver
from fuzz._harness import atheris_main, check, chunks, split_config

__all__ = ["read", "test_one_input"]

_LIMITS = (0, 125, 1000, 16 * 2**20)
Outcome = tuple[list[Frame], list[Event | CloseFrame | None], list[str], int | None]


def read(pieces: Iterable[bytes], limit: int, extensions: bool) -> Outcome:
    """Read ``pieces``; return the frames, what the receiver made of each, its deviations, the error."""
    reader, receiver = FrameReader(limit), Receiver(extensions=extensions)
    frames: list[Frame] = []
    items: list[Event | CloseFrame | None] = []
    try:
        for piece in pieces:
            for fr in reader.feed(piece):
                frames.append(fr)
                items.append(receiver.feed(fr))
    except FrameTooLarge as exc:
        check(exc.declared > limit, f"frame of {exc.declared} bytes refused with limit {limit}")
        for fr in exc.frames:
            frames.append(fr)
            items.append(receiver.feed(fr))
        return frames, items, receiver.deviations, exc.declared
    return frames, items, receiver.deviations, None


def _rebuild(data: bytes, frames: list[Frame]) -> None:
    offset = 0
    for fr in frames:
        header = 2 + fr.length_bytes
        key = data[offset + header: offset + header + 4] if fr.masked else None
        encoded = frame(fr.opcode, fr.payload, fin=fr.fin, rsv1=fr.rsv1, rsv2=fr.rsv2, rsv3=fr.rsv3,
                        mask=fr.masked, mask_key=key, length_bytes=fr.length_bytes)
        check(data[offset:offset + len(encoded)] == encoded, f"frame at byte {offset} does not rebuild")
        offset += len(encoded)


def _bad_header(fr: Frame, extensions: bool) -> bool:
    return (fr.masked or (not extensions and (fr.rsv1 or fr.rsv2 or fr.rsv3)) or not fr.minimal
            or fr.opcode not in DEFINED_OPCODES or (fr.is_control and (len(fr.payload) > 125 or not fr.fin)))


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, stream = split_config(data)
    limit, extensions = _LIMITS[config & 3], bool(config & 4)
    whole = read([stream], limit, extensions)
    for size in (1, 3):
        other = read(chunks(stream, size), limit, extensions)
        check(other == whole, f"{size}-byte reads differ")
    frames, _, deviations, _ = whole
    _rebuild(stream, frames)
    bad = sum(_bad_header(fr, extensions) for fr in frames)
    check(len(deviations) >= min(bad, 100), f"{bad} bad headers but {len(deviations)} deviations")
    check(len(deviations) <= 100, f"{len(deviations)} deviations kept")


if __name__ == "__main__":
    atheris_main(test_one_input)
