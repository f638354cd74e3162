"""Server-Sent Events cases (WHATWG HTML §9.2), for servers: one module per section.

``SUITE``: cases receive an :class:`~conformance.catalog.sse.context.SseContext` on the stream URL.
``http://`` and ``https://`` targets are probed (``GET`` with ``Accept: text/event-stream``) to tell them
from long-polling ones.
"""

from __future__ import annotations

import asyncio

from conformance.catalog.http_context import HttpSuite
from conformance.catalog.sse.context import SseContext, stream_problem
from conformance.suites import Suite
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import build_http_request
from conformance.wire.httpclient import HttpExchange

__all__ = ["MODULES", "SUITE", "probe"]

MODULES = (
    "conformance.catalog.sse.s9_2_3_response",
    "conformance.catalog.sse.s9_2_5_framing",
    "conformance.catalog.sse.s9_2_6_fields",
    "conformance.catalog.sse.s9_2_4_resume",
    "conformance.catalog.sse.s9_2_7_heartbeat",
    "conformance.catalog.sse.delivery",
    "conformance.catalog.sse.lifecycle",
    "conformance.catalog.sse.cors",
)

PROBE_TIMEOUT = 1.0


async def probe(endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` answers ``GET`` with an event stream within 1 s.

    Raises:
        OSError: the target cannot be reached.
    """
    ex = HttpExchange(endpoint, deadline=asyncio.get_running_loop().time() + PROBE_TIMEOUT)
    request = build_http_request("GET", endpoint.resource, endpoint.host_header,
                                 (*endpoint.headers, ("Accept", "text/event-stream")))
    try:
        response = await ex.send(request)
    except (asyncio.TimeoutError, TimeoutError):
        return False
    except ConnectionError:
        if not ex.sent_at:  # not even connected: unreachable
            raise
        return False
    finally:
        ex.close()
    return response is not None and not stream_problem(response)


#: The living standard's fragments for the section numbers this catalog uses (other sections: no link).
ANCHORS = {
    "9.2": "server-sent-events", "9.2.3": "sse-processing-model", "9.2.4": "the-last-event-id-header",
    "9.2.5": "parsing-an-event-stream", "9.2.6": "event-stream-interpretation", "9.2.7": "authoring-notes",
}

SUITE = Suite(spec="sse", context=HttpSuite(SseContext).context, title="WHATWG HTML",
              spec_link="https://html.spec.whatwg.org/multipage/server-sent-events.html",
              schemes=frozenset({"http", "https"}), probe=probe,
              reference=("sse", "--heartbeat-interval", "1", "--queue-size", "64", "--queue-bytes", "1048576",
                         "--send-timeout", "2", "--connection-cap", "128"),
              reference_profile=(("heartbeat-interval", "1"), ("history-size", "1024"),
                                 ("buffer-limit", "1048576"), ("churn-count", "160")),
              profile_cases=("sse/lifecycle/non-reader-bounded", "sse/lifecycle/subscriber-churn",
                             "sse/9.2.7/heartbeat-through-idle-proxy"),
              anchors=ANCHORS)
