"""Properties of permessage-deflate (RFC 7692) in the reference connection: whatever the messages, the
client's compression settings, the fragmentation and the TCP chopping, the server delivers exactly the
messages sent, and what it sends inflates (with plain zlib, the client's view) to exactly what it was given.
"""

from __future__ import annotations

import zlib

from hypothesis import given
from hypothesis import strategies as st

from reference.core.ws.deflate import DeflateParams
from reference.core.ws.events import BinaryMessage, TextMessage
from reference.core.ws.frames import Frame, FrameParser, serialize_frame
from reference.core.ws.opcodes import Opcode
from reference.core.ws.protocol import OPEN, Connection

KEY = b"\x01\x02\x03\x04"
TRAILER = b"\x00\x00\xff\xff"

payloads = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=500).map(str.encode),
    st.tuples(st.binary(min_size=1, max_size=20), st.integers(1, 400)).map(lambda t: t[0] * t[1]),
)
messages = st.lists(st.tuples(st.booleans(), payloads, st.booleans()), min_size=1, max_size=6)


def client_wire(items: list[tuple[bool, bytes, bool]], takeover: bool, wbits: int, cuts: st.DataObject
                ) -> tuple[bytes, list[TextMessage | BinaryMessage]]:
    """Frames a client sends for ``(is_text, payload, compressed)`` messages, and the events they mean."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    wire = b""
    expected: list[TextMessage | BinaryMessage] = []
    for is_text, raw, compressed in items:
        data = raw.decode("utf-8", "replace").encode() if is_text else raw
        opcode = Opcode.TEXT if is_text else Opcode.BINARY
        expected.append(TextMessage(data.decode()) if is_text else BinaryMessage(data))
        if compressed:
            if not takeover:
                comp = zlib.compressobj(6, zlib.DEFLATED, -wbits)
            body = (comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
        else:
            body = data
        splits = sorted(cuts.draw(st.lists(st.integers(0, len(body)), max_size=3)))
        pieces = [body[a:b] for a, b in zip([0, *splits], [*splits, len(body)], strict=True)]
        for i, piece in enumerate(pieces):
            frame = Frame(opcode if i == 0 else Opcode.CONT, piece, fin=i == len(pieces) - 1,
                          rsv1=compressed and i == 0)
            wire += serialize_frame(frame, KEY)
    return wire, expected


@given(messages, st.booleans(), st.sampled_from([9, 10, 12, 15]), st.data())
def test_compressed_messages_arrive_intact_whatever_the_chopping(
        items: list[tuple[bool, bytes, bool]], takeover: bool, wbits: int, data: st.DataObject) -> None:
    wire, expected = client_wire(items, takeover, wbits, data)
    conn = Connection(deflate=DeflateParams(client_no_context_takeover=not takeover))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        conn.receive_data(wire[a:b])
    assert conn.events_received() == expected
    assert conn.state is OPEN


@given(st.lists(st.tuples(st.booleans(), payloads), min_size=1, max_size=6), st.booleans(),
       st.sampled_from([9, 11, 15]))
def test_what_the_server_sends_inflates_to_what_it_was_given(
        items: list[tuple[bool, bytes]], no_takeover: bool, wbits: int) -> None:
    conn = Connection(deflate=DeflateParams(server_no_context_takeover=no_takeover,
                                            server_max_window_bits=wbits))
    for is_text, raw in items:
        if is_text:
            conn.send_text(raw.decode("utf-8", "replace"))
        else:
            conn.send_binary(raw)
    parser = FrameParser(mask=False)
    parser.rsv1_allowed = True
    frames = list(parser.feed(b"".join(conn.data_to_send())))
    inflater = zlib.decompressobj(-wbits)  # the client's window may be as small as the agreed one
    for frame, (is_text, raw) in zip(frames, items, strict=True):
        assert frame.rsv1
        assert frame.fin
        if no_takeover:
            inflater = zlib.decompressobj(-wbits)
        sent = raw.decode("utf-8", "replace").encode() if is_text else raw
        assert inflater.decompress(frame.payload + TRAILER) == sent
