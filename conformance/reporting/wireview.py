"""Transcript entries as the HTML report shows them: decoded payloads, HTTP heads, hex dumps.

Pure functions of :class:`conformance.wire.transcript.Entry` values. Nothing here produces markup: the
templates escape every string, so a payload from the target is always shown as text. Whatever is cut
is said so on the page: the runner's own cap (``length`` > recorded bytes) and the report's display cap.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from conformance.reporting.visible import visible
from conformance.wire.transcript import Entry

__all__ = ["HEX_SHOW", "TEXT_SHOW", "EntryView", "HexLine", "entry_view", "hex_lines", "show_text"]

#: Bytes shown per entry in the hex view; the rest is counted, not shown.
HEX_SHOW = 1024
#: Characters of a decoded payload shown per entry.
TEXT_SHOW = 1024

#: RFC 6455 §5.2 opcodes (the report decodes the runner's own frames; the target's come decoded).
OPCODES = {0x0: "CONT", 0x1: "TEXT", 0x2: "BINARY", 0x8: "CLOSE", 0x9: "PING", 0xA: "PONG"}
ARROWS = {"tx": "runner → target", "rx": "target → runner", "note": "runner note"}


@dataclass(frozen=True, slots=True)
class HexLine:
    """One line of a hex dump: offset, 16 bytes in hex, the same bytes as ASCII (dots elsewhere)."""

    offset: str
    hex: str
    ascii: str


@dataclass(frozen=True, slots=True)
class EntryView:
    """One transcript entry, ready for the template.

    Attributes:
        t_ms: the timestamp in milliseconds, as text.
        direction, arrow: "tx" / "rx" / "note" and its words.
        kind: "bytes", "frame" or "event".
        text: the runner's description of the entry.
        decoded: decoded payload lines (text, close code and reason, HTTP head, the runner's frames).
        hex: the hex dump of the shown bytes.
        recorded, length: bytes kept by the runner, and the true length on the wire.
        cuts: visible notes about anything not shown.
    """

    t_ms: str
    direction: str
    arrow: str
    kind: str
    text: str
    decoded: tuple[str, ...]
    hex: tuple[HexLine, ...]
    recorded: int
    length: int
    cuts: tuple[str, ...]


def hex_lines(data: bytes, width: int = 16) -> tuple[HexLine, ...]:
    """A classic hex dump of ``data``."""
    out = []
    for off in range(0, len(data), width):
        chunk = data[off:off + width]
        ascii_ = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        out.append(HexLine(f"{off:08x}", chunk.hex(" "), ascii_))
    return tuple(out)


def escape(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\n``, ``\\x00``, ``\\x9b``)."""
    return visible(text)


def _line(text: str, limit: int) -> str:
    more = len(text) - limit
    return escape(text[:limit]) + (f" … {more} more characters not shown" if more > 0 else "")


def show_text(text: str, limit: int = TEXT_SHOW) -> str:
    """``text`` quoted, with control characters escaped and cut at ``limit`` characters (said so)."""
    more = len(text) - limit
    return f"“{escape(text[:limit])}”" + (f" … {more} more characters not shown" if more > 0 else "")


def _utf8(data: bytes, complete: bool) -> str:
    """The payload as text, or where its UTF-8 is invalid (a cut payload may end mid-character)."""
    try:
        return show_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        if not complete and exc.reason == "unexpected end of data":
            return show_text(data[:exc.start].decode("utf-8")) + " (cut mid-character)"
        return f"invalid UTF-8 at byte {exc.start}: {show_text(data[:exc.start].decode('utf-8'), 200)}"


def decode_payload(opcode: str, data: bytes, complete: bool = True) -> list[str]:
    """Human lines for a frame payload: text for TEXT, code and reason for CLOSE, nothing otherwise."""
    if not data:
        return []
    if opcode == "TEXT":
        return ["text: " + _utf8(data, complete)]
    if opcode == "CLOSE":
        if len(data) < 2:
            return [f"close payload of {len(data)} byte (a code needs 2)"]
        code = struct.unpack("!H", data[:2])[0]
        reason = data[2:]
        return [f"close code {code}" + (", reason " + _utf8(reason, complete) if reason else ", no reason")]
    return []


def _frames(data: bytes) -> Iterator[tuple[str, bytes, bool]]:
    """The frames in a chunk the runner sent: (header description, unmasked payload, complete)."""
    pos = 0
    while pos + 2 <= len(data):
        b0, b1 = data[pos], data[pos + 1]
        length, head = b1 & 0x7F, 2
        if length in (126, 127):
            size = 2 if length == 126 else 8
            if pos + 2 + size > len(data):
                return
            length = int.from_bytes(data[pos + 2:pos + 2 + size], "big")
            head += size
        key = data[pos + head:pos + head + 4] if b1 & 0x80 else b""
        if len(key) < 4 and b1 & 0x80:
            return
        start = pos + head + len(key)
        body = data[start:start + length]
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(body)) if key else body
        name = OPCODES.get(b0 & 0x0F, f"op={b0 & 0x0F:#x}")
        rsv = "".join(f" rsv{i}=1" for i, bit in ((1, 0x40), (2, 0x20), (3, 0x10)) if b0 & bit)
        mask = f" key={key.hex()}" if key else ""
        yield (f"{name} fin={b0 >> 7}{rsv} masked={int(bool(key))}{mask} len={length}", payload,
               len(body) == length)
        pos = start + length


def _decode_sent_frames(data: bytes) -> list[str]:
    lines = []
    for header, payload, complete in _frames(data):
        lines.append(f"frame {header}" + ("" if complete else f" (only {len(payload)} bytes recorded)"))
        lines += ["  " + line for line in decode_payload(header.split(" ", 1)[0], payload, complete)]
    return lines


def _text_lines(data: bytes, complete: bool) -> list[str]:
    """An HTTP body chunk (SSE events, polling payloads) line by line, control characters escaped."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if complete or exc.reason != "unexpected end of data":
            return [f"(not UTF-8 text: invalid byte at {exc.start}; see the hex view)"]
        text = data[:exc.start].decode("utf-8")
    lines = text[:TEXT_SHOW].split("\n")
    out = [escape(line + "\n" if i < len(lines) - 1 else line) for i, line in enumerate(lines)]
    more = len(text) - TEXT_SHOW
    return [ln for ln in out if ln] + ([f"… {more} more characters not shown"] if more > 0 else [])


def _decode_head(data: bytes, text_body: bool, complete: bool) -> list[str]:
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = [_line(line.decode("latin-1"), 400) for line in head.split(b"\r\n")]
    if not sep:
        return [*lines, "(the head is not complete in this chunk)"]
    return [*lines, "", *_text_lines(body, complete)] if text_body and body else lines


def _decoded(entry: Entry, complete: bool, text_body: bool) -> list[str]:
    data = entry.data
    if entry.kind == "frame":
        return decode_payload(entry.text.split(" ", 1)[0], data, complete)
    if entry.kind != "bytes":
        return []
    if data.startswith((b"GET ", b"POST ", b"HTTP/")):
        return _decode_head(data, text_body, complete)
    if entry.direction == "tx" and entry.text.startswith("frame"):
        return _decode_sent_frames(data)
    return _text_lines(data, complete) if text_body and data else []


def _cuts(entry: Entry, shown: int) -> list[str]:
    recorded = len(entry.data)
    cuts = []
    if entry.length > recorded:
        cuts.append(f"{entry.length} bytes on the wire, the runner recorded the first {recorded}")
    if recorded > shown:
        cuts.append(f"the hex view shows the first {shown} of {recorded} recorded bytes "
                    "(transcripts.json.gz has all)")
    return cuts


def entry_view(entry: Entry, text_body: bool = False, with_hex: bool = True) -> EntryView:
    """The view of one transcript entry; ``text_body`` shows raw chunks as text (HTTP-based specs);
    without ``with_hex`` its hex dump is left empty (the page of passing cases shows none)."""
    complete = entry.length <= len(entry.data)
    shown = entry.data[:HEX_SHOW]
    return EntryView(
        t_ms=f"{entry.t * 1000:.3f}", direction=entry.direction,
        arrow=ARROWS.get(entry.direction, entry.direction), kind=entry.kind, text=entry.text,
        decoded=tuple(_decoded(entry, complete, text_body)), hex=hex_lines(shown) if with_hex else (),
        recorded=len(entry.data), length=entry.length, cuts=tuple(_cuts(entry, len(shown))))


#: Specs whose raw chunks after the HTTP head are WebSocket frames (binary), not text.
FRAMED_SPECS = frozenset({"ws", "pmd"})


def entry_views(entries: Iterable[Entry], spec: str = "ws", with_hex: bool = True) -> list[EntryView]:
    """The views of a case's transcript (``spec``: the case's spec key, which says how to show bytes;
    ``with_hex``: with the hex dumps)."""
    text_body = spec not in FRAMED_SPECS
    return [entry_view(e, text_body, with_hex) for e in entries]


#: Entries the page of passing cases shows from the start and from the end of a transcript; the rest stay
#: in transcripts.json.gz (a passing 9.x case records hundreds of frames that say nothing more).
PASSED_HEAD, PASSED_TAIL = 40, 10


def passed_excerpt(entries: Sequence[Entry]) -> tuple[Sequence[Entry], int]:
    """What the page of passing cases shows of ``entries``: the first :data:`PASSED_HEAD` and last
    :data:`PASSED_TAIL`, and how many in between it leaves out."""
    if len(entries) <= PASSED_HEAD + PASSED_TAIL:
        return entries, 0
    return [*entries[:PASSED_HEAD], *entries[-PASSED_TAIL:]], len(entries) - PASSED_HEAD - PASSED_TAIL


__all__ += ["FRAMED_SPECS", "OPCODES", "PASSED_HEAD", "PASSED_TAIL", "decode_payload", "entry_views",
            "escape", "passed_excerpt"]
