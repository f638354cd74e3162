"""Socket.IO v5 (socket.io-protocol ``Readme.md``), server side, sans-IO: codec, sessions, server."""
