"""RFC 6455 WebSocket cases. One module per RFC section or Autobahn group; list new modules here."""

MODULES = (
    "conformance.catalog.ws.examples",
)
