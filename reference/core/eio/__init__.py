"""Engine.IO v4, server side, sans-IO (engine.io-protocol README).

* ``packets``: the packet codec (WebSocket frames; polling payloads with ``\\x1e`` and ``b<base64>``).
* ``handshake``: the query of a request (``EIO``, ``transport``, ``sid``) and the ``open`` packet.
* ``states``: the session's states and the table of legal moves.
* ``session``: one session: polling GET/POST, WebSocket, the upgrade probe, the heartbeat timers.
* ``reactions``: every client mistake and the one reaction to it (HTTP status, error code, close).

The layer above (Socket.IO, or the echo testee) sees a ``Session``: it reads ``MessageReceived`` events
(text ``str`` or binary ``bytes``) from ``events_received()`` and sends with ``send_message``.
"""
