"""HTTP long-polling cases (RFC 6202 best practices, and the testee contract in docs/testee-contract.md).

``SUITE``: cases receive a :class:`~conformance.catalog.poll.context.PollContext` on the poll URL;
``http://`` and ``https://`` targets are probed to tell them from event streams.

Every poll case is ``exclusive`` (run alone, one at a time): the contract has one message history and
one cursor space for all clients, so another case's message answers a held poll early, ends a measured
hold, or (on a target that batches or loses messages) pushes a case's own message out of its answer.
``poll/6/oversized-publish-refused`` is the last case of the catalog, so on a target that accepts its 8
MiB body no other case of the run follows it, and ``cursor_after`` starts at the marker's own id so a
big message in the history is not read again.
"""

from __future__ import annotations

import asyncio
import contextlib

from conformance.catalog.http_context import HttpSuite
from conformance.catalog.poll.answer import parse_poll_answer
from conformance.catalog.poll.context import PollContext
from conformance.suites import Suite
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import build_http_request
from conformance.wire.httpclient import HttpExchange

__all__ = ["MODULES", "SUITE", "probe"]

MODULES = (
    "conformance.catalog.poll.s5_4_responses",
    "conformance.catalog.poll.s2_2_delivery",
    "conformance.catalog.poll.lifecycle",
    "conformance.catalog.poll.s5_practices",
)

PROBE_TIMEOUT = 1.0


async def probe(endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` behaves like a long poll: it holds ``GET`` (no head within 1 s) or answers
    the poll JSON.

    Raises:
        OSError: the target cannot be reached.
    """
    ex = HttpExchange(endpoint, deadline=asyncio.get_running_loop().time() + 2 * PROBE_TIMEOUT)
    request = build_http_request("GET", endpoint.resource, endpoint.host_header, endpoint.headers)
    try:
        await ex.send(request, head_timeout=PROBE_TIMEOUT)
        await ex.wait_done(PROBE_TIMEOUT)
    except (asyncio.TimeoutError, TimeoutError):
        return True
    except ConnectionError:
        if not ex.sent_at:  # not even connected: unreachable
            raise
        return False
    finally:
        ex.close()
    with contextlib.suppress(ValueError):
        parse_poll_answer(ex.body)
        return ex.response is not None and ex.response.status == 200
    return False


SUITE = Suite(spec="poll", context=HttpSuite(PollContext).context, title="RFC 6202",
              spec_link="https://www.rfc-editor.org/rfc/rfc6202", schemes=frozenset({"http", "https"}),
              probe=probe, reference=("poll", "--hold-timeout", "1", "--max-held-polls", "64"),
              reference_profile=(("hold-timeout", "1"), ("history-size", "1024"), ("max-held-polls", "64")),
              profile_cases=("poll/2.2/held-polls-bounded", "poll/2.2/vanished-poller-freed",
                             "poll/2.2/blackholed-poller-freed"))
