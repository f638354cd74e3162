"""Server-Sent Events, sans-IO: the event-stream encoder and the bounded event history (WHATWG HTML §9.2).

Containing no networking code at all: bytes out, no clock reads, no I/O.
"""

from __future__ import annotations

from reference.core.sse.encoder import encode_comment, encode_event, encode_retry
from reference.core.sse.history import History, StoredEvent

__all__ = ["History", "StoredEvent", "encode_comment", "encode_event", "encode_retry"]
