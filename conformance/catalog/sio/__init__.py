"""Socket.IO protocol v5 cases (the socket.io-protocol README), for servers: the 32 tests of the protocol's
own test suite (``origin="sio-suite #N"``, N its order in test-suite.js: #1-#16 its Engine.IO half,
#17-#32 its Socket.IO half) and what that suite misses (SIO-1..6, rooms, maxPayload,
connection state recovery).

``SUITE``: cases receive a :class:`~conformance.catalog.sio.context.SioContext` on the Socket.IO path
(``--target http://host:port/socket.io/``). An ``http(s)://`` URL is recognised as Socket.IO when a
polling session's CONNECT to the main namespace is answered with a CONNECT carrying a sid; the suite comes
before eio in the registry, so a Socket.IO server (which also speaks Engine.IO) is probed as Socket.IO first.
The testee contract is in docs/testee-contract.md.

The embedded reference server is ``python -m reference.servers sio`` with pingInterval and pingTimeout of
1 s and a connect timeout of 2 s (its profile promises them).
"""

from __future__ import annotations

import asyncio
import contextlib

from conformance.catalog.http_context import HttpSuite
from conformance.catalog.sio.context import SioContext
from conformance.suites import Suite
from conformance.wire.eio import PacketType, decode_payload, parse_open, resource_for
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import build_http_request
from conformance.wire.httpclient import HttpExchange
from conformance.wire.sio import SioType, decode_header

__all__ = ["ANCHORS", "MODULES", "SUITE", "probe"]

MODULES = (
    "conformance.catalog.sio.engineio",
    "conformance.catalog.sio.connect",
    "conformance.catalog.sio.disconnect",
    "conformance.catalog.sio.messages",
    "conformance.catalog.sio.rooms",
    "conformance.catalog.sio.limits",
    "conformance.catalog.sio.recovery",
)

PROBE_TIMEOUT = 1.0


async def _exchange(endpoint: Endpoint, method: str, resource: str, body: bytes = b"") -> bytes | None:
    """One request within :data:`PROBE_TIMEOUT`: the body of a 200, else None."""
    ex = HttpExchange(endpoint, deadline=asyncio.get_running_loop().time() + 2 * PROBE_TIMEOUT)
    headers = (*endpoint.headers, ("Connection", "close"))
    if body:
        headers = (*headers, ("Content-Type", "text/plain;charset=UTF-8"))
    request = build_http_request(method, resource, endpoint.host_header, headers, body)
    try:
        response = await ex.send(request, head_timeout=PROBE_TIMEOUT)
        await ex.wait_done(PROBE_TIMEOUT)
    except (asyncio.TimeoutError, TimeoutError):
        return None
    except ConnectionError:
        if not ex.sent_at:  # not even connected: unreachable
            raise
        return None
    finally:
        ex.close()
    return ex.body[:4096] if response is not None and response.status == 200 and ex.done else None


async def probe(endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` opens a polling session and answers ``40`` (CONNECT /) with a CONNECT that
    carries a sid, each step within 1 s.

    Raises:
        OSError: the target cannot be reached.
    """
    with contextlib.suppress(ValueError):  # EioDecodeError, SioDecodeError, not one packet
        body = await _exchange(endpoint, "GET", resource_for(endpoint.resource))
        if body is None:
            return False
        (packet,) = decode_payload(body)
        sid = parse_open(packet).sid
        if await _exchange(endpoint, "POST", resource_for(endpoint.resource, sid=sid), b"40") is None:
            return False
        answer = await _exchange(endpoint, "GET", resource_for(endpoint.resource, sid=sid))
        for message in decode_payload(answer or b"6"):
            if message.type is PacketType.MESSAGE and isinstance(message.data, str):
                header, _ = decode_header(message.data)
                return header.type is SioType.CONNECT and isinstance(header.data, dict) and \
                    isinstance(header.data.get("sid"), str)
    return False


#: The README's heading anchors for the sections this catalog uses.
ANCHORS = {
    "engine-io": "introduction",
    "connection-to-a-namespace": "connection-to-a-namespace",
    "sending-and-receiving-data": "sending-and-receiving-data",
    "acknowledgement": "acknowledgement",
    "disconnection-from-a-namespace": "disconnection-from-a-namespace",
    "packet-encoding": "packet-encoding",
}

SUITE = Suite(spec="sio", context=HttpSuite(SioContext).context, title="Socket.IO protocol v5",
              spec_link="https://github.com/socketio/socket.io-protocol/blob/main/Readme.md",
              schemes=frozenset({"http", "https"}), probe=probe,
              reference=("sio", "--ping-interval", "1000", "--ping-timeout", "1000",
                         "--connect-timeout", "2"),
              reference_profile=(("ping-interval", "1000"), ("ping-timeout", "1000"),
                                 ("max-payload", "1000000"), ("connect-timeout", "2000")),
              anchors=ANCHORS)
