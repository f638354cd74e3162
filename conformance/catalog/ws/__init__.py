"""RFC 6455 WebSocket cases. One module per Autobahn group or RFC section; list new modules here.

``ab*`` modules carry Autobahn|Testsuite's server cases 1-7, 9 (performance, measured), 10, 12 and 13
(517, with Autobahn's ids) plus the corrections and additions next to the case they extend; the other
modules cover what Autobahn never tests (opening handshake, masking, length encodings, closing behaviour,
permessage-deflate negotiation, the connection lifecycle). Case list: docs/catalog-ws.md.

``SUITE``: cases receive an unconnected :class:`~conformance.wire.ws.WsClient` (:mod:`.suite`);
``ws://`` and ``wss://`` targets are this suite's. Shared verifiers: :mod:`.verify`.
"""

from conformance.catalog.ws.suite import ws_context
from conformance.suites import Suite

__all__ = ["LIFECYCLE_MODULES", "MODULES", "PROFILE_CASES", "REFERENCE_FLAGS", "REFERENCE_PROFILE", "SUITE"]

#: The connection-lifecycle cases (issue 12): STRICT, judged against the target's declared profile, slow
#: by nature (they wait for timers), some ``exclusive``.
LIFECYCLE_MODULES = (
    "conformance.catalog.ws.lifecycle_keepalive",
    "conformance.catalog.ws.lifecycle_limits",
    "conformance.catalog.ws.lifecycle_load",
)

MODULES = (
    "conformance.catalog.ws.ab01_framing",
    "conformance.catalog.ws.ab02_pings",
    "conformance.catalog.ws.ab03_04_rsv_opcodes",
    "conformance.catalog.ws.ab05_fragmentation",
    "conformance.catalog.ws.ab06_utf8",
    "conformance.catalog.ws.ab07_close",
    "conformance.catalog.ws.ab09_performance",
    "conformance.catalog.ws.handshake",
    "conformance.catalog.ws.framing",
    "conformance.catalog.ws.closing",
    *LIFECYCLE_MODULES,
    "conformance.catalog.ws.compression",
    # last: 216 compressed echoes, the heaviest cases, run after the timing-sensitive chop cases
    "conformance.catalog.ws.ab12_13_compression",
)

#: What the embedded reference server promises (the flags of ``reference/servers/ws_cli.py`` given in
#: ``reference`` below): small handshake, keepalive and pong timeouts so the lifecycle cases stay short.
#: The whole catalog shares this server, so its pings also reach Autobahn's timed and chopped cases: the
#: runner answers them between frames (``WsClient.send`` holds automatic replies until a chopped frame
#: is written whole). The pong timeout leaves room for a loaded machine (a late pong must not flip a
#: verdict). No idle timeout: with a keepalive, the pong timeout drops a silent peer first. The message-rate
#: limit's burst (20000) is above what any other case sends on one connection (the flood case's 20000
#: messages included), so only ``rate-limit-enforced`` meets it. The message limit is Autobahn 9.1.6's and
#: 9.2.6's message, exactly (the largest any case sends to be echoed): the over-limit cases then send
#: 16 MiB + 1 rather than the server default's 64 MiB + 1.
EMBEDDED_MAX_MESSAGE = 16 * 2**20
REFERENCE_PROFILE = (("handshake-timeout", "2"), ("max-message-size", str(EMBEDDED_MAX_MESSAGE)),
                     ("max-connections", "128"), ("max-head-size", "16384"), ("keepalive-interval", "1"),
                     ("pong-timeout", "3"), ("rate-limit", "2000"), ("rate-burst", "20000"))
REFERENCE_FLAGS = ("--handshake-timeout", "2", "--max-connections", "128", "--keepalive-interval", "1",
                   "--pong-timeout", "3", "--rate-limit", "2000", "--rate-burst", "20000",
                   "--max-message-size", str(EMBEDDED_MAX_MESSAGE))

#: The cases of ``LIFECYCLE_MODULES`` that judge a promise of ``REFERENCE_PROFILE``: the embedded run runs
#: them without ``--strict`` as well (``Suite.profile_cases``). Not the idle timeout's: the reference
#: server declares none (tests/conformance/test_profile_cases.py checks the list against the modules).
PROFILE_CASES = (
    "ws/5.5.2/keepalive-pings-idle-peer", "ws/5.5.2/keepalive-drops-silent-peer",
    "ws/5.5.2/keepalive-drops-half-open-peer", "ws/5.5.3/unsolicited-pong-not-liveness",
    "ws/10.4/message-at-limit-echoed", "ws/10.4/message-over-limit-1009", "ws/10.4/fragments-over-limit-1009",
    "ws/10.4/header-over-limit-1009", "ws/10.4/head-field-over-limit-431", "ws/10.4/many-header-fields-431",
    "ws/10.4/max-connections-refused-then-freed",
    "ws/10.4/dribbled-handshake-timeout", "ws/10.4/silent-connection-timeout", "ws/10.4/non-reader-bounded",
    "ws/10.4/non-reader-isolation", "ws/10.4/flood-order-intact", "ws/7.4.1/rate-limit-enforced",
)

SUITE = Suite(spec="ws", context=ws_context, title="RFC 6455",
              spec_link="https://www.rfc-editor.org/rfc/rfc6455", schemes=frozenset({"ws", "wss"}),
              reference=("ws", *REFERENCE_FLAGS), reference_profile=REFERENCE_PROFILE,
              profile_cases=PROFILE_CASES)
