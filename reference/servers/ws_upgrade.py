"""The HTTP/1.1 side of the opening handshake: read a request head with h11, write the answer with h11.

h11 is sans-IO too, but it is not standard library, so it lives here in the I/O layer and not in
``reference.core``. This module turns h11's view of the request into the core's ``handshake.Request``,
and serializes whatever the core decided (``Accept`` -> 101, ``Reject`` -> an error response). It makes no
WebSocket decision itself; it only enforces HTTP/1.1 framing and the size of the head.

Theory of operation::

    reader = RequestReader(max_head_size=16384)
    request = reader.receive_data(chunk)      # None until the head is complete; raises HttpError
    ...core decides...
    transport.write(reader.switch_protocols(accept.headers))   # then WebSocket bytes follow
    leftover = reader.trailing_data           # frames the client sent right behind its request
  or
    transport.write(reader.error_response(status, reason, headers)); transport.close()
"""

from __future__ import annotations

from collections.abc import Iterable

import h11

from reference.core.ws.handshake import Request

__all__ = ["DEFAULT_MAX_HEAD_SIZE", "HttpError", "RequestReader"]

#: Largest request head accepted, in bytes (request line plus header fields).
DEFAULT_MAX_HEAD_SIZE = 16 * 1024

#: RFC 9110 §15.5.14: "413 (Content Too Large) ... the request content is larger than the server is willing
#: or able to process". An upgrade request has no use for a body; we drain a small one and refuse a large one.
_MAX_BODY_SIZE = DEFAULT_MAX_HEAD_SIZE

_HttpHeaders = Iterable[tuple[str, str]]


class HttpError(Exception):
    """The request cannot be served; answer with ``status`` and close.

    Args:
        status: The HTTP status code to answer with (400, 408, 413, 431, 500, 503).
        reason: Short, lower-case description showing the offending value.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RequestReader:
    """Read one HTTP/1.1 request head for a WebSocket upgrade (server side).

    Args:
        max_head_size: Largest accepted head in bytes; a bigger one raises ``HttpError(431, ...)``.
    """

    def __init__(self, max_head_size: int = DEFAULT_MAX_HEAD_SIZE) -> None:
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=max_head_size)
        self._max_head_size = max_head_size
        self._fed = 0  # bytes fed until the head was complete
        self._request: Request | None = None
        self._body_size = 0
        self._complete = False

    @property
    def trailing_data(self) -> bytes:
        """Bytes received after the end of the request: the first WebSocket frames, if the client hurried."""
        return bytes(self._h11.trailing_data[0])

    def receive_data(self, data: bytes) -> Request | None:
        """Feed bytes from the network; ``b""`` means the peer closed its side.

        Returns:
            The complete request once its head (and any body) has arrived, else None: feed more bytes.

        Raises:
            HttpError: The bytes are not an acceptable HTTP/1.1 request; answer with ``.status`` and close.
        """
        if self._complete:
            return None
        if self._request is None:
            self._fed += len(data)
        try:
            self._h11.receive_data(data)
            return self._next_request()
        except h11.RemoteProtocolError as exc:
            # h11 hints 431 when the head outgrew max_incomplete_event_size, 400 for everything else.
            raise HttpError(exc.error_status_hint, f"bad request: {exc}") from None

    def _next_request(self) -> Request | None:
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return None
            if isinstance(event, h11.Request):
                self._check_head_size()
                self._request = _to_core_request(event)
            elif isinstance(event, h11.Data):
                self._body_size += len(event.data)
                if self._body_size > _MAX_BODY_SIZE:
                    raise HttpError(413, f"request body too large: more than {_MAX_BODY_SIZE} bytes")
            elif isinstance(event, h11.EndOfMessage):
                self._complete = True
                return self._request
            elif isinstance(event, h11.ConnectionClosed):
                raise HttpError(400, "connection closed before the request was complete")

    def _check_head_size(self) -> None:
        # h11 enforces max_incomplete_event_size only while the head is incomplete; a head that arrives
        # whole in one chunk is measured here: what was fed minus what h11 has not consumed yet.
        size = self._fed - len(self._h11.trailing_data[0])
        # RFC 6585 §5: "431 (Request Header Fields Too Large) ... the server is unwilling to process the
        # request because its header fields are too large."
        if size > self._max_head_size:
            raise HttpError(431, f"request head too large: {size} bytes, the limit is {self._max_head_size}")

    def switch_protocols(self, headers: _HttpHeaders) -> bytes:
        """Serialize ``101 Switching Protocols`` with the headers the core chose.

        Raises:
            HttpError: h11 saw no upgrade proposal in the request, so a 101 would break HTTP/1.1 (500).
        """
        response = h11.InformationalResponse(
            status_code=101, headers=list(headers), reason=b"Switching Protocols"
        )
        try:
            data = self._h11.send(response)
        except h11.LocalProtocolError as exc:
            raise HttpError(500, f"cannot switch protocols: {exc}") from None
        assert data is not None  # an InformationalResponse always serializes to bytes
        return data

    def error_response(self, status: int, reason: str, headers: _HttpHeaders = ()) -> bytes:
        """Serialize an error response with a short text body; the caller closes the connection after it.

        Falls back to a hand-written response when h11's state forbids one (a refused 101 left it in ERROR).
        """
        body = (reason + "\n").encode("utf-8", "replace")
        all_headers = [
            *headers,
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ]
        try:
            response = h11.Response(status_code=status, headers=all_headers, reason=_reason_phrase(status))
            head = self._h11.send(response)
            tail = self._h11.send(h11.Data(data=body))
            end = self._h11.send(h11.EndOfMessage())
        except h11.LocalProtocolError:
            return _plain_response(status, all_headers, body)
        return b"".join(part for part in (head, tail, end) if part)


def _to_core_request(event: h11.Request) -> Request:
    """Turn h11's request event into the core's ``handshake.Request`` (names as received on the wire)."""
    return Request(
        method=event.method.decode("ascii"),
        target=event.target.decode("ascii", "replace"),
        http_version=event.http_version.decode("ascii"),
        headers=tuple(
            (raw_name.decode("ascii"), value.decode("latin-1"))
            for raw_name, value in event.headers.raw_items()
        ),
    )


def _plain_response(status: int, headers: _HttpHeaders, body: bytes) -> bytes:
    """Serialize a response without h11's state checks (used once h11 is in its ERROR state)."""
    lines = [f"HTTP/1.1 {status} {_reason_phrase(status).decode('ascii')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _reason_phrase(status: int) -> bytes:
    return _REASONS.get(status, "Error").encode("ascii")


_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    408: "Request Timeout",
    413: "Content Too Large",
    426: "Upgrade Required",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
