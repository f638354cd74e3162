"""A hostile Engine.IO target cannot make the runner read without bound: a 20 MiB polling answer and a
20 MiB WebSocket message each fail their case with a clear reason, within the case's time, and the probe
says "not Engine.IO" for them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import tracemalloc

from conformance.catalog.eio import probe
from conformance.model import Outcome
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url

HUGE = 20 * 2**20
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


async def hostile(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An open packet of 20 MiB to every GET; a 20 MiB text frame to every WebSocket."""
    head = await reader.readuntil(b"\r\n\r\n")
    key = next((line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")), None)
    if key is None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n0" % (HUGE + 1))
        body = b"x" * HUGE
    else:
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        writer.write(b"\x81\x7f" + HUGE.to_bytes(8, "big"))  # FIN text frame, 64-bit length
        body = b"0" * HUGE
    for i in range(0, len(body), 2**16):
        writer.write(body[i:i + 2**16])
        try:
            await writer.drain()
        except ConnectionError:
            return
    writer.close()


def test_huge_answers_fail_their_cases_within_bounds() -> None:
    async def main() -> tuple[list[CaseResult], bool, int]:
        server = await asyncio.start_server(hostile, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        endpoint = parse_url(f"http://127.0.0.1:{port}/engine.io/", ALL_SCHEMES)
        tracemalloc.start()
        try:
            cases = load().select(["eio/handshake/polling-open-packet",
                                   "eio/handshake/websocket-open-packet"])
            results, _ = await run_cases(cases, endpoint, RunSettings(jobs=2, timeout=20.0))
            recognised = await probe(endpoint)
            return results, recognised, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            server.close()

    results, recognised, peak = asyncio.run(main())
    for result in results:
        assert result.outcome is Outcome.FAILED, (result.id, result.outcome, result.actual, result.error)
    polling, websocket = (r.actual for r in results)
    assert f"{HUGE + 1} bytes" in polling
    assert f"{HUGE} bytes of payload, over the runner's limit" in websocket, websocket
    assert not recognised
    assert peak < 64 * 2**20, peak
