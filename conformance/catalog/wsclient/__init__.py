"""WebSocket client cases (RFC 6455, the client's obligations), run by ``rtconform clients --suite wsclient``.

Each case plays the server side on 127.0.0.1 (:mod:`.peer`, on the runner's own frame code) and starts the
client under test with the case's URL (:mod:`.context`). The testee contract is Autobahn's client contract:
the client echoes every message back and exits when the connection is closed. The suite has no URL scheme
and no embedded reference server, and :data:`conformance.registry.CATALOGS` does not list it: a normal
``rtconform run`` never selects it (:data:`conformance.registry.CLIENT_CATALOGS` does).
"""

from __future__ import annotations

from conformance.catalog.wsclient.context import context
from conformance.suites import Suite

__all__ = ["MODULES", "SUITE"]

MODULES = (
    "conformance.catalog.wsclient.handshake",
    "conformance.catalog.wsclient.framing",
    "conformance.catalog.wsclient.control",
    "conformance.catalog.wsclient.chops",
    "conformance.catalog.wsclient.utf8",
    "conformance.catalog.wsclient.closing",
    "conformance.catalog.wsclient.compression",
)

SUITE = Suite(
    spec="wsclient",
    context=context,
    title="RFC 6455",
    spec_link="https://www.rfc-editor.org/rfc/rfc6455",
    schemes=frozenset(),
)
