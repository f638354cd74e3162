"""Engine.IO protocol v4 cases (the engine.io-protocol README), for servers: the 24 tests of the protocol's
own test suite (``origin="eio-suite #N"``, N its order in test-suite.js) and what that suite misses.

``SUITE``: cases receive an :class:`~conformance.catalog.eio.context.EioContext` on the Engine.IO path
(``--target http://host:port/engine.io/``). ``http://`` and ``https://`` targets are probed with a polling
handshake to tell an Engine.IO server from an event stream or a long poll. The testee contract is the
protocol test suite's: the server echoes every message, text or binary (docs/catalog-eio.md).

The embedded reference server is ``python -m reference.servers eio`` with pingInterval and pingTimeout of
1 s (its profile promises them): short enough for the heartbeat cases, long enough that a pong from a
loaded machine is never late (the protocol test suite's 300/200 ms leave 200 ms for it).
"""

from __future__ import annotations

import asyncio
import contextlib

from conformance.catalog.eio.context import EioContext
from conformance.catalog.http_context import HttpSuite
from conformance.suites import Suite
from conformance.wire.eio import decode_payload, parse_open, resource_for
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import build_http_request
from conformance.wire.httpclient import HttpExchange

__all__ = ["ANCHORS", "MODULES", "SUITE", "probe"]

MODULES = (
    "conformance.catalog.eio.handshake",
    "conformance.catalog.eio.messages",
    "conformance.catalog.eio.heartbeat",
    "conformance.catalog.eio.closing",
    "conformance.catalog.eio.upgrade",
)

PROBE_TIMEOUT = 1.0


async def probe(endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` answers a polling handshake (``GET ?EIO=4&transport=polling``) with an open
    packet within 1 s.

    Raises:
        OSError: the target cannot be reached.
    """
    ex = HttpExchange(endpoint, deadline=asyncio.get_running_loop().time() + 2 * PROBE_TIMEOUT)
    request = build_http_request("GET", resource_for(endpoint.resource), endpoint.host_header,
                                 (*endpoint.headers, ("Connection", "close")))
    try:
        response = await ex.send(request, head_timeout=PROBE_TIMEOUT)
        await ex.wait_done(PROBE_TIMEOUT)
    except (asyncio.TimeoutError, TimeoutError):
        return False
    except ConnectionError:
        if not ex.sent_at:  # not even connected: unreachable
            raise
        return False
    finally:
        ex.close()
    if response is None or response.status != 200 or not ex.done:
        return False
    with contextlib.suppress(ValueError):  # EioDecodeError, or not exactly one packet
        (packet,) = decode_payload(ex.body[:4096])
        return bool(parse_open(packet).sid)
    return False


#: The README's heading anchors for the sections this catalog uses.
ANCHORS = {
    "query-parameters": "query-parameters", "headers": "headers", "sending-data": "sending-data",
    "receiving-data": "receiving-data", "websocket": "websocket", "handshake": "handshake",
    "heartbeat": "heartbeat", "upgrade": "upgrade", "message": "message",
    "packet-encoding": "packet-encoding",
    "protocol": "protocol",
}

SUITE = Suite(spec="eio", context=HttpSuite(EioContext).context, title="Engine.IO protocol v4",
              spec_link="https://github.com/socketio/engine.io-protocol/blob/main/README.md",
              schemes=frozenset({"http", "https"}), probe=probe,
              reference=("eio", "--ping-interval", "1000", "--ping-timeout", "1000"),
              reference_profile=(("ping-interval", "1000"), ("ping-timeout", "1000"),
                                 ("max-payload", "1000000")),
              anchors=ANCHORS)
