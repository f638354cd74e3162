"""The long-poll answer the testee contract asks for (docs/testee-contract.md), and its strict parser.

``{"cursor": M, "messages": [{"id": ..., "data": ..., "event": ...}]}``: the poll catalog's expectation of a
target's answer, not part of HTTP, so it lives with the poll cases rather than with the raw clients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["PollAnswer", "parse_poll_answer"]


@dataclass(frozen=True, slots=True)
class PollAnswer:
    """A parsed long-poll answer: the next cursor and the messages (id, data, event)."""

    cursor: int
    messages: tuple[tuple[str, str, str | None], ...]


def parse_poll_answer(body: bytes) -> PollAnswer:
    """Parse ``{"cursor": M, "messages": [{"id": ..., "data": ...}]}`` strictly.

    Raises:
        ValueError: not JSON of that shape (the message shows what is wrong).
    """
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"poll answer is not utf-8 json: {exc}: {body[:80]!r}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
        raise ValueError(f"poll answer has no messages list: {body[:80]!r}")
    cursor = obj.get("cursor")
    if isinstance(cursor, str) and cursor.isdigit():
        cursor = int(cursor)
    if not isinstance(cursor, int) or isinstance(cursor, bool):
        raise ValueError(f"poll answer cursor is not an integer: {cursor!r}")
    messages = []
    for m in obj["messages"]:
        if not isinstance(m, dict) or not isinstance(m.get("data"), str) or "id" not in m:
            raise ValueError(f"poll message needs an id and a string data: {m!r}")
        event = m.get("event")
        messages.append((str(m["id"]), m["data"], event if isinstance(event, str) else None))
    return PollAnswer(cursor, tuple(messages))
