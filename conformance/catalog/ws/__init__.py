"""RFC 6455 WebSocket cases. One module per Autobahn group or RFC section; list new modules here.

``ab*`` modules carry Autobahn|Testsuite's server cases 1-7 and 10 (247, with Autobahn's ids) plus the
corrections and additions next to the case they extend; the other modules cover what Autobahn never
tests (opening handshake, masking, length encodings, closing behaviour). Case list: docs/catalog-ws.md.
"""

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
)
