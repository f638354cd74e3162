"""Every Socket.IO case runs over both Engine.IO transports (SIO-6): :func:`both` declares one case per
transport from one body, ``<slug>-ws`` (a WebSocket-only session, as the protocol test suite runs) and
``<slug>-polling`` (HTTP long-polling: packets batched with ``\\x1e``, attachments as base64 packets)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conformance.catalog.sio.context import SioContext
from conformance.model import Group, Level, Verdict

__all__ = ["SUFFIX", "both"]

#: transport -> the slug suffix of its case
SUFFIX = {"websocket": "ws", "polling": "polling"}

Body = Callable[[SioContext, str], Awaitable[Verdict]]


def both(g: Group, slug: str, *, level: Level, origin: str, desc: str, requirement: str, quote: str,
         timeout: float | None = None, exclusive: bool = False) -> Callable[[Body], Body]:
    """Declare ``body(ctx, transport)`` as two cases of ``g``, one per transport; the polling one's origin
    adds ``(polling, SIO-6)``."""

    def register(body: Body) -> Body:
        for transport, suffix in SUFFIX.items():
            def run(ctx: SioContext, transport: str = transport) -> Awaitable[Verdict]:
                return body(ctx, transport)

            shown = origin if transport == "websocket" else f"{origin} (polling, SIO-6)"
            g.case(f"{slug}-{suffix}", level=level, origin=shown, desc=f"{desc} ({transport})",
                   requirement=requirement, quote=quote, timeout=timeout, exclusive=exclusive)(run)
        return body

    return register
