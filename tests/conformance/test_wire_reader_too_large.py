"""``FrameReader.feed`` and an oversized frame: the frames completed before it in the same read are
delivered whatever the TCP split (they ride on ``FrameTooLarge.frames``), and the WebSocket client hands
them to the case before it aborts.

Found by ``fuzz/fuzz_wire_reader.py``; reproducer ``fuzz/regressions/fuzz_wire_reader/
too-large-after-frames-in-one-read``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from engine_fakes import fake_server, server_frame

from conformance.wire.ws import WsClient
from conformance.wire.wsframes import BINARY, PING, TEXT, Frame, FrameReader, FrameTooLarge, frame
from conformance.wire.wsrecv import Message
from fuzz import fuzz_wire_reader

REPRODUCER = (Path(__file__).resolve().parents[2] / "fuzz" / "regressions" / "fuzz_wire_reader"
              / "too-large-after-frames-in-one-read")
#: A server frame header declaring 2**40 bytes of binary payload (over any limit used here).
HUGE = bytes((0x82, 127)) + (2**40).to_bytes(8, "big")


def _read(pieces: list[bytes], limit: int) -> tuple[list[Frame], int | None]:
    reader, frames = FrameReader(limit), []
    try:
        for piece in pieces:
            frames += reader.feed(piece)
    except FrameTooLarge as exc:
        return frames + list(exc.frames), exc.declared
    return frames, None


def test_frames_before_an_oversized_one_ride_on_the_error() -> None:
    before = frame(TEXT, b"one", mask=False) + frame(PING, b"p", mask=False)
    reader = FrameReader(1000)
    with pytest.raises(FrameTooLarge) as info:
        reader.feed(before + HUGE)
    assert info.value.frames == (Frame(TEXT, b"one"), Frame(PING, b"p"))
    assert info.value.declared == 2**40
    assert reader.buffered == len(HUGE), "only the oversized header stays buffered"
    with pytest.raises(FrameTooLarge) as again:
        reader.feed(b"more")
    assert again.value.frames == (), "frames are delivered once"


def test_same_frames_and_error_whole_and_byte_by_byte() -> None:
    wire = frame(BINARY, b"a" * 200, mask=False) + frame(TEXT, b"b", mask=False) + HUGE + b"tail"
    whole = _read([wire], 1000)
    assert whole == ([Frame(BINARY, b"a" * 200, length_bytes=2), Frame(TEXT, b"b")], 2**40)
    assert _read([wire[i:i + 1] for i in range(len(wire))], 1000) == whole
    assert _read([wire[:5], wire[5:210], wire[210:]], 1000) == whole


def test_the_fuzz_reproducer_keeps_the_harness_invariant() -> None:
    data = REPRODUCER.read_bytes()
    fuzz_wire_reader.test_one_input(data)  # same frames whole, byte by byte and in 3-byte reads
    frames, _, _, error = fuzz_wire_reader.read([data[1:]], 0, False)
    assert error is not None
    assert frames, "the reproducer has frames before the oversized one"


def test_client_delivers_the_message_before_an_oversized_frame_then_aborts() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(server_frame(TEXT, b"before") + HUGE)  # one write: usually one read on our side
        await writer.drain()
        await asyncio.sleep(5)

    async def main() -> WsClient:
        async with fake_server(script) as endpoint:
            ws = WsClient(endpoint, deadline=asyncio.get_running_loop().time() + 3)
            await ws.open()
            assert await ws.wait(lambda: bool(ws.aborted), timeout=2)
            ws.release()
            return ws

    ws = asyncio.run(main())
    assert ws.events == [Message.text("before")]
    assert str(2**40) in ws.aborted
