"""HTTP long polling, sans-IO: the JSON body of a poll answer and the cursor rules (RFC 6202 §2.1, §5.4).

A poll answer is ``{"cursor": M, "messages": [{"id": "7", "data": "...", "event": null}, ...]}``: the
messages newer than the request's cursor (oldest first, at most a batch), and the cursor to send next.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from reference.core.sse.history import StoredEvent

__all__ = ["encode_answer"]


def encode_answer(cursor: int, messages: Sequence[StoredEvent], max_size: int | None = None) -> bytes:
    """The UTF-8 JSON body answering a poll: the new cursor is the last message's seq (or ``cursor``).

    Args:
        cursor: the request's cursor, answered when there are no messages.
        messages: the messages newer than it, oldest first.
        max_size: largest body in bytes: the messages that do not fit wait for the next poll (the cursor
            says which were sent). The first message is always sent, however large: JSON escaping can make
            a message up to six times its size (a control character is six bytes, ``\\u0001``).
    """
    parts: list[bytes] = []
    size = len(_head(messages[-1].seq if messages else cursor)) + 2  # the longest head it can have
    for message in messages:
        part = json.dumps({"id": message.id, "data": message.data, "event": message.event},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        size += len(part) + (1 if parts else 0)
        if parts and max_size is not None and size > max_size:
            break
        parts.append(part)
    new_cursor = messages[len(parts) - 1].seq if parts else cursor
    return _head(new_cursor) + b",".join(parts) + b"]}"


def _head(cursor: int) -> bytes:
    return b'{"cursor":%d,"messages":[' % cursor
