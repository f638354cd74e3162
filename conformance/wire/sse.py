"""An independent, strict ``text/event-stream`` reader (WHATWG HTML §9.2.5 and §9.2.6, to the letter).

:class:`StreamParser` takes the body's bytes in any chunking and produces the events a conforming
EventSource would dispatch, plus everything a *server* must not have produced (``deviations``): invalid
UTF-8, a BOM anywhere but the first byte, an ``id`` with NUL, a ``retry`` value that is not only digits,
an unfinished event at EOF. It never imports the reference encoder: it is the oracle.

It is bounded by construction, whatever the target sends (an endless ``data:`` line, endless events):

* a line longer than :data:`MAX_LINE` characters (1 Mi) is not buffered: the rest of it is counted and
  skipped, and the line is dropped with a deviation ("longer than the runner reads"); no catalog payload
  comes near it (the largest is 64 KiB);
* an event whose data buffer passes :data:`MAX_EVENT_DATA` characters (1 Mi) is not dispatched (a
  deviation says so);
* ``events`` keeps the first :data:`MAX_EVENTS` events and at most :data:`MAX_KEPT_DATA` characters (8 Mi)
  of their data, types and ids; ``comments`` the first :data:`MAX_COMMENTS`, each cut to
  :data:`MAX_COMMENT_TEXT` characters (clients ignore comments: only their number and place matter);
  ``retries`` the first :data:`MAX_RETRIES` (a value of more than 18 digits is a deviation, not a number
  kept); ``deviations`` the first :data:`MAX_DEVIATIONS`, each quoting at most 40 characters of what it
  saw. ``event_count``, ``comment_count`` and ``deviation_count`` go on counting, and a deviation says
  when events stop being kept, so a verifier never mistakes an event it did not keep for one that never
  came. All told a parser holds a few million characters at most, whatever it is fed (the
  catalog's own events are at most 64 KiB);
* :class:`Subscription` keeps a bounded arrival timeline (see there).
"""

from __future__ import annotations

import asyncio
import codecs
import itertools
import re
from dataclasses import dataclass, field

from conformance.wire.httpclient import HttpExchange
from conformance.wire.httpread import MAX_ARRIVALS

__all__ = ["MAX_COMMENTS", "MAX_COMMENT_TEXT", "MAX_DEVIATIONS", "MAX_EVENTS", "MAX_EVENT_DATA",
           "MAX_KEPT_DATA", "MAX_LINE", "MAX_RETRIES",
           "Comment", "Event", "StreamParser", "Subscription", "parse_stream"]

#: The longest line (in characters, without its end) the parser reads; a longer one is skipped.
MAX_LINE = 2**20
#: The largest data buffer of one event (characters); a larger event is not dispatched.
MAX_EVENT_DATA = 2**20
#: Events kept in ``events`` (more are counted).
MAX_EVENTS = 10_000
#: Characters of event data, types and ids kept over all of ``events`` (later events are counted, not kept).
MAX_KEPT_DATA = 8 * 2**20
#: Comments kept in ``comments`` (more are counted).
MAX_COMMENTS = 4096
#: Characters of a comment's text kept.
MAX_COMMENT_TEXT = 1024
#: Digits of a retry value read as a number.
_RETRY_DIGITS = 18
#: Retry values kept in ``retries``.
MAX_RETRIES = 1024
#: Deviations kept in ``deviations`` (more are counted).
MAX_DEVIATIONS = 100
#: Lines of an unfinished block kept for the report at EOF.
_UNFINISHED_KEPT = 3

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

    The ``max_*`` fields are the bounds (the module's constants by default; see the module docstring).

    Attributes:
        events: dispatched events, in order (the first ``max_events``, within ``max_kept_data``).
        comments: comment lines, in order (the first ``max_comments``, their text cut to
            ``max_comment_text`` characters).
        retries: every valid ``retry`` value (milliseconds; the first ``max_retries``).
        deviations: server-side violations, and where the runner's bounds cut the stream, one short
            lower-case line each (the first ``max_deviations``).
        event_count, comment_count, deviation_count: how many there were, kept or not.
        last_event_id: the event source's last event ID string (persists across events, §9.2.6).
        bom_seen: the stream started with a BOM (allowed, stripped).
        unfinished: at EOF, the first lines after the last blank line (dropped, §9.2.6).
    """

    events: list[Event] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    retries: list[int] = field(default_factory=list)
    deviations: list[str] = field(default_factory=list)
    event_count: int = 0
    comment_count: int = 0
    deviation_count: int = 0
    last_event_id: str = ""
    bom_seen: bool = False
    unfinished: list[str] = field(default_factory=list)
    max_line: int = MAX_LINE
    max_event_data: int = MAX_EVENT_DATA
    max_events: int = MAX_EVENTS
    max_kept_data: int = MAX_KEPT_DATA
    max_comments: int = MAX_COMMENTS
    max_comment_text: int = MAX_COMMENT_TEXT
    max_retries: int = MAX_RETRIES
    max_deviations: int = MAX_DEVIATIONS
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("strict"))
    _started: bool = False
    _pending: list[str] = field(default_factory=list)  # the pieces of the line not yet ended
    _pending_len: int = 0                                # its length so far, kept or skipped
    _skipping: bool = False                              # it is longer than max_line: not kept
    _line_prefix: str = ""                               # the first characters of a skipped line
    _last_len: int = 0                                   # the length of the line last taken
    _cr_pending: bool = False
    _line_no: int = 0
    _data: list[str] = field(default_factory=list)
    _data_len: int = 0
    _data_over: bool = False
    _type: str = ""
    _id_buffer: str = ""
    _block_id: str | None = None
    _block_lines: list[str] = field(default_factory=list)  # the first lines of the current block
    _block_size: int = 0
    _block_fields: bool = False
    _kept_data: int = 0
    _events_full: bool = False
    _offset: int = 0

    def feed(self, data: bytes) -> list[Event]:
        """Parse more bytes; returns the (kept) events dispatched by them."""
        before = len(self.events)
        self._lines(self._decode(data, final=False))
        self._offset += len(data)
        return self.events[before:]

    def feed_eof(self) -> None:
        """The body ended. §9.2.6: "Once the end of the file is reached, any pending data must be discarded.
        (If the file ends in the middle of an event, before the final empty line, the incomplete event is
        not dispatched.)" """
        self._lines(self._decode(b"", final=True))
        if self._pending_len:
            skipped, rest = self._skipping, self._take_line()
            if skipped:
                self._deviate(f"line {self._line_no + 1}: {self._pending_note(rest)}")
            self._block_line(rest)
        if self._block_fields:  # comments alone lose nothing
            self.unfinished = list(self._block_lines)
            shown = [line[:40] for line in self._block_lines]
            self._deviate(f"unfinished event at eof (not dispatched): {shown!r}")

    def _deviate(self, text: str) -> None:
        self.deviation_count += 1
        if len(self.deviations) < self.max_deviations:
            self.deviations.append(text)

    def _decode(self, data: bytes, *, final: bool) -> str:
        # §9.2.5: "Streams must be decoded using the UTF-8 decode algorithm."
        pending = len(self._decoder.getstate()[0])  # bytes of a character cut by the previous chunk
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:  # exc.object is the pending bytes plus data
            bad = exc.object[exc.start:exc.end]
            self._deviate(f"invalid utf-8 at byte {self._offset - pending + exc.start}: {bad!r}")
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
        # §9.2.5: "end-of-line = ( cr lf / cr / lf )"
        first, *ends = _EOL.split(text)
        self._cr_pending = text.endswith("\r")
        self._extend(first)
        for part in ends:
            skipped, line = self._skipping, self._take_line()
            self._line_no += 1
            if skipped:
                self._deviate(f"line {self._line_no}: {self._pending_note(line)}")
            else:
                self._line(line)
            self._extend(part)

    def _extend(self, part: str) -> None:
        """Add a piece of the current line; past ``max_line`` characters keep only its first few."""
        if not part:
            return
        if not self._skipping and self._pending_len + len(part) > self.max_line:
            # the line's first characters, the same however it was cut (it has over max_line of them)
            self._line_prefix = ("".join(self._pending) + part[:40])[:min(40, self.max_line + 1)]
            self._pending = []
            self._skipping = True
        if not self._skipping:
            self._pending.append(part)
        self._pending_len += len(part)

    def _take_line(self) -> str:
        """The current line (its prefix if it was skipped); the next one starts empty."""
        line = self._line_prefix if self._skipping else "".join(self._pending)
        self._pending, self._skipping, self._line_prefix = [], False, ""
        self._last_len, self._pending_len = self._pending_len, 0
        return line

    def _pending_note(self, prefix: str) -> str:
        return (f"a line of {self._last_len} characters is longer than the runner reads ({self.max_line}): "
                f"skipped: {prefix!r}...")

    def _block_line(self, line: str) -> None:
        self._block_size += 1
        if len(self._block_lines) < _UNFINISHED_KEPT:
            self._block_lines.append(line)
        if not line.startswith(":"):
            self._block_fields = True

    def _line(self, line: str) -> None:
        if line.startswith(_BOM):  # the field name would start with U+FEFF: the line is ignored
            self._deviate(f"line {self._line_no}: a bom that is not the first byte of the stream")
        # §9.2.6 "If the line is empty (a blank line) Dispatch the event, as defined below."
        if not line:
            self._dispatch()
            return
        self._block_line(line)
        # "If the line starts with a U+003A COLON character (:) Ignore the line."
        if line.startswith(":"):
            self.comment_count += 1
            if len(self.comments) < self.max_comments:
                self.comments.append(Comment(line[1:self.max_comment_text + 1], self._line_no,
                                             self._block_size > 1))
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
            # "Append the field value to the data buffer, then append a single U+000A LINE FEED (LF)
            # character to the data buffer."
            self._data_len += len(value) + 1
            if self._data_len > self.max_event_data and not self._data_over:
                self._deviate(f"line {self._line_no}: event data longer than the runner keeps "
                              f"({self.max_event_data}): the event is not dispatched")
                self._data_over, self._data = True, []
            if not self._data_over:
                self._data.append(value)
        elif name == "id":
            # "If the field value does not contain U+0000 NULL, then set the last event ID buffer to the
            # field value. Otherwise, ignore the field."
            if "\0" in value:
                self._deviate(f"line {self._line_no}: id with nul is ignored by clients: {value[:40]!r}")
            else:
                self._id_buffer = value
                self._block_id = value
        elif name == "retry":
            # "If the field value consists of only ASCII digits, then interpret the field value as an
            # integer in base ten, and set the event stream's reconnection time to that integer. Otherwise,
            # ignore the field."
            if value and value.isascii() and value.isdigit():
                if len(value) > _RETRY_DIGITS:  # a valid field, but not a number the runner builds
                    self._deviate(f"line {self._line_no}: retry of {len(value)} digits is longer than the "
                                  f"runner reads ({_RETRY_DIGITS})")
                elif len(self.retries) < self.max_retries:
                    self.retries.append(int(value, 10))
            else:
                self._deviate(f"line {self._line_no}: retry is not only ascii digits: {value[:40]!r}")
        # "Otherwise: The field is ignored."

    def _dispatch(self) -> None:
        # 1. "Set the last event ID string of the event source to the value of the last event ID buffer."
        self.last_event_id = self._id_buffer
        block_id, self._block_id = self._block_id, None
        self._block_lines, self._block_size, self._block_fields = [], 0, False
        data_len, self._data_len = self._data_len, 0
        # 2. "If the data buffer is an empty string, set the data buffer and the event type buffer to the
        # empty string and return." (Each data line added its value plus LF, so "no data line" = empty.)
        if not data_len or self._data_over:  # an event too large to keep is not dispatched (a deviation)
            self._type, self._data, self._data_over = "", [], False
            return
        # 3. "If the data buffer's last character is a U+000A LINE FEED (LF) character, then remove the
        # last character from the data buffer."
        data = "\n".join(self._data)
        # 4-5. type "message" unless the event type buffer is not empty.
        self._keep(Event(self._type or "message", data, self.last_event_id, block_id, self._line_no))
        # "Set the data buffer and the event type buffer to the empty string."
        self._data = []
        self._type = ""

    def _keep(self, event: Event) -> None:
        self.event_count += 1
        size = len(event.data) + len(event.type) + len(event.id or "") + len(event.last_event_id)
        if not self._events_full and (len(self.events) >= self.max_events
                                      or self._kept_data + size > self.max_kept_data):
            self._events_full = True
            self._deviate(f"more than {len(self.events)} events ({self._kept_data} characters kept): "
                          "the runner keeps no more, later events are counted only")
        if not self._events_full:
            self.events.append(event)
            self._kept_data += size


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

    def __init__(self, exchange: HttpExchange, max_arrivals: int = MAX_ARRIVALS) -> None:
        self.exchange = exchange
        self.parser = StreamParser()
        self.max_arrivals = max(1, max_arrivals)
        self.arrivals: list[tuple[float, int, int]] = []
        exchange.on_body = self._feed
        if exchange.body:  # read before this subscription existed
            self._feed(exchange.body)
        # the parser keeps what the cases read; the exchange stops keeping a second copy of the stream
        exchange.reader.max_body = len(exchange.reader.body)
        exchange.on_release = self._forget

    def _forget(self) -> None:
        """The case is over (its exchange released): drop what the parser kept."""
        self.parser = StreamParser()

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
