"""An independent, strict ``text/event-stream`` reader (WHATWG HTML §9.2.5 and §9.2.6, to the letter).

:class:`StreamParser` takes the body's bytes in any chunking and produces the events a conforming
EventSource would dispatch, plus everything a *server* must not have produced (``deviations``): invalid
UTF-8, a BOM anywhere but the first byte, an ``id`` with NUL, a ``retry`` value that is not only digits,
an unfinished event at EOF. It never imports the reference encoder: it is the oracle.
"""

from __future__ import annotations

import asyncio
import codecs
import itertools
import re
from dataclasses import dataclass, field

from conformance.wire.httpclient import HttpExchange

__all__ = ["Comment", "Event", "StreamParser", "Subscription", "parse_stream"]

_BOM = "\ufeff"
# §9.2.5: "end-of-line = ( cr lf / cr / lf )"
_EOL = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Event:
    """A dispatched event (§9.2.6 "dispatch the event").

    Attributes:
        type: the event type ("message" unless an ``event`` field set it).
        data: the data buffer without its last LF.
        last_event_id: the event source's last event ID string when it was dispatched.
        id: the value of the ``id`` field inside this event block, or None if it had none.
        line: the 1-based line number of the blank line that dispatched it.
    """

    type: str
    data: str
    last_event_id: str
    id: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment line (``:text``), e.g. a heartbeat; ``line`` is its 1-based line number, ``in_block``
    says it came after a field line of an event not yet dispatched."""

    text: str
    line: int
    in_block: bool = False


@dataclass
class StreamParser:
    """Feed bytes with :meth:`feed`, then :meth:`feed_eof`; read ``events``, ``comments``, ``deviations``.

    Attributes:
        events: dispatched events, in order.
        comments: comment lines, in order.
        retries: every valid ``retry`` value (milliseconds).
        deviations: server-side violations, one short lower-case line each.
        last_event_id: the event source's last event ID string (persists across events, §9.2.6).
        bom_seen: the stream started with a BOM (allowed, stripped).
        unfinished: at EOF, the lines after the last blank line (dropped, §9.2.6).
    """

    events: list[Event] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    retries: list[int] = field(default_factory=list)
    deviations: list[str] = field(default_factory=list)
    last_event_id: str = ""
    bom_seen: bool = False
    unfinished: list[str] = field(default_factory=list)
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("strict"))
    _started: bool = False
    _pending: list[str] = field(default_factory=list)
    _cr_pending: bool = False
    _line_no: int = 0
    _data: list[str] = field(default_factory=list)
    _type: str = ""
    _id_buffer: str = ""
    _block_id: str | None = None
    _block_lines: list[str] = field(default_factory=list)
    _offset: int = 0

    def feed(self, data: bytes) -> list[Event]:
        """Parse more bytes; returns the events dispatched by them."""
        before = len(self.events)
        self._lines(self._decode(data, final=False))
        self._offset += len(data)
        return self.events[before:]

    def feed_eof(self) -> None:
        """The body ended. §9.2.6: "Once the end of the file is reached, any pending data must be discarded.
        (If the file ends in the middle of an event, before the final empty line, the incomplete event is
        not dispatched.)" """
        self._lines(self._decode(b"", final=True))
        rest = "".join(self._pending)
        if rest:
            self._block_lines.append(rest)
        if any(not line.startswith(":") for line in self._block_lines):  # comments alone lose nothing
            self.unfinished = list(self._block_lines)
            self.deviations.append(f"unfinished event at eof (not dispatched): {self._block_lines[:3]!r}")

    def _decode(self, data: bytes, *, final: bool) -> str:
        # §9.2.5: "Streams must be decoded using the UTF-8 decode algorithm."
        pending = len(self._decoder.getstate()[0])  # bytes of a character cut by the previous chunk
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:  # exc.object is the pending bytes plus data
            bad = exc.object[exc.start:exc.end]
            self.deviations.append(f"invalid utf-8 at byte {self._offset - pending + exc.start}: {bad!r}")
            self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
            good = exc.object[:exc.start].decode("utf-8")
            text = good + self._decoder.decode(exc.object[exc.start:], final)
        if not self._started and text:
            self._started = True
            # "UTF-8 decode" strips one leading BOM; a later one is a character of the first field name.
            if text.startswith(_BOM):
                self.bom_seen = True
                text = text[1:]
        return text

    def _lines(self, text: str) -> None:
        """Split on CRLF, LF or a lone CR; a CR ending the text also ends its line, and an LF starting the
        next text is then the second half of that CRLF, not an empty line."""
        if not text:
            return
        if self._cr_pending and text.startswith("\n"):
            text = text[1:]
        self._cr_pending = False
        if not text:
            return
        if "\n" not in text and "\r" not in text:  # a piece of a long line: no quadratic re-joining
            self._pending.append(text)
            return
        lines = _EOL.split("".join(self._pending) + text)
        self._pending = [lines.pop()]
        self._cr_pending = text.endswith("\r")
        for line in lines:
            self._line(line)

    def _line(self, line: str) -> None:
        self._line_no += 1
        if line.startswith(_BOM):  # the field name would start with U+FEFF: the line is ignored
            self.deviations.append(f"line {self._line_no}: a bom that is not the first byte of the stream")
        # §9.2.6 "If the line is empty (a blank line) Dispatch the event, as defined below."
        if not line:
            self._dispatch()
            return
        self._block_lines.append(line)
        # "If the line starts with a U+003A COLON character (:) Ignore the line."
        if line.startswith(":"):
            self.comments.append(Comment(line[1:], self._line_no, len(self._block_lines) > 1))
            return
        # "If the line contains a U+003A COLON character (:) Collect the characters on the line before the
        # first U+003A COLON character (:), and let field be that string. Collect the characters on the line
        # after the first U+003A COLON character (:), and let value be that string. If value starts with a
        # U+0020 SPACE character, remove it from value." "Otherwise, the string is not empty but does not
        # contain a U+003A COLON character (:) Process the field using the whole line as the field name,
        # and the empty string as the field value."
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        self._field(name, value)

    def _field(self, name: str, value: str) -> None:
        # "The steps to process the field given a field name and a field value depend on the field name,
        # as given in the following list. Field names must be compared literally."
        if name == "event":
            self._type = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            # "If the field value does not contain U+0000 NULL, then set the last event ID buffer to the
            # field value. Otherwise, ignore the field."
            if "\0" in value:
                self.deviations.append(f"line {self._line_no}: id with nul is ignored by clients: {value!r}")
            else:
                self._id_buffer = value
                self._block_id = value
        elif name == "retry":
            # "If the field value consists of only ASCII digits, then interpret the field value as an
            # integer in base ten, and set the event stream's reconnection time to that integer. Otherwise,
            # ignore the field."
            if value and value.isascii() and value.isdigit():
                self.retries.append(int(value, 10))
            else:
                self.deviations.append(f"line {self._line_no}: retry is not only ascii digits: {value!r}")
        # "Otherwise: The field is ignored."

    def _dispatch(self) -> None:
        # 1. "Set the last event ID string of the event source to the value of the last event ID buffer."
        self.last_event_id = self._id_buffer
        block_id, self._block_id = self._block_id, None
        self._block_lines = []
        # 2. "If the data buffer is an empty string, set the data buffer and the event type buffer to the
        # empty string and return." (Each data line added its value plus LF, so "no data line" = empty.)
        if not self._data:
            self._type = ""
            return
        # 3. "If the data buffer's last character is a U+000A LINE FEED (LF) character, then remove the
        # last character from the data buffer."
        data = "\n".join(self._data)
        # 4-5. type "message" unless the event type buffer is not empty.
        self.events.append(Event(self._type or "message", data, self.last_event_id, block_id, self._line_no))
        # "Set the data buffer and the event type buffer to the empty string."
        self._data = []
        self._type = ""


def parse_stream(body: bytes, chunks: list[int] | None = None) -> StreamParser:
    """Parse a whole body (optionally cut at the given offsets) and the EOF; returns the parser."""
    parser = StreamParser()
    cuts = [0, *(chunks or []), len(body)]
    for a, b in itertools.pairwise(cuts):
        parser.feed(body[a:b])
    parser.feed_eof()
    return parser


class Subscription:
    """A live ``GET`` of an event stream: the exchange and a strict parser fed as bytes arrive.

    Build it with :meth:`conformance.catalog.sse.context.SseContext.subscribe`.

    Attributes:
        arrivals: (loop time, events so far, comments so far) after each arrival of body bytes, at most
            ``max_arrivals`` entries: past that the last entry is overwritten by the latest arrival, so
            "the first arrival at which X held" is never found too early (it may be found late).
    """

    def __init__(self, exchange: HttpExchange, max_arrivals: int = 65536) -> None:
        self.exchange = exchange
        self.parser = StreamParser()
        self.max_arrivals = max(1, max_arrivals)
        self.arrivals: list[tuple[float, int, int]] = []
        exchange.on_body = self._feed
        if exchange.body:  # read before this subscription existed
            self._feed(exchange.body)

    def _feed(self, data: bytes) -> None:
        self.parser.feed(data)
        entry = (asyncio.get_running_loop().time(), len(self.parser.events), len(self.parser.comments))
        if len(self.arrivals) >= self.max_arrivals:
            self.arrivals[-1] = entry
        else:
            self.arrivals.append(entry)

    @property
    def events(self) -> list[Event]:
        """Events dispatched so far."""
        return self.parser.events

    def of_type(self, type_: str) -> list[Event]:
        """Events of one type (each case publishes under its own type)."""
        return [e for e in self.parser.events if e.type == type_]

    async def wait_events(self, type_: str, count: int, timeout: float) -> list[Event]:
        """Wait for ``count`` events of ``type_``; returns what arrived (maybe fewer)."""
        await self.exchange.wait(lambda: len(self.of_type(type_)) >= count, timeout)
        return self.of_type(type_)

    def close(self) -> None:
        """Drop the connection."""
        self.exchange.close()
