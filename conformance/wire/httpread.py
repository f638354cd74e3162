"""A sans-IO reader of one HTTP/1.1 response: bytes and an end of stream in, head and body out, bounded.

:class:`ResponseReader` takes what the target sends (``receive_data(data, now)``, then
``receive_eof(reset)``), reads the response head (at most :data:`MAX_RESPONSE_HEAD` bytes), then
de-frames the body incrementally as RFC 9112 §6.3 says: chunked (§7.1), Content-Length, or delimited by
the connection's close; 1xx interim responses are skipped, and 204, 304 and the answer to ``HEAD`` have no
body. It never does I/O and never reads a clock: times come in as ``now``.

Its state (:class:`ReadState`) changes only through :data:`TRANSITIONS`::

    HEAD --HEAD_READ--> BODY --BODY_END--> ENDED
    HEAD --BODY_END--> ENDED                   (a response without a body)
    HEAD, BODY --EOF--> CUT                    (the connection ended before the framed end)
    HEAD, BODY --INVALID--> BROKEN             (no valid head, or a broken chunked encoding)

What it keeps is bounded, whatever the target sends:

* the head: :data:`MAX_RESPONSE_HEAD` (64 KiB, the limit these clients always had); a longer head is
  ``head_error``;
* a chunk-size line: :data:`MAX_CHUNK_LINE` (8 KiB with its extensions); a longer one is ``framing_error``;
* the body: the first :data:`MAX_BODY_KEPT` (9 MiB: a poll answer carrying the catalog's 8 MiB publish)
  de-framed bytes are kept in ``body``. Past that, reading goes on (so ``ended``, the timing and ``body_size``
  stay true) but the bytes are only counted, and ``truncated`` says the kept body is a prefix: a verifier that
  needs the whole body must check it and say that the body was too large to verify, rather than judge a prefix
  (the honest verdict: the runner did not see it all; the reader does not abort, because how the target frames
  and ends its answer is still judged); of a ``text/event-stream`` body, which an SSE parser reads as it
  arrives, only the first :data:`MAX_STREAM_KEPT` (1 MiB);
* the timeline: the first :data:`MAX_ARRIVALS` (4096) arrivals of body bytes are kept as (time, size) in
  ``arrivals``; later ones are counted in ``arrival_count``, and ``last_arrival`` and ``longest_silence``
  stay exact for all of them.
"""

from __future__ import annotations

import enum
import re

from conformance.wire.http import HttpResponse, parse_response_head

__all__ = ["MAX_ARRIVALS", "MAX_BODY_KEPT", "MAX_CHUNK_LINE", "MAX_RESPONSE_HEAD", "MAX_STREAM_KEPT",
           "TRANSITIONS", "Dechunker", "Framing", "ReadState", "ResponseReader", "Trigger", "body_framing"]

#: The longest response head read (status line, fields and the blank line).
MAX_RESPONSE_HEAD = 64 * 1024
#: The longest chunk-size line (size, extensions, CRLF).
MAX_CHUNK_LINE = 8 * 1024
#: De-framed body bytes kept; more are counted, not kept.
MAX_BODY_KEPT = 9 * 2**20
#: De-framed bytes kept of a ``text/event-stream`` body (an SSE parser reads it as it arrives).
MAX_STREAM_KEPT = 2**20
#: Arrivals (time, size) kept in the timeline; more are counted.
MAX_ARRIVALS = 4096

_HEAD_END = b"\r\n\r\n"
#: Digits of a Content-Length read as a number (10**18 bytes is far past any deadline).
_LENGTH_DIGITS = 18
# RFC 9112 §7.1: "chunk-size = 1*HEXDIG"; "chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS
# chunk-ext-val ] )" (BWS is optional whitespace, RFC 9110 §5.6.3).
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)[ \t]*(?:;.*)?")


class ReadState(enum.Enum):
    """Where the reader is in the response."""

    HEAD = "head"
    BODY = "body"
    ENDED = "ended"
    CUT = "cut"
    BROKEN = "broken"


class Trigger(enum.Enum):
    """What moves the reader from one state to the next."""

    HEAD_READ = "head read, a body follows"
    BODY_END = "the body ended as framed"
    EOF = "the connection ended"
    INVALID = "invalid head or framing"


#: The only moves the reader makes; terminal states (ENDED, CUT, BROKEN) have none.
TRANSITIONS: dict[ReadState, dict[Trigger, ReadState]] = {
    ReadState.HEAD: {Trigger.HEAD_READ: ReadState.BODY, Trigger.BODY_END: ReadState.ENDED,
                     Trigger.EOF: ReadState.CUT, Trigger.INVALID: ReadState.BROKEN},
    ReadState.BODY: {Trigger.BODY_END: ReadState.ENDED, Trigger.EOF: ReadState.CUT,
                     Trigger.INVALID: ReadState.BROKEN},
    ReadState.ENDED: {},
    ReadState.CUT: {},
    ReadState.BROKEN: {},
}


class Framing(enum.Enum):
    """How the body's end is found (RFC 9112 §6.3)."""

    NONE = "no body"
    CHUNKED = "chunked"
    LENGTH = "content-length"
    CLOSE = "close-delimited"


def body_framing(response: HttpResponse, *, head_request: bool = False) -> tuple[Framing, int, str]:
    """How ``response``'s body is framed: (framing, Content-Length or 0, why the framing is invalid or "").

    RFC 9112 §6.3, in its order of precedence.
    """
    # 1. "Any response to a HEAD request and any response with a 1xx (Informational), 204 (No Content),
    # or 304 (Not Modified) status code is always terminated by the first empty line after the header
    # fields, regardless of the header fields present in the message, and thus cannot contain a message
    # body or trailer section."
    if head_request or 100 <= response.status < 200 or response.status in (204, 304):
        return Framing.NONE, 0, ""
    codings = response.tokens("transfer-encoding")
    if codings:
        # 3. "If a message is received with both a Transfer-Encoding and a Content-Length header field,
        # the Transfer-Encoding overrides the Content-Length."
        # 4. "If a Transfer-Encoding header field is present and the chunked transfer coding (Section 7.1)
        # is the final encoding, the message body length is determined by reading and decoding the
        # chunked data until the transfer coding indicates the data is complete." "If a Transfer-Encoding
        # header field is present in a response and the chunked transfer coding is not the final
        # encoding, the message body length is determined by reading the connection until it is closed by
        # the server."
        return (Framing.CHUNKED if codings[-1] == "chunked" else Framing.CLOSE), 0, ""
    length = response.header("content-length")
    if length is not None:
        # 5. "If a message is received without Transfer-Encoding and with an invalid Content-Length header
        # field, then the message framing is invalid and the recipient MUST treat it as an unrecoverable
        # error, unless the field value can be successfully parsed as a comma-separated list (Section
        # 5.6.1 of [HTTP]), all values in the list are valid, and all values in the list are the same"
        values = {v.strip() for v in length.split(",")}
        if len(values) != 1 or not all(v.isascii() and v.isdigit() for v in values):
            return Framing.CLOSE, 0, f"invalid content-length: {length[:40]!r}"
        digits = values.pop()
        if len(digits) > _LENGTH_DIGITS:  # valid, but more than any body read here (and int() may refuse)
            return Framing.CLOSE, 0, f"content-length of {len(digits)} digits is more than the runner reads"
        # 6. "If a valid Content-Length header field is present without Transfer-Encoding, its decimal
        # value defines the expected message body length in octets."
        size = int(digits)
        return (Framing.LENGTH, size, "") if size else (Framing.NONE, 0, "")
    # 8. "Otherwise, this is a response message without a declared message body length, so the message
    # body length is determined by the number of octets received prior to the server closing the
    # connection."
    return Framing.CLOSE, 0, ""


class Dechunker:
    """Incremental ``Transfer-Encoding: chunked`` decoder (RFC 9112 §7.1) that buffers only a size line.

    ``feed`` returns the chunk data as it arrives (a chunk is never held back until it is whole);
    ``done`` after the last chunk, ``error`` on a broken encoding (nothing more is decoded).
    """

    def __init__(self, max_line: int = MAX_CHUNK_LINE) -> None:
        self.max_line = max_line
        self.done = False
        self.error = ""
        self._line = bytearray()   # a chunk-size line not yet ended
        self._left = 0             # chunk data bytes still to come
        self._crlf = b""           # what is left of the CRLF after a chunk's data

    def feed(self, data: bytes) -> bytes:
        """Decode more bytes; returns the chunk data found in them."""
        out = bytearray()
        i = 0
        while i < len(data) and not self.done and not self.error:
            if self._left:
                take = min(self._left, len(data) - i)
                out += data[i:i + take]
                i += take
                self._left -= take
                if not self._left:
                    self._crlf = b"\r\n"
            elif self._crlf:
                # "chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF"
                if data[i] != self._crlf[0]:
                    self.error = "chunk data not followed by crlf"
                    break
                self._crlf = self._crlf[1:]
                i += 1
            else:
                i = self._size_line(data, i)
        return bytes(out)

    def _size_line(self, data: bytes, i: int) -> int:
        end = data.find(b"\n", i)
        piece = data[i:] if end < 0 else data[i:end + 1]
        if len(self._line) + len(piece) > self.max_line:
            self.error = f"chunk-size line longer than {self.max_line} bytes"
            return len(data)
        self._line += piece
        if end < 0 or not self._line.endswith(b"\r\n"):
            if end >= 0:  # an LF that does not end a CRLF
                self.error = f"bad chunk size line: {bytes(self._line)[:40]!r}"
            return len(data) if end < 0 else end + 1
        line = bytes(self._line[:-2])
        self._line.clear()
        match = _CHUNK_SIZE.fullmatch(line)
        if match is None:
            self.error = f"bad chunk size line: {line[:40]!r}"
            return end + 1
        size = int(match[1], 16)
        # "last-chunk = 1*("0") [ chunk-ext ] CRLF": the body ends here (a trailer section is not read).
        if size == 0:
            self.done = True
        self._left = size
        return end + 1


class ResponseReader:
    """Reads one response from the bytes the target sends; see the module docstring for the bounds.

    Args:
        head_request: the request was ``HEAD`` (its response has no body).
        max_head, max_body, max_arrivals, max_chunk_line: the bounds (defaults: the module's constants).

    Attributes:
        state: the :class:`ReadState`.
        response: the final response head once read (1xx interim responses are skipped).
        interim: how many 1xx interim responses came before it.
        head_at: ``now`` when the head was complete; ``raw_head_size``: its size in bytes.
        framing: how the body is framed (:class:`Framing`), once the head is read.
        body: the kept de-framed body bytes (a prefix of them if ``truncated``).
        body_size: every de-framed body byte received, kept or not.
        truncated: the body went past ``max_body``; ``body`` is its first ``max_body`` bytes.
        arrivals: (now, size) of the first ``max_arrivals`` arrivals of body bytes.
        arrival_count: every arrival of body bytes.
        last_arrival: ``now`` of the latest arrival of body bytes (or of the head).
        longest_silence: the longest time between the head and the first body bytes or between two arrivals.
        head_error: why no response head could be read.
        framing_error: why the body's framing is broken.
        eof: the connection ended; ``reset``: it was reset.
        ignored: bytes received after the response ended (or broke), counted, not read.
    """

    def __init__(self, *, head_request: bool = False, max_head: int = MAX_RESPONSE_HEAD,
                 max_body: int = MAX_BODY_KEPT, max_arrivals: int = MAX_ARRIVALS,
                 max_chunk_line: int = MAX_CHUNK_LINE) -> None:
        self.head_request = head_request
        self.max_head = max_head
        self.max_body = max_body
        self.max_arrivals = max_arrivals
        self.max_chunk_line = max_chunk_line
        self.state = ReadState.HEAD
        self.response: HttpResponse | None = None
        self.interim = 0
        self.head_at = 0.0
        self.raw_head_size = 0
        self.framing = Framing.NONE
        self.body = bytearray()
        self.body_size = 0
        self.truncated = False
        self.arrivals: list[tuple[float, int]] = []
        self.arrival_count = 0
        self.last_arrival = 0.0
        self.longest_silence = 0.0
        self.head_error = ""
        self.framing_error = ""
        self.eof = False
        self.reset = False
        self.ignored = 0
        self._head = bytearray()
        self._remaining = 0
        self._dechunker: Dechunker | None = None

    @property
    def done(self) -> bool:
        """The response is over: its body ended, the connection ended, or it broke."""
        return not TRANSITIONS[self.state]

    def _move(self, trigger: Trigger) -> None:
        self.state = TRANSITIONS[self.state][trigger]

    # ---- input -------------------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> bytes:
        """Read bytes received at ``now``; returns the de-framed body bytes they carried (kept or not)."""
        if self.state is ReadState.HEAD:
            data = self._read_head(data, now)
        if self.state is not ReadState.BODY:
            self.ignored += len(data)
            return b""
        body = self._deframe(data)
        if body:
            self._record(body, now)
        return body

    def receive_eof(self, reset: bool = False) -> None:
        """The connection ended (``reset``: by a reset); a close-delimited body ends with it."""
        self.eof = True
        self.reset = reset
        if self.done:
            return
        if self.state is ReadState.HEAD:
            self.head_error = (f"no valid response head: the connection {'was reset' if reset else 'closed'} "
                               f"after {len(self._head)} bytes")
            self._move(Trigger.EOF)
        elif self.framing is Framing.CLOSE and not reset:
            # RFC 9112 §6.3 (8): "the message body length is determined by the number of octets received
            # prior to the server closing the connection."
            self._move(Trigger.BODY_END)
        else:
            # §6.3 (6): "If the sender closes the connection or the recipient times out before the
            # indicated number of octets are received, the recipient MUST consider the message to be
            # incomplete and close the connection."
            self._move(Trigger.EOF)

    # ---- the head ----------------------------------------------------------------------------------

    def _read_head(self, data: bytes, now: float) -> bytes:
        while self.state is ReadState.HEAD and data:
            start = max(0, len(self._head) - 3)
            self._head += data
            end = self._head.find(_HEAD_END, start)
            if end < 0 or end + 4 > self.max_head:
                if len(self._head) >= self.max_head or end >= 0:
                    self.head_error = f"no valid response head: longer than {self.max_head} bytes"
                    self._head.clear()
                    self._move(Trigger.INVALID)
                return b""
            raw, data = bytes(self._head[:end + 4]), bytes(self._head[end + 4:])
            self._head.clear()
            try:
                response = parse_response_head(raw)
            except ValueError as exc:
                self.head_error = f"no valid response head: ValueError: {exc}"[:200]
                self._move(Trigger.INVALID)
                return b""
            if 100 <= response.status < 200 and response.status != 101:
                # RFC 9110 §15.2: "A client MUST be able to parse one or more 1xx responses received prior
                # to a final response, even if the client does not expect one."
                self.interim += 1
                continue
            self._head_read(response, len(raw), now)
        return data

    def _head_read(self, response: HttpResponse, size: int, now: float) -> None:
        self.response = response
        self.raw_head_size = size
        ctype = (response.header("content-type") or "").split(";", 1)[0].strip().lower()
        if ctype == "text/event-stream":  # read by an event-stream parser as it comes, never as a whole
            self.max_body = min(self.max_body, MAX_STREAM_KEPT)
        self.head_at = self.last_arrival = now
        self.framing, self._remaining, self.framing_error = body_framing(response,
                                                                         head_request=self.head_request)
        if self.framing_error:
            # §6.3 (5): "If it is in a response message received by a user agent, the user agent MUST close
            # the connection to the server and discard the received response."
            self._move(Trigger.INVALID)
        elif self.framing is Framing.NONE:
            self._move(Trigger.BODY_END)
        else:
            if self.framing is Framing.CHUNKED:
                self._dechunker = Dechunker(self.max_chunk_line)
            self._move(Trigger.HEAD_READ)

    # ---- the body ----------------------------------------------------------------------------------

    def _deframe(self, data: bytes) -> bytes:
        if self._dechunker is not None:
            body = self._dechunker.feed(data)
            if self._dechunker.error:
                self.framing_error = self._dechunker.error
                self._move(Trigger.INVALID)
            elif self._dechunker.done:
                self._move(Trigger.BODY_END)
            return body
        if self.framing is Framing.LENGTH:
            body = data[:self._remaining]
            self.ignored += len(data) - len(body)
            self._remaining -= len(body)
            if not self._remaining:
                self._move(Trigger.BODY_END)
            return body
        return data

    def _record(self, body: bytes, now: float) -> None:
        self.body_size += len(body)
        room = self.max_body - len(self.body)
        if room > 0:
            self.body += body[:room]
        if len(body) > room:
            self.truncated = True
        self.arrival_count += 1
        if len(self.arrivals) < self.max_arrivals:
            self.arrivals.append((now, len(body)))
        self.longest_silence = max(self.longest_silence, now - self.last_arrival)
        self.last_arrival = now
