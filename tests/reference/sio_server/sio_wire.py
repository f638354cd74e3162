"""Raw Socket.IO over the reference server's two transports, for the server tests (no third-party client).

``WsPeer``: a WebSocket session (``websockets``), one Engine.IO packet per frame. ``PollPeer``: a polling
session (raw HTTP via ``eio_client``), packets batched with ``\\x1e`` and binary as ``b<base64>``. Both
answer pings, and ``recv`` gives the next Socket.IO-level message: ``str`` (the packet text without the
Engine.IO ``4``) or ``bytes`` (an attachment).
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eio"))

from eio_client import get, http, post
from websockets.asyncio.client import ClientConnection, connect

from reference.servers.sio import SioServer


class WsPeer:
    """A Socket.IO client on a WebSocket session."""

    def __init__(self, ws: ClientConnection, opened: dict[str, Any]) -> None:
        self.ws = ws
        self.opened = opened

    @classmethod
    async def open(cls, server: SioServer) -> WsPeer:
        url = f"ws://127.0.0.1:{server.port}{server.settings.path}?EIO=4&transport=websocket"
        ws = await connect(url, compression=None, ping_interval=None)
        first = await ws.recv()
        assert isinstance(first, str), first
        assert first.startswith("0"), first
        return cls(ws, json.loads(first[1:]))

    async def send(self, packet: str | bytes) -> None:
        await self.ws.send(packet if isinstance(packet, bytes) else "4" + packet)

    async def recv(self, timeout: float = 5.0) -> str | bytes:
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), timeout)
            if isinstance(frame, bytes):
                return frame
            if frame == "2":
                await self.ws.send("3")
                continue
            assert frame.startswith("4"), frame
            return frame[1:]

    async def silent(self, seconds: float = 0.3) -> bool:
        """True if nothing but pings arrives for ``seconds``."""
        try:
            got = await self.recv(seconds)
        except asyncio.TimeoutError:
            return True
        raise AssertionError(f"unexpected {got!r}")

    async def drop(self) -> None:
        """Vanish without a Close (the transport dropped)."""
        self.ws.transport.abort()

    async def close(self) -> None:
        await self.ws.close()


class PollPeer:
    """A Socket.IO client on a polling session."""

    def __init__(self, server: SioServer, sid: str) -> None:
        self.server = server
        self.sid = sid
        self._inbox: list[str | bytes] = []

    @classmethod
    async def open(cls, server: SioServer) -> PollPeer:
        status, _, body = await http(server, "GET", "EIO=4&transport=polling")
        assert (status, body[:1]) == (200, b"0"), body
        return cls(server, json.loads(body[1:])["sid"])

    async def send(self, *packets: str | bytes) -> None:
        """POST these messages as one payload."""
        parts = ["b" + base64.b64encode(p).decode() if isinstance(p, bytes) else "4" + p for p in packets]
        assert await post(self.server, self.sid, "\x1e".join(parts).encode()) == (200, b"ok")

    async def recv(self, timeout: float = 5.0) -> str | bytes:
        while not self._inbox:
            status, body = await asyncio.wait_for(get(self.server, self.sid), timeout)
            assert status == 200, body
            for part in body.decode().split("\x1e"):
                if part == "2":
                    assert await post(self.server, self.sid, b"3") == (200, b"ok")
                elif part.startswith("b"):
                    self._inbox.append(base64.b64decode(part[1:]))
                elif part != "6":
                    assert part.startswith("4"), part
                    self._inbox.append(part[1:])
        return self._inbox.pop(0)


Peer = WsPeer | PollPeer


async def connect_nsp(peer: Peer, nsp: str = "/", auth: dict[str, Any] | None = None) -> dict[str, Any]:
    """CONNECT to ``nsp``; the CONNECT answer's payload (the ``auth`` event that follows is checked)."""
    prefix = "" if nsp == "/" else nsp + ","
    await peer.send("0" + prefix + ("" if auth is None else json.dumps(auth)))
    answer = await peer.recv()
    assert isinstance(answer, str), answer
    assert answer.startswith("0" + prefix), answer
    payload: dict[str, Any] = json.loads(answer[1 + len(prefix):])
    event = await peer.recv()
    assert isinstance(event, str), event
    assert event.startswith("2" + prefix), event
    args = json.loads(event[1 + len(prefix):])
    assert args[:2] == ["auth", auth or {}], args
    return payload
