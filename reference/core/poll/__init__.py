"""HTTP long polling, sans-IO: the JSON body of a poll answer and the cursor rules (RFC 6202 §2.1, §5.4).

A poll answer is ``{"cursor": M, "messages": [{"id": "7", "data": "...", "event": null}, ...]}``: the
messages newer than the request's cursor (oldest first, at most a batch), and the cursor to send next.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from reference.core.sse.history import StoredEvent

__all__ = ["encode_answer"]


def encode_answer(cursor: int, messages: Sequence[StoredEvent]) -> bytes:
    """The UTF-8 JSON body answering a poll: the new cursor is the last message's seq (or ``cursor``)."""
    new_cursor = messages[-1].seq if messages else cursor
    body = {"cursor": new_cursor,
            "messages": [{"id": m.id, "data": m.data, "event": m.event} for m in messages]}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
