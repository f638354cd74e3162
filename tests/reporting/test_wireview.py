"""Transcript entries as the report shows them: decoded frames, HTTP heads, hex, visible cuts."""

from __future__ import annotations

import struct

from conformance.reporting.wireview import (
    HEX_SHOW,
    decode_payload,
    entry_view,
    entry_views,
    hex_lines,
    show_text,
)
from conformance.wire.transcript import Entry


def masked(opcode: int, payload: bytes, key: bytes = b"\x01\x02\x03\x04", fin: bool = True) -> bytes:
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_hex_dump_has_offsets_hex_and_printable_ascii() -> None:
    lines = hex_lines(b"Hello\x00\xff" + b"x" * 12)
    assert [ln.offset for ln in lines] == ["00000000", "00000010"]
    assert lines[0].hex.startswith("48 65 6c 6c 6f 00 ff 78")
    assert lines[0].ascii == "Hello..xxxxxxxxx"
    assert lines[1].ascii == "xxx"


def test_show_text_escapes_controls_and_says_what_it_cut() -> None:
    assert show_text("a\nb\x00\x7f") == "“a\\nb\\x00\\x7f”"
    assert show_text("abcdef", limit=2) == "“ab” … 4 more characters not shown"


def test_payloads_of_text_and_close_frames_are_decoded() -> None:
    assert decode_payload("TEXT", "héllo".encode()) == ["text: “héllo”"]
    assert decode_payload("CLOSE", struct.pack("!H", 1002) + b"bad") == ["close code 1002, reason “bad”"]
    assert decode_payload("CLOSE", struct.pack("!H", 1000)) == ["close code 1000, no reason"]
    assert decode_payload("CLOSE", b"\x03") == ["close payload of 1 byte (a code needs 2)"]
    valid = "κό".encode()
    assert decode_payload("TEXT", b"ok" + valid + b"\xed\xa0\x80") == [  # a UTF-16 surrogate: invalid
        f"text: invalid UTF-8 at byte {2 + len(valid)}: “okκό”"]
    assert decode_payload("BINARY", b"\x00\x01") == []
    assert decode_payload("TEXT", b"") == []


def test_runner_frames_are_unmasked_and_described() -> None:
    data = masked(0x1, b"Hello") + masked(0x8, struct.pack("!H", 1000) + b"bye") + masked(0x2, b"x" * 300)
    view = entry_view(Entry(0.0125, "tx", "bytes", "frame op=0x1 len=5", data, len(data)))
    assert view.t_ms == "12.500"
    assert view.arrow == "runner → target"
    assert view.decoded == (
        "frame TEXT fin=1 masked=1 key=01020304 len=5", "  text: “Hello”",
        "frame CLOSE fin=1 masked=1 key=01020304 len=5", "  close code 1000, reason “bye”",
        "frame BINARY fin=1 masked=1 key=01020304 len=300")
    assert view.cuts == ()


def test_cut_frames_and_reserved_bits_are_shown_as_such() -> None:
    frame = bytes([0x80 | 0x40 | 0x1]) + masked(0x1, "κόσμε".encode())[1:]
    cut = frame[:-3]
    view = entry_view(Entry(0, "tx", "bytes", "frame op=0x1 len=10", cut, len(frame)))
    assert view.decoded[0] == "frame TEXT fin=1 rsv1=1 masked=1 key=01020304 len=10 (only 7 bytes recorded)"
    assert view.decoded[1] == "  text: “κόσ” (cut mid-character)"
    assert view.cuts == (f"{len(frame)} bytes on the wire, the runner recorded the first {len(cut)}",)
    assert entry_view(Entry(0, "tx", "bytes", "frame", b"\x81\xfe\x01", 3)).decoded == ()


def test_http_heads_are_shown_line_by_line() -> None:
    head = b"HTTP/1.1 101 Switching Protocols\r\nServer: <b>x</b>\r\n\r\n"
    assert entry_view(Entry(0, "rx", "bytes", "", head, len(head))).decoded == (
        "HTTP/1.1 101 Switching Protocols", "Server: <b>x</b>")
    partial = entry_view(Entry(0, "rx", "bytes", "", b"HTTP/1.1 200 OK\r\nX: y", 22)).decoded
    assert partial[-1] == "(the head is not complete in this chunk)"


def test_large_entries_are_cut_visibly_in_the_hex_view() -> None:
    data = bytes(4096)
    view = entry_view(Entry(0, "rx", "frame", "BINARY fin=1 masked=0 len=70000", data, 70000))
    assert len(view.hex) == HEX_SHOW // 16
    assert view.cuts == ("70000 bytes on the wire, the runner recorded the first 4096",
                         f"the hex view shows the first {HEX_SHOW} of 4096 recorded bytes "
                         "(transcripts.json.gz has all)")


def test_notes_have_no_data() -> None:
    view = entry_view(Entry(0.5, "note", "event", "tcp closed by target"))
    assert (view.arrow, view.decoded, view.hex, view.cuts) == ("runner note", (), (), ())


def test_http_bodies_of_text_protocols_are_shown_line_by_line() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Long: " + b"a" * 500 + b"\r\n\r\n"
    body = b"13\r\nretry: 1000\nid: 0\n\n\r\n"
    decoded = entry_views([Entry(0, "rx", "bytes", "", head + body, len(head + body))], "sse")[0].decoded
    assert decoded[:2] == ("HTTP/1.1 200 OK", "Content-Type: text/event-stream")
    assert decoded[2] == "X-Long: " + "a" * 392 + " … 108 more characters not shown"
    assert decoded[3:] == ("", "13\\r\\n", "retry: 1000\\n", "id: 0\\n", "\\n", "\\r\\n")
    chunk = Entry(0, "rx", "bytes", "", b"data: <b>\xc3", 99)
    assert entry_views([chunk], "sse")[0].decoded == ("data: <b>",)
    assert entry_views([chunk], "ws")[0].decoded == ()
    assert entry_view(Entry(0, "rx", "bytes", "", b"\x81\x05hello", 7), text_body=True).decoded == (
        "(not UTF-8 text: invalid byte at 0; see the hex view)",)
    long = entry_view(Entry(0, "rx", "bytes", "", b"x" * 1500, 1500), text_body=True).decoded
    assert long == ("x" * 1024, "… 476 more characters not shown")
    ws_view = entry_views([Entry(0, "rx", "bytes", "", head + body, len(head + body))])[0]
    assert ws_view.decoded[-1].startswith("X-Long"), "after a WebSocket head come frames, not text"
