"""RFC 6455 WebSocket cases. One module per Autobahn group or RFC section; list new modules here.

``ab*`` modules carry Autobahn|Testsuite's server cases 1-7, 10, 12 and 13 (463, with Autobahn's ids) plus the
corrections and additions next to the case they extend; the other modules cover what Autobahn never
tests (opening handshake, masking, length encodings, closing behaviour). Case list: docs/catalog-ws.md.

``SUITE``: cases receive an unconnected :class:`~conformance.wire.ws.WsClient` (:mod:`.suite`);
``ws://`` and ``wss://`` targets are this suite's. Shared verifiers: :mod:`.verify`.
"""

from conformance.catalog.ws.suite import ws_context
from conformance.suites import Suite

__all__ = ["MODULES", "SUITE"]

MODULES = (
    "conformance.catalog.ws.ab01_framing",
    "conformance.catalog.ws.ab02_pings",
    "conformance.catalog.ws.ab03_04_rsv_opcodes",
    "conformance.catalog.ws.ab05_fragmentation",
    "conformance.catalog.ws.ab06_utf8",
    "conformance.catalog.ws.ab07_close",
    "conformance.catalog.ws.handshake",
    "conformance.catalog.ws.framing",
    "conformance.catalog.ws.closing",
    "conformance.catalog.ws.compression",
    # last: 216 compressed echoes, the heaviest cases, run after the timing-sensitive chop cases
    "conformance.catalog.ws.ab12_13_compression",
)

SUITE = Suite(spec="ws", context=ws_context, title="RFC 6455",
              spec_link="https://www.rfc-editor.org/rfc/rfc6455", schemes=frozenset({"ws", "wss"}),
              reference=("ws",),
              # the embedded reference server's default --max-message-size (64 MiB): the decompression bomb
              # (ws/10.4/deflate-bomb) is judged against it
              reference_profile=(("max-message-size", str(64 * 2**20)),))
