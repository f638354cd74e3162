"""Lost and duplicated messages are counted as such: a deliberately broken SSE server drops one event for
one subscriber and sends another twice to another; the run's counts say exactly that."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from conformance.compare.impairment import Impairment
from conformance.compare.runner import run_protocol
from conformance.compare.tally import Tally, key_of, payload
from conformance.compare.workload import Server, Workload

DROP = (0, 3)  # subscriber 0 never gets the 3rd publish
REPEAT = (1, 5)  # subscriber 1 gets the 5th publish twice


async def _broken_sse_server() -> asyncio.Server:
    streams: list[asyncio.StreamWriter] = []
    count = {"n": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                 b"Cache-Control: no-cache\r\n\r\n: hello\n\n")
                    streams.append(writer)
                    return
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                count["n"] += 1
                for i, stream in enumerate(streams):
                    if (i, count["n"]) == DROP:
                        continue
                    times = 2 if (i, count["n"]) == REPEAT else 1
                    stream.write(b"".join(b"data: " + body + b"\n\n" for _ in range(times)))
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_run_counts_the_lost_and_the_duplicated_message() -> None:
    async def main() -> dict[str, Any]:
        server = await _broken_sse_server()
        port = server.sockets[0].getsockname()[1]
        target = Server("sse", f"http://127.0.0.1:{port}/events", f"http://127.0.0.1:{port}/publish")
        result = await run_protocol(target, Workload(rate=20, subscribers=2, duration=0.5), Impairment())
        server.close()
        return result

    result = asyncio.run(main())
    messages = result["messages"]
    assert messages["published"] == 10
    assert (messages["expected"], messages["delivered"]) == (20, 19)
    assert (messages["lost"], messages["duplicated"], messages["unexpected"]) == (1, 1, 0)
    assert result["status"] == "ok"


def test_tally_counts_per_subscriber_across_reconnects() -> None:
    tally = Tally()
    tally.subscribe("a", fanout=True)
    tally.subscribe("b", fanout=True)
    tally.subscribe("w", fanout=False)
    for i in range(3):
        tally.published(f"p.{i}", 1.0 + i)
    tally.published("w/1", 1.0, by="w")
    for key in ("p.0", "p.1", "p.2", "p.1"):  # "a" got p.1 again after a reconnect
        tally.received("a", key, 5.0)
    tally.received("b", "p.0", 5.0)
    tally.received("b", "nobody.9", 5.0)
    tally.received("b", "w/1", 5.0)  # someone else's echo
    assert (tally.expected(), tally.duplicates, tally.unexpected, tally.misrouted) == (7, 1, 1, 1)
    assert (tally.delivered(), tally.lost()) == (4, 3)
    assert tally.latencies() == [2.0, 3.0, 4.0, 4.0]
    assert tally.recovery_after(2.5) is None  # "b" and "w" never got a message published after 2.5


def test_payload_carries_its_key() -> None:
    data = payload("s3/17", 64)
    assert len(data) == 64
    assert key_of(data) == "s3/17"
    assert key_of(data.decode()) == "s3/17"
    assert key_of(b"no-key-here") == ""


@pytest.mark.slow
def test_poll_resumes_with_its_cursor_across_resets() -> None:
    from conformance.compare.impairment import parse_impairment
    from conformance.targets.process import ReferenceTarget

    async def main() -> dict[str, Any]:
        target = ReferenceTarget(["poll"])
        await target.start()
        assert target.url is not None
        publish = target.url.rsplit("/", 1)[0] + "/publish"
        try:
            workload = Workload(subscribers=2, duration=2.0)
            return await run_protocol(Server("poll", target.url, publish), workload,
                                      parse_impairment("rtt=10ms,reset=0.7s"))
        finally:
            await target.stop()

    result = asyncio.run(main())
    messages, rec = result["messages"], result["reconnections"]
    assert rec["resets_by_network"] >= 4  # two subscribers, at least two resets in the window
    assert rec["count"] >= 4
    assert 0.25 <= rec["recover_s_median"] < 2.0  # the reconnect delay, then a new connection and poll
    assert (messages["lost"], messages["duplicated"]) == (0, 0), result
    assert messages["delivered"] == messages["expected"] == 80


def test_compare_cli_runs_a_users_server_and_reports_its_loss(tmp_path: Path) -> None:
    import json
    import threading

    from conformance.cli import main

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(_broken_sse_server())
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        code = main(["compare", "--protocol", "sse", "--url", f"sse=http://127.0.0.1:{port}/events",
                     "--network", "none", "--subscribers", "2", "--duration", "0.5", "--out", str(tmp_path),
                     "--quiet"])
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    doc = json.loads((tmp_path / "compare.json").read_text())
    sse = doc["protocols"]["sse"]
    assert code == 0
    assert list(doc["protocols"]) == ["sse"]
    assert (sse["server_kind"], sse["server"], sse["publish_url"]) == ("user", None,
                                                                       f"http://127.0.0.1:{port}/publish")
    assert (sse["messages"]["lost"], sse["messages"]["duplicated"]) == (1, 1)
    assert "SSE lost 1 and duplicated 1 of 20 expected deliveries, over 0 reconnections." in doc["findings"]
