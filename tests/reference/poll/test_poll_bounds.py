"""Issue 11.6: a poll answer is bounded in bytes, a poller that never reads is dropped after the send
timeout, and the history is bounded in bytes as well as in events."""

from __future__ import annotations

import asyncio
import json
import socket
import sys

from http_server_harness import fetch, publish, run, serving

from reference.core.poll import encode_answer
from reference.core.sse.history import History, StoredEvent
from reference.servers.poll import PollServer, PollSettings
from reference.servers.sse import SseServer, SseSettings


def _answer(body: bytes) -> tuple[int, list[str]]:
    obj = json.loads(body)
    return obj["cursor"], [m["data"] for m in obj["messages"]]


def test_answer_is_bounded_in_bytes_but_always_carries_one_message() -> None:
    async def main() -> None:
        settings = PollSettings(hold_timeout=0.2, max_answer_size=50_000)
        async with serving(PollServer(settings)) as server:
            for data in ("a" * 20_000, "b" * 20_000, "c" * 20_000, "\x01" * 20_000, "d"):
                assert await publish(server, data) == 200
            status, _, body = await fetch(server, "GET", "/poll?cursor=0")
            assert status == 200
            assert len(body) <= 50_000
            assert _answer(body) == (2, ["a" * 20_000, "b" * 20_000])
            _, _, body = await fetch(server, "GET", "/poll?cursor=2")
            assert _answer(body) == (3, ["c" * 20_000])
            _, _, body = await fetch(server, "GET", "/poll?cursor=3")  # 120 kB once escaped: alone
            assert len(body) > 120_000
            assert _answer(body) == (4, ["\x01" * 20_000])
            _, _, body = await fetch(server, "GET", "/poll?cursor=4")
            assert _answer(body) == (5, ["d"])

    run(main)


def test_encode_answer_bound_keeps_the_cursor_of_the_last_message_sent() -> None:
    events = [StoredEvent(i, "x" * 100) for i in range(1, 6)]
    whole = encode_answer(0, events)
    assert encode_answer(0, events, max_size=len(whole)) == whole
    cut = json.loads(encode_answer(0, events, max_size=len(whole) - 1))
    assert (cut["cursor"], len(cut["messages"])) == (4, 4)
    assert json.loads(encode_answer(0, events, max_size=1))["cursor"] == 1


def test_a_poller_that_never_reads_is_dropped_after_the_send_timeout() -> None:
    async def main() -> None:
        settings = PollSettings(send_timeout=0.3, max_publish_size=4 << 20, max_answer_size=64 << 20)
        async with serving(PollServer(settings)) as server:
            for _ in range(8):
                assert await publish(server, "\x01" * (1 << 20)) == 200  # 6 MiB each in JSON
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            await loop.sock_connect(sock, ("127.0.0.1", server.port))
            await loop.sock_sendall(sock, b"GET /poll?cursor=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try:
                await asyncio.sleep(0.1)
                assert server.connections == 1
                for _ in range(100):  # never read: the answer cannot be written
                    if server.connections == 0:
                        break
                    await asyncio.sleep(0.02)
                assert server.connections == 0, "the answer pins its handler"
            finally:
                sock.close()

    run(main)


def test_history_is_bounded_in_bytes() -> None:
    history = History(1000, max_bytes=10 * sys.getsizeof("x" * 1000))
    for i in range(50):
        history.append(f"{i:04}" + "x" * 996)
    assert len(history) == 10
    assert [e.seq for e in history.after(0)] == list(range(41, 51))
    assert history.size_bytes <= 10 * sys.getsizeof("x" * 1000)
    history.append("y" * 100_000)  # larger than the bound: kept alone, the newest is never dropped
    assert [e.seq for e in history.after(0)] == [51]


def test_sse_replay_is_bounded_by_history_bytes() -> None:
    async def main() -> None:
        settings = SseSettings(history_bytes=3 * sys.getsizeof("x" * 10_000))
        async with serving(SseServer(settings)) as server:
            for i in range(6):
                assert await publish(server, f"{i}" + "x" * 9_999) == 200
            assert [e.seq for e in server.hub.history.after(0)] == [4, 5, 6]

    run(main)
