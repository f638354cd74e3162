"""EventSource client cases (WHATWG HTML §9.2), for client mode: rtconform plays the server.

``SUITE`` has no URL scheme and no reference server, so no ``rtconform run`` ever picks it: its cases run
with a client under test (:func:`conformance.clients.run.run_client_cases`, ``rtconform clients --suite
sseclient``). Each case's context (:mod:`conformance.catalog.sseclient.context`) starts the case's own
responder on 127.0.0.1 and the client on its URL; the contract is in docs/client-mode-sse.md.
"""

from __future__ import annotations

from conformance.catalog.sseclient.context import client_case_context
from conformance.suites import Suite

__all__ = ["MODULES", "SUITE"]

MODULES = (
    "conformance.catalog.sseclient.s9_2_6_interpretation",
    "conformance.catalog.sseclient.s9_2_3_processing",
)

#: The living standard's fragments for the sections the client cases cite.
ANCHORS = {
    "9.2.2": "the-eventsource-interface", "9.2.3": "sse-processing-model",
    "9.2.4": "the-last-event-id-header", "9.2.6": "event-stream-interpretation",
}

SUITE = Suite(spec="sseclient", context=client_case_context, title="WHATWG HTML",
              spec_link="https://html.spec.whatwg.org/multipage/server-sent-events.html",
              schemes=frozenset(), anchors=ANCHORS)
