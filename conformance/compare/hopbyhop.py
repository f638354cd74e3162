"""The request rewriting of an HTTP/1.1 proxy that does not support ``Upgrade``.

RFC 9110 §7.6.1: "Intermediaries MUST parse a received Connection header field before a message is
forwarded and, for each connection-option in this field, remove any header or trailer field(s) from the
message with the same name as the connection-option, and then remove the Connection header field itself".
``Upgrade`` is such a hop-by-hop field (§7.8: it "applies only to the immediate connection"), so a proxy
that does not itself upgrade forwards a WebSocket opening request as a plain ``GET``, and the server must
refuse it.

:class:`RequestRewriter` is fed the client's bytes in any chunking and returns what to forward: each
request head with ``Connection``, the fields it names, and ``Upgrade`` removed; a body framed by
``Content-Length`` passes unchanged. A chunked request body, or a head over :data:`MAX_HEAD` bytes, ends the
rewriting: the rest of the connection passes as it comes (the clients of the comparison send neither).
"""

from __future__ import annotations

__all__ = ["MAX_HEAD", "RequestRewriter", "strip_hop_by_hop"]

#: The longest request head rewritten; a longer one switches the connection to pass-through.
MAX_HEAD = 64 * 1024


def strip_hop_by_hop(head: bytes) -> bytes:
    """A request head (ending with the blank line) without Connection, the fields it names, and Upgrade."""
    lines = head[:-4].split(b"\r\n")
    named = {b"connection", b"upgrade", b"keep-alive"}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"connection":
            named |= {token.strip().lower() for token in value.split(b",") if token.strip()}
    kept = [lines[0]] + [line for line in lines[1:] if line.partition(b":")[0].strip().lower() not in named]
    return b"\r\n".join(kept) + b"\r\n\r\n"


def _content_length(head: bytes) -> int | None:
    """The request's Content-Length (0 when absent); None when the body is chunked or unreadable."""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"transfer-encoding":
            return None
        if key == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return None
    return length


class RequestRewriter:
    """Rewrites the request heads of one connection (see the module docstring).

    Attributes:
        rewritten: request heads rewritten so far.
        passthrough: rewriting has stopped (a chunked body or an oversized head).
    """

    def __init__(self) -> None:
        self._head = bytearray()
        self._body_left = 0
        self.rewritten = 0
        self.passthrough = False

    def feed(self, data: bytes) -> bytes:
        """The bytes to forward for ``data`` (maybe fewer now, the rest once a head is complete)."""
        out = bytearray()
        view = memoryview(data)
        while view:
            if self.passthrough:
                out += view
                break
            if self._body_left:
                take = min(self._body_left, len(view))
                out += view[:take]
                view = view[take:]
                self._body_left -= take
                continue
            self._head += view
            view = memoryview(b"")
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                if len(self._head) > MAX_HEAD:
                    self.passthrough = True
                    out += self._head
                    self._head.clear()
                break
            head, rest = bytes(self._head[:end + 4]), bytes(self._head[end + 4:])
            self._head.clear()
            out += strip_hop_by_hop(head)
            self.rewritten += 1
            length = _content_length(head)
            if length is None:
                self.passthrough = True
            else:
                self._body_left = length
            view = memoryview(rest)
        return bytes(out)
