"""The reference long-polling server over real sockets: held polls, timeouts, batching, duplicate polls,
errors, shutdown; and both new CLI subcommands as processes (SIGTERM exits 0)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import urllib.request

import pytest
from http_server_harness import fetch, publish, run, send, serving

from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from reference.servers.poll import PollServer, PollSettings


def answer(body: bytes) -> tuple[int, list[str]]:
    obj = json.loads(body)
    return obj["cursor"], [m["data"] for m in obj["messages"]]


def test_poll_is_held_until_a_publish() -> None:
    async def main() -> None:
        async with serving(PollServer(PollSettings(hold_timeout=5))) as server:
            await publish(server, "a")
            ex = await send(server, "GET", "/poll?cursor=1")
            assert not await ex.wait_done(0.2)
            await publish(server, "b")
            assert await ex.wait_done(2)
            assert ex.response is not None
            assert ex.response.header("cache-control") == "no-store"
            assert answer(ex.body) == (2, ["b"])

    run(main)


def test_timeout_batches_and_cursor_rules() -> None:
    async def main() -> None:
        async with serving(PollServer(PollSettings(hold_timeout=0.2, max_batch=2))) as server:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            status, _, body = await fetch(server, "GET", "/poll?cursor=0")
            assert (status, answer(body)) == (200, (0, []))
            assert loop.time() - t0 >= 0.2
            for data in "xyz":
                await publish(server, data)
            assert answer((await fetch(server, "GET", "/poll?cursor=0&t=1"))[2]) == (2, ["x", "y"])
            assert answer((await fetch(server, "GET", "/poll?cursor=2"))[2]) == (3, ["z"])
            assert answer((await fetch(server, "GET", "/poll"))[2]) == (3, [])  # no cursor: from the newest
            status, _, body = await fetch(server, "GET", "/poll?cursor=-1")
            assert (status, body) == (400, b"cursor must be digits, not '-1'\n")
            long = "1" * 31  # issue 11.12: digits, only too many of them
            status, _, body = await fetch(server, "GET", f"/poll?cursor={long}")
            assert (status, body) == (400, f"cursor must be at most 18 digits, not '{long}'\n".encode())
            assert (await fetch(server, "POST", "/poll"))[0] == 405
            assert (await fetch(server, "GET", "/else"))[0] == 404
            assert (await fetch(server, "OPTIONS", "/poll"))[0] == 204

    run(main)


def test_a_second_poll_of_the_same_client_releases_the_first() -> None:
    async def main() -> None:
        async with serving(PollServer(PollSettings(hold_timeout=5))) as server:
            first = await send(server, "GET", "/poll?cursor=0&client=c1")
            other = await send(server, "GET", "/poll?cursor=0&client=c2")
            assert not await first.wait_done(0.1)
            second = await send(server, "GET", "/poll?cursor=0&client=c1")
            assert await first.wait_done(1)
            assert answer(first.body) == (0, [])
            assert not second.done
            assert not other.done
            await publish(server, "m")
            assert await second.wait_done(1)
            assert await other.wait_done(1)

    run(main)


def test_shutdown_answers_held_polls() -> None:
    async def main() -> None:
        server = PollServer(PollSettings(hold_timeout=30, shutdown_timeout=1))
        await server.start("127.0.0.1", 0)
        held = await send(server, "GET", "/poll?cursor=0")
        await asyncio.sleep(0.05)
        await server.shutdown()
        assert await held.wait_done(1)
        assert answer(held.body) == (0, [])

    run(main)


def test_a_client_leaving_a_held_poll_frees_it() -> None:
    async def main() -> None:
        async with serving(PollServer(PollSettings(hold_timeout=30))) as server:
            held = await send(server, "GET", "/poll?cursor=0")
            await asyncio.sleep(0.05)
            assert server.connections == 1
            held.close()
            for _ in range(50):
                if server.connections == 0:
                    break
                await asyncio.sleep(0.02)
            assert server.connections == 0

    run(main)


@pytest.mark.parametrize(("argv", "path"), [(["sse", "--heartbeat-interval", "0.2"], "/events"),
                                            (["poll", "--hold-timeout", "0.2"], "/poll")])
def test_cli_serves_and_exits_0_on_sigterm(argv: list[str], path: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "reference.servers", *argv, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)(/\w+)\n", proc.stdout.readline())
        assert match is not None
        assert match[2] == path
        request = urllib.request.Request(match[1] + "/publish", data=b"hi", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read()) == {"id": "1"}
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_cli_rejects_bad_options_with_one_line() -> None:
    done = subprocess.run([sys.executable, "-m", "reference.servers", "poll", "--hold-timeout", "0"],
                          capture_output=True, text=True, timeout=10, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("must be greater than 0, got '0'")


def test_held_polls_time_out_one_after_another_on_one_kept_alive_connection() -> None:
    """After a held poll, the read that watched for the peer leaving is finished before the next request is
    read (on Python 3.12 the second poll on the connection used to end in a RuntimeError and a reset)."""

    async def main() -> None:
        async with serving(PollServer(PollSettings(hold_timeout=0.1))) as server:
            endpoint = parse_url(server.url, ALL_SCHEMES)
            reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
            try:
                for _ in range(3):
                    writer.write(b"GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                    assert head.startswith(b"HTTP/1.1 200 "), head
                    length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
                    assert answer(await reader.readexactly(length))[1] == []
            finally:
                writer.close()

    run(main)
