"""Issue 12: the SSE and long-polling servers charge every connection's write buffer to one server-wide
memory budget; past it, a connection holding more than 64 KiB is dropped instead of written to, and what
the dropped connections held leaves the ledger."""

from __future__ import annotations

import asyncio
import socket

from http_server_harness import publish, run, send, serving, subscribe

from reference.servers.memory_budget import FREE_PER_CONNECTION
from reference.servers.poll import PollServer, PollSettings
from reference.servers.sse import SseServer, SseSettings

EVENT = 200_000


async def _until(condition: object, seconds: float = 5.0) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.02)
    return bool(condition())  # type: ignore[operator]


def test_sse_streams_that_do_not_read_are_dropped_past_the_budget() -> None:
    async def main() -> None:
        limit = 300_000
        settings = SseSettings(memory_budget=limit, send_timeout=30, write_high_water=4096,
                               max_publish_size=1 << 20)
        async with serving(SseServer(settings)) as server:
            stalled = []
            for _ in range(3):
                sub = await subscribe(server, rcvbuf=4096)
                sub.exchange.pause_reading()
                stalled.append(sub)
            for i in range(40):  # 8 MB each: more than the kernel holds, so the write buffers grow
                assert await publish(server, f"{i:03d}" + "x" * EVENT) == 200
            assert await _until(lambda: server.budget.refusals >= 1)
            assert server.budget.peak <= limit + 3 * (FREE_PER_CONNECTION + EVENT)
            for sub in stalled:
                sub.exchange.close()
            assert await _until(lambda: server.connections == 0)
            assert server.budget.held == 0

    run(main, timeout=20)


def test_unread_poll_answers_are_dropped_past_the_budget() -> None:
    async def main() -> None:
        limit = 8_000_000
        settings = PollSettings(memory_budget=limit, send_timeout=30, max_publish_size=4 << 20,
                                max_answer_size=1)  # one message per answer: 6 MB of JSON
        async with serving(PollServer(settings)) as server:
            for _ in range(4):  # 6 MB of JSON each ("\x01" is escaped as \u0001)
                assert await publish(server, "\x01" * (1 << 20)) == 200
            pollers = []
            for _ in range(6):
                sock = socket.socket()
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.connect(("127.0.0.1", server.port))
                sock.sendall(b"GET /poll?cursor=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                pollers.append(sock)
            try:
                assert await _until(lambda: server.budget.refusals >= 1)
                assert server.budget.peak <= limit
                assert server.connections < 6
            finally:
                for sock in pollers:
                    sock.close()
            assert await _until(lambda: server.connections == 0)
            assert server.budget.held == 0
            ex = await send(server, "GET", "/poll?cursor=0")  # the server still answers
            assert await ex.wait_done(5.0)
            assert ex.response is not None
            assert ex.response.status == 200

    run(main, timeout=20)
