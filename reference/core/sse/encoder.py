"""Serialize events to the ``text/event-stream`` format (WHATWG HTML §9.2.5, §9.2.6).

The encoder writes only what a strict §9.2.5 reader parses back to the same event: every payload line
becomes one ``data:`` line, each field value is preceded by exactly one space (so a value that itself
starts with a space keeps it), and every event ends with a blank line. Values that cannot be written
(a CR or LF in ``event``/``id``, a NUL in ``id``) raise :class:`LocalProtocolError` instead of being
silently mangled.
"""

from __future__ import annotations

import re

from reference.core.errors import LocalProtocolError

__all__ = ["EOLS", "encode_comment", "encode_event", "encode_retry", "split_lines"]

#: §9.2.5: "end-of-line = ( cr lf / cr / lf )". The encoder may use any of them.
EOLS = ("\n", "\r\n", "\r")

# §9.2.5: "The stream must then be parsed by reading everything line by line, with a U+000D CARRIAGE RETURN
# U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character not preceded by a U+000D
# CARRIAGE RETURN (CR) character, and a single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A
# LINE FEED (LF) character being the ways in which a line can end."
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The payload as the lines a reader will see: CRLF, CR and LF all end a line; ``""`` is one line."""
    return _LINE_BREAK.split(text)


def _check_eol(eol: str) -> None:
    if eol not in EOLS:
        raise LocalProtocolError(f"end of line must be LF, CRLF or CR, not {eol!r}")


def _single_line(name: str, value: str) -> None:
    # A CR or LF would end the field line early and turn the rest into another (wrong) field.
    if "\r" in value or "\n" in value:
        raise LocalProtocolError(f"{name} must not contain CR or LF: {value!r}")


def encode_event(data: str, *, event: str | None = None, id: str | None = None,
                 retry: int | None = None, eol: str = "\n") -> bytes:
    """One complete event: optional ``event``/``id``/``retry`` fields, the ``data`` lines, a blank line.

    Args:
        data: The payload. Any CR, LF or CRLF in it starts a new ``data:`` line; a reader joins the lines
            with LF, so CR and CRLF come back as LF (the format cannot carry them).
        event: The event type; None or "" leaves the reader's default, "message".
        id: The event ID; "" resets the reader's last event ID.
        retry: A reconnection time in milliseconds.
        eol: The line terminator to write.

    Raises:
        LocalProtocolError: ``event``/``id`` contain CR or LF, ``id`` contains NUL, ``retry`` is negative.
    """
    _check_eol(eol)
    lines = []
    if event:
        _single_line("event", event)
        lines.append(f"event: {event}")
    if id is not None:
        _single_line("id", id)
        # §9.2.6 "If the field value does not contain U+0000 NULL, then set the last event ID buffer to the
        # field value. Otherwise, ignore the field." An id with NUL would be silently lost: refuse it.
        if "\0" in id:
            raise LocalProtocolError(f"id must not contain NUL: {id!r}")
        lines.append(f"id: {id}")
    if retry is not None:
        lines.append(encode_retry(retry, eol=eol).decode("utf-8").rstrip("\r\n"))
    # §9.2.6 "Collect the characters on the line after the first U+003A COLON character (:), and let value
    # be that string. If value starts with a U+0020 SPACE character, remove it from value." One space is
    # always written, so a payload line starting with a space keeps that space.
    head = "".join(line + eol for line in lines).encode("utf-8")
    end = eol.encode("ascii")
    # §9.2.6 "If the line is empty (a blank line) Dispatch the event".
    return b"".join((head, b"data: ", _data_lines(data.encode("utf-8"), end), end, end))


def _data_lines(data: bytes, eol: bytes) -> bytes:
    """The payload's lines (as ``split_lines`` finds them) joined by ``eol`` + ``data: ``.

    Linear C-level passes over the UTF-8 bytes (CR and LF never occur inside a multi-byte sequence), not a
    Python object per line: a megabyte of line breaks is encoded in milliseconds, once per event.
    """
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", eol + b"data: ")


def encode_retry(milliseconds: int, *, eol: str = "\n") -> bytes:
    """A ``retry:`` field line. On its own (followed by a blank line) it dispatches no event.

    Raises:
        LocalProtocolError: ``milliseconds`` is negative (§9.2.6 "consists of only ASCII digits").
    """
    _check_eol(eol)
    if isinstance(milliseconds, bool) or milliseconds < 0:
        raise LocalProtocolError(f"retry must be a non-negative integer, not {milliseconds!r}")
    return f"retry: {int(milliseconds)}{eol}".encode("ascii")


def encode_comment(text: str = "", *, eol: str = "\n") -> bytes:
    """A comment block (``:text`` + blank line): a heartbeat that never dispatches an event.

    Raises:
        LocalProtocolError: ``text`` contains CR or LF (it would end the comment and start a field).
    """
    _check_eol(eol)
    _single_line("comment", text)
    # §9.2.6 "If the line starts with a U+003A COLON character (:) Ignore the line."
    return f":{text}{eol}{eol}".encode()
