"""RFC 6455 WebSocket protocol, server role, sans-IO."""
