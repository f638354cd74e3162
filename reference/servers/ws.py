"""The reference WebSocket server: an asyncio listener whose connections are ``ConnectionPump`` echo testees.

It answers every text and binary message with the same message, sends nothing unsolicited (unless the
core's keepalive is switched on), and leaves every protocol decision to ``reference.core.ws``. It is what
``python -m reference.servers ws`` runs; tests start it in-process with ``WsServer``.

    server = WsServer(WsSettings(), tls=None)
    await server.start("127.0.0.1", 0)
    print(server.url)                 # ws://127.0.0.1:PORT
    ...
    await server.shutdown()           # close 1001 to every peer, wait briefly, drop the rest
"""

from __future__ import annotations

import asyncio
import signal
import ssl
import sys
import weakref
from collections.abc import Sequence

from reference.servers.listener import Listener, Slot
from reference.servers.memory_budget import MemoryBudget
from reference.servers.stop_signals import STOP_SIGNALS, wait_for_stop_signal
from reference.servers.ws_pump import ConnectionPump
from reference.servers.ws_settings import WsSettings

__all__ = ["WsServer", "WsSettings", "make_ssl_context", "serve"]


class WsServer:
    """Accept WebSocket connections and echo; count them, and shut them down with close 1001.

    Args:
        settings: Server options (limits, timeouts, subprotocols, origins).
        tls: A server-side TLS context for ``wss://``, or None for plain ``ws://``.
    """

    def __init__(self, settings: WsSettings | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.settings = settings or WsSettings()
        self._ssl = tls
        self._listener: Listener | None = None
        #: The server-wide budget of buffered bytes every connection charges (``memory_budget``).
        self.budget = MemoryBudget(self.settings.memory_budget)
        self._pumps: set[ConnectionPump] = set()
        # A pump whose TLS handshake failed is never released; the listener frees its slot, and so the entry
        # must not keep the pump alive.
        self._slots: weakref.WeakKeyDictionary[ConnectionPump, Slot] = weakref.WeakKeyDictionary()
        self._admitted: set[ConnectionPump] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    # -- Registry, called by the pumps ---------------------------------------------------------------

    def admit(self, pump: ConnectionPump) -> str | None:
        """Register a new connection; return None to serve it, or the reason for a 503."""
        self._pumps.add(pump)
        self._idle.clear()
        if self._stopping:
            return "server shutting down"
        limit = self.settings.max_connections
        if limit is not None and len(self._admitted) >= limit:
            return f"too many connections: the limit is {limit}"
        self._admitted.add(pump)
        return None

    def release(self, pump: ConnectionPump) -> None:
        """Forget a connection whose socket is gone; its place under the connection cap is free again."""
        self._pumps.discard(pump)
        self._admitted.discard(pump)
        slot = self._slots.pop(pump, None)
        if slot is not None:
            slot.release()
        if not self._pumps:
            self._idle.set()

    # -- lifecycle -----------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 9001) -> None:
        """Bind and listen; port 0 picks a free port (read it back from ``port`` or ``url``)."""
        self._listener = Listener(
            self._new_pump, cap=self.settings.connection_cap, tls=self._ssl, backlog=512,
            # the TLS handshake gets the same time as the HTTP one that follows it
            tls_handshake_timeout=self.settings.handshake_timeout, name="ws server",
        )
        await self._listener.start(host, port)

    def _new_pump(self, slot: Slot) -> ConnectionPump:
        pump = ConnectionPump(self.settings, self, self.budget)
        self._slots[pump] = slot
        return pump

    @property
    def connections(self) -> list[ConnectionPump]:
        """Every connection with a live socket: in its handshake, open, or closing."""
        return list(self._pumps)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The bound (host, port) pairs, one per listening socket."""
        if self._listener is None:
            return []
        return [sock.getsockname()[:2] for sock in self._listener.sockets]

    @property
    def port(self) -> int:
        """The bound port of the first listening socket."""
        return self.addresses[0][1]

    @property
    def url(self) -> str:
        """``ws://host:port`` (``wss://`` with TLS) of the first listening socket."""
        host, port = self.addresses[0]
        return _url("wss" if self._ssl else "ws", host, port)

    @property
    def urls(self) -> list[str]:
        """One URL per listening socket."""
        return [_url("wss" if self._ssl else "ws", host, port) for host, port in self.addresses]

    async def shutdown(self, timeout: float | None = None) -> None:
        """Stop listening, send close 1001 to every peer, wait up to ``timeout`` for them, drop the rest.

        Args:
            timeout: Seconds to wait for the peers' closing handshakes; default ``settings.shutdown_timeout``.
        """
        self._stopping = True  # a connection accepted from here on is answered 503
        if self._listener is not None:
            self._listener.close()
        for pump in list(self._pumps):
            pump.going_away()
        wait = self.settings.shutdown_timeout if timeout is None else timeout
        try:
            await asyncio.wait_for(self._idle.wait(), wait)
        except asyncio.TimeoutError:
            for pump in list(self._pumps):
                pump.abort()
            await self._idle.wait()


def _url(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def make_ssl_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """Build a server TLS context from a PEM certificate chain (and key, unless it is in ``certfile``).

    Raises:
        OSError: A file cannot be read.
        ssl.SSLError: The files do not hold a matching certificate and key.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


async def serve(settings: WsSettings, host: str, port: int, tls: ssl.SSLContext | None = None,
                signals: Sequence[signal.Signals] = STOP_SIGNALS) -> int:
    """Run a server until one of ``signals`` arrives, then shut down cleanly.

    Prints one ``listening on ws://HOST:PORT`` line per listening socket on stdout, so a parent process
    that started it with port 0 can read the port.

    Returns:
        The process exit code: 0 after a clean shutdown, 1 when the address cannot be bound.
    """
    server = WsServer(settings, tls)
    try:
        await server.start(host, port)
    except OSError as exc:
        print(f"error: cannot listen on {_url('wss' if tls else 'ws', host, port)}: {exc}", file=sys.stderr)
        return 1
    for url in server.urls:
        print(f"listening on {url}", flush=True)
    await wait_for_stop_signal(signals)
    await server.shutdown()
    sys.stdout.flush()
    return 0
