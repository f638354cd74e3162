"""A hostile Socket.IO target cannot make the runner keep attachments without bound: a BINARY_EVENT whose
attachments keep coming (1 MiB binary messages, 16 of them, past the runner's 4 MiB per packet) fails its
case with the runner's limit, within the case's time. (The bound itself is the codec's, tested in
test_sio_codec.py; tracemalloc is not used here, it slows this run from about 2 s to over 20 s.)"""

from __future__ import annotations

import asyncio
import json

from aiohttp import WSMsgType, web

from conformance.model import Outcome
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from conformance.wire.sio import MAX_ATTACHMENT_BYTES

CHUNK = 2**20
CHUNKS = 16
OPEN = "0" + json.dumps({"sid": "s", "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000,
                         "maxPayload": 1000000})


async def flood(request: web.Request) -> web.StreamResponse:
    """A WebSocket-only Engine.IO session; CONNECT is answered, then an 'auth' event announcing 64
    attachments, and 16 MiB of them."""
    ws = web.WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)
    await ws.send_str(OPEN)
    async for msg in ws:
        if msg.type is not WSMsgType.TEXT or msg.data != "40":
            break
        await ws.send_str('40{"sid":"x"}')
        await ws.send_str('4564-["auth",{"_placeholder":true,"num":0}]')
        chunk = b"\0" * CHUNK
        try:
            for _ in range(CHUNKS):
                await ws.send_bytes(chunk)
        except ConnectionError:
            break
    return ws


def test_endless_attachments_fail_the_case_within_bounds() -> None:
    async def main() -> CaseResult:
        app = web.Application()
        app.router.add_get("/socket.io/", flood)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            cases = load().select(["sio/connection-to-a-namespace/main-namespace-ws"])
            results, _ = await run_cases(cases, parse_url(f"http://127.0.0.1:{port}/socket.io/", ALL_SCHEMES),
                                         RunSettings(jobs=1, timeout=15.0))
            return results[0]
        finally:
            await runner.cleanup()

    result = asyncio.run(main())
    assert result.outcome is Outcome.FAILED, (result.outcome, result.actual, result.error)
    assert f"attachments of more than {MAX_ATTACHMENT_BYTES} bytes" in result.actual
