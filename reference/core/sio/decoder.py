"""Putting Socket.IO packets back together from Engine.IO messages: a text part, then its attachments.

A BINARY_EVENT or BINARY_ACK announces ``n`` attachments (``51-[...]``); the next ``n`` binary messages
are they, in order. Anything else in between is an ``AttachmentError``: a text message while attachments
are still due (the count was too high), or a binary message when none is due (too low). Memory is bounded
by construction: at most ``max_attachments`` attachments per packet (checked on the header, before any
arrives) and at most ``max_attachment_bytes`` in all, checked as each one arrives (Engine.IO's
``maxPayload`` bounds each message already; this bounds their sum).
"""

from __future__ import annotations

from reference.core.sio.errors import AttachmentError
from reference.core.sio.packets import Header, Packet, load_payload, parse_header

__all__ = ["DEFAULT_MAX_ATTACHMENTS", "DEFAULT_MAX_ATTACHMENT_BYTES", "Decoder"]

#: The reference decoder's default ``maxAttachments``.
DEFAULT_MAX_ATTACHMENTS = 10
#: Total size of the attachments of one packet (Engine.IO's default ``maxPayload`` is 1 000 000 per message).
DEFAULT_MAX_ATTACHMENT_BYTES = 10_000_000


class Decoder:
    """Turns Engine.IO message payloads into ``Packet`` objects.

    Args:
        max_attachments: Most attachments one packet may announce.
        max_attachment_bytes: Most bytes all the attachments of one packet may hold.
    """

    def __init__(self, *, max_attachments: int = DEFAULT_MAX_ATTACHMENTS,
                 max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> None:
        self.max_attachments = max_attachments
        self.max_attachment_bytes = max_attachment_bytes
        self._header: Header | None = None
        self._buffers: list[bytes] = []
        self._size = 0

    @property
    def attachments_due(self) -> int:
        """How many binary messages the packet being put together still waits for."""
        return 0 if self._header is None else self._header.attachments - len(self._buffers)

    def receive_text(self, text: str) -> Packet | None:
        """Read a text message; returns the packet, or None if its attachments are still to come.

        Raises:
            MalformedPacket, AttachmentError: see ``packets.py``; the decoder is reset.
        """
        if self._header is not None:
            due = self.attachments_due
            self._reset()
            raise AttachmentError(f"text message while {due} attachment(s) are still due")
        header = parse_header(text, max_attachments=self.max_attachments)
        data = load_payload(header)  # checks the payload and its placeholders before any attachment
        if header.attachments:
            self._header = header
            return None
        return Packet(header.type, header.nsp, data, header.id)

    def receive_binary(self, data: bytes) -> Packet | None:
        """Read a binary message, the next attachment; returns the packet once it has them all.

        Raises:
            AttachmentError: no attachment is due, or the attachments pass ``max_attachment_bytes``.
        """
        header = self._header
        if header is None:
            raise AttachmentError(f"binary message of {len(data)} bytes while no attachment is due")
        self._size += len(data)
        if self._size > self.max_attachment_bytes:
            self._reset()
            raise AttachmentError(f"attachments larger than {self.max_attachment_bytes} bytes")
        self._buffers.append(bytes(data))
        if len(self._buffers) < header.attachments:
            return None
        buffers = self._buffers
        self._reset()
        return Packet(header.type, header.nsp, load_payload(header, buffers), header.id)

    def _reset(self) -> None:
        self._header = None
        self._buffers = []
        self._size = 0
