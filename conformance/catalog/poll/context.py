"""What a long-polling case receives: the poll URL, its profile, and poll helpers.

A poll that is not answered in time raises :class:`PollUnanswered`; helpers that follow the cursor for a
case's own messages stop there and report what is missing as lost (:func:`lost`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from conformance.catalog.http_context import HttpContext
from conformance.catalog.poll.answer import PollAnswer, parse_poll_answer
from conformance.model import CaseFailed
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import HttpResponse, split_resource
from conformance.wire.httpclient import HttpExchange
from conformance.wire.httpread import MAX_BODY_KEPT

__all__ = ["Poll", "PollContext", "PollUnanswered", "lost"]

#: Hold timeout assumed when the profile names none (RFC 6202 §5.5: "30 seconds is a safer value").
DEFAULT_HOLD = 30.0


class PollUnanswered(CaseFailed):
    """A poll got no complete answer in the time given."""


def lost(missing: Sequence[str], polls: int, seconds: float) -> CaseFailed:
    """The verdict for messages a case published and never received while following the cursor."""
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    return CaseFailed(["every published message delivered"],
                      f"message lost: published {missing[0]!r}{more}, not delivered in {polls} poll(s) / "
                      f"{seconds:.1f} s")


class Poll:
    """One answered poll: the response head, the parsed answer and how long the target held it."""

    def __init__(self, response: HttpResponse, answer: PollAnswer, held: float, head_size: int) -> None:
        self.response = response
        self.answer = answer
        self.held = held
        self.head_size = head_size

    def own(self, token: str) -> list[str]:
        """The data of the messages this case published (they start with ``token``)."""
        return [data for _, data, _ in self.answer.messages if data.startswith(token)]


class PollContext(HttpContext):
    """A long-poll case's context."""

    @property
    def hold(self) -> float:
        """The hold timeout the target promises (``--hold-timeout``), or 30 s."""
        return self.number("hold-timeout", DEFAULT_HOLD) or DEFAULT_HOLD

    def resource(self, cursor: int | None, extra: str = "") -> str:
        """The poll URL's resource with ``cursor=`` (and ``extra`` query text) added."""
        path, query = split_resource(self.endpoint.resource)
        params = [p for p in (query, "" if cursor is None else f"cursor={cursor}", extra) if p]
        return f"{path}?{'&'.join(params)}" if params else path

    async def start_poll(self, cursor: int | None, extra: str = "", chop: int | None = None, *,
                         endpoint: Endpoint | None = None) -> HttpExchange:
        """Send a poll (on ``endpoint``, e.g. through a relay; default the case's); the answer is read in
        the background (await :meth:`finish`)."""
        return await self.exchange("GET", self.resource(cursor, extra), headers=[("Connection", "close")],
                                   chop=chop, wait_head=False, endpoint=endpoint)

    async def finish(self, ex: HttpExchange, timeout: float | None = None) -> Poll:
        """Wait for the poll's answer (at most ``timeout``, default hold + 5 s) and parse it.

        Raises:
            CaseFailed: no complete answer in time, a status other than 200, or not the JSON shape.
        """
        loop = asyncio.get_running_loop()
        wait = self.left(self.hold + 5.0 if timeout is None else timeout)
        if not await ex.wait_done(wait):
            ex.close()
            raise PollUnanswered(["an answer to the poll"], f"no complete answer after {wait:.1f} s")
        held = loop.time() - ex.sent_at
        ex.close()
        if ex.response is None:
            raise CaseFailed(["an answer to the poll"], ex.head_error or "no response head")
        if ex.response.status != 200:
            status = f"status {ex.response.status} {ex.response.reason}"
            raise CaseFailed(["200 with the poll answer"], status)
        if ex.truncated:
            raise CaseFailed([f"an answer the runner can keep (at most {MAX_BODY_KEPT} bytes)"],
                             f"an answer of {ex.body_size} bytes")
        try:
            answer = parse_poll_answer(ex.body)
        except ValueError as exc:
            raise CaseFailed(['{"cursor": M, "messages": [...]}'], str(exc)) from None
        return Poll(ex.response, answer, held, ex.raw_head_size)

    async def poll(self, cursor: int | None, extra: str = "", timeout: float | None = None,
                   chop: int | None = None) -> Poll:
        """One whole poll."""
        return await self.finish(await self.start_poll(cursor, extra, chop), timeout)

    async def cursor_after(self, token: str) -> int:
        """Publish a marker and follow the cursors until it shows up; the cursor right after it.

        The search starts just before the marker when publish answers a numeric id (the contract's ids
        are cursors), so big messages published earlier are not read again; else from cursor 0 (any
        target that keeps the marker in its history works).

        Raises:
            CaseFailed: the marker is not delivered ("message lost: ...").
        """
        marker = token + "-marker"
        loop = asyncio.get_running_loop()
        start = loop.time()
        published = await self.publish(marker)
        cursor = int(published) - 1 if published is not None and published.isdigit() else 0
        polls = 0
        while polls < 64:
            try:
                answer = (await self.poll(max(0, cursor), timeout=5.0)).answer
            except PollUnanswered:
                break
            polls += 1
            cursor = answer.cursor
            if any(d == marker for _, d, _ in answer.messages):
                return cursor
            if not answer.messages:
                break
        raise lost([marker], polls, loop.time() - start)
