"""``WsClient``, the asyncio adapter over ``WsClientConnection``, against scripted fake servers.

The raw client reports a failed handshake (``HandshakeFailed``) and does not judge it: the catalog's
``_steps.opened`` turns it into ``CaseFailed``, ``wirefuzz`` into a "handshake" finding.
"""

from __future__ import annotations

import asyncio

import pytest
from engine_fakes import fake_server, read_frame, server_frame

from conformance.catalog.ws import _steps
from conformance.model import CaseFailed
from conformance.wire.ws import MAX_HELD_REPLIES, HandshakeFailed, Phase, WsClient
from conformance.wire.wsframes import PING, PONG, TEXT, frame
from conformance.wire.wsrecv import Message
from conformance.wirefuzz.execute import execute, liveness
from conformance.wirefuzz.plan import Group, Plan

EXPECTED = ["101 switching protocols with a valid sec-websocket-accept"]


async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(5)


def test_open_reports_a_refused_handshake_without_judging_it() -> None:
    async def main() -> tuple[HandshakeFailed, WsClient]:
        async with fake_server(refuse, handshake=False) as endpoint:
            ws = WsClient(endpoint, deadline=asyncio.get_running_loop().time() + 2)
            try:
                with pytest.raises(HandshakeFailed) as info:
                    await ws.open()
            finally:
                ws.release()
            return info.value, ws

    exc, ws = asyncio.run(main())
    assert exc.expected == EXPECTED
    assert exc.actual.startswith("status 403 Forbidden; upgrade header None; connection header None; "
                                 "sec-websocket-accept None, expected ")
    assert str(exc).startswith("expected 101 switching protocols with a valid sec-websocket-accept; actual: "
                               "status 403 Forbidden")
    assert ws.phase is Phase.DONE
    assert ws.tcp_closed_by == "runner", "release() cut the connection"


def test_opened_turns_a_failed_handshake_into_the_case_failure() -> None:
    async def main() -> CaseFailed:
        async with fake_server(refuse, handshake=False) as endpoint:
            ws = WsClient(endpoint, deadline=asyncio.get_running_loop().time() + 2)
            try:
                with pytest.raises(CaseFailed) as info:
                    await _steps.opened(ws)
            finally:
                ws.release()
            return info.value

    failed = asyncio.run(main())
    assert failed.expected == tuple(EXPECTED)
    assert failed.actual.startswith("status 403 Forbidden")
    assert failed.axis == "behavior"


def test_wirefuzz_reports_a_failed_handshake_as_a_finding() -> None:
    async def main() -> tuple[str, str]:
        async with fake_server(refuse, handshake=False) as endpoint:
            verdict = await liveness(endpoint, timeout=1.0)
            return verdict.kind, verdict.detail

    kind, detail = asyncio.run(main())
    assert kind == "not-live"
    assert detail.startswith("handshake: no valid 101: expected 101 switching protocols")


def test_the_adapter_writes_the_automatic_pong_and_waits_on_the_stream() -> None:
    pongs: list[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(server_frame(PING, b"keepalive"))
        await writer.drain()
        op, data = await read_frame(reader)
        if op == PONG:
            pongs.append(data)
        writer.write(server_frame(TEXT, b"after the pong"))
        await writer.drain()
        await asyncio.sleep(5)

    async def main() -> WsClient:
        async with fake_server(script) as endpoint:
            ws = WsClient(endpoint, deadline=asyncio.get_running_loop().time() + 2)
            await ws.open()
            assert await ws.next_event(timeout=1) == Message.text("after the pong")
            ws.release()
            return ws

    ws = asyncio.run(main())
    assert pongs == [b"keepalive"]
    assert ws.events == [Message.text("after the pong")]


def test_a_wait_ends_at_the_deadline() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async def main() -> tuple[bool, float, str]:
        loop = asyncio.get_running_loop()
        async with fake_server(silent) as endpoint:
            ws = WsClient(endpoint, deadline=loop.time() + 0.5, reserve=0.25)
            await ws.open()
            start = loop.time()
            got = await ws.wait(lambda: bool(ws.events))
            ws.release()
            return got, loop.time() - start, ws.close_info().describe()

    got, waited, described = asyncio.run(main())
    assert got is False
    assert waited < 1.5, "the silent server would keep it waiting 5 s"
    assert described == "no close frame from the target, tcp closed by runner"


def test_plan_execution_still_judges_a_refused_handshake() -> None:
    plan = Plan((Group("one text", (frame(TEXT, b"x"),), (False, b"x")),))

    async def main() -> str:
        async with fake_server(refuse, handshake=False) as endpoint:
            return (await execute(plan, endpoint, timeout=1.0)).kind

    assert asyncio.run(main()) == "handshake"


CHOPPED = frame(TEXT, b"chopped text", mask_key=b"\x01\x02\x03\x04")


def _reader_of(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def test_the_automatic_pong_waits_for_the_end_of_a_chopped_frame() -> None:
    """A ping that arrives while a frame is written in chops with pauses is answered after the frame's
    last chop: a pong written at once would land inside the frame (the target would read its bytes as the
    frame's payload and header bits). Seen with a 1 s keepalive on Autobahn 2.11."""
    frames: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readexactly(3)  # the chopped frame is under way
        writer.write(server_frame(PING, b"mid-frame"))
        await writer.drain()
        rest = await reader.readexactly(len(CHOPPED) - 3)  # 2 header + 4 mask key + 12 payload octets
        frames.append(await read_frame(_reader_of(head + rest)))
        frames.append(await read_frame(reader))
        await asyncio.sleep(5)

    async def main() -> None:
        async with fake_server(script) as endpoint:
            ws = WsClient(endpoint, deadline=asyncio.get_running_loop().time() + 3)
            await ws.open()
            await ws.send(CHOPPED, chop=1, pause=0.02)
            for _ in range(50):
                if len(frames) == 2:
                    break
                await asyncio.sleep(0.02)
            ws.release()

    asyncio.run(main())
    assert frames == [(TEXT, b"chopped text"), (PONG, b"mid-frame")]


def test_a_ping_flood_during_a_chopped_frame_holds_at_most_the_latest_answers() -> None:
    """What is held back while a frame is chopped is bounded: of 100 pings, the last MAX_HELD_REPLIES are
    answered after the frame (RFC 6455 §5.5.3 lets an endpoint answer only the most recent ping)."""
    pongs: list[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readexactly(3)
        writer.write(b"".join(server_frame(PING, b"p%d" % i) for i in range(100)))
        await writer.drain()
        rest = await reader.readexactly(len(CHOPPED) - 3)
        assert await read_frame(_reader_of(head + rest)) == (TEXT, b"chopped text")
        while True:
            op, data = await read_frame(reader)
            if op == PONG:
                pongs.append(data)

    async def main() -> None:
        async with fake_server(script) as endpoint:
            ws = WsClient(endpoint, deadline=asyncio.get_running_loop().time() + 3)
            await ws.open()
            await ws.send(CHOPPED, chop=1, pause=0.02)
            for _ in range(50):
                if pongs and pongs[-1] == b"p99":
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)
            ws.release()

    asyncio.run(main())
    assert pongs == [b"p%d" % i for i in range(100 - MAX_HELD_REPLIES, 100)]


async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


def test_a_target_that_closes_before_the_request_is_a_failed_handshake() -> None:
    """A server at its connection cap may accept and close at once; when the close is read before the
    opening request goes out, ``open`` reports a failed handshake (it raised a RuntimeError from the
    connection's transition table before: 'cannot send the opening request in phase DONE')."""
    async def main() -> HandshakeFailed:
        async with fake_server(close_at_once, handshake=False) as endpoint:
            ws = WsClient(endpoint, deadline=asyncio.get_running_loop().time() + 2)
            try:
                await ws.connect()
                await ws.wait(lambda: ws.conn.phase is Phase.DONE)
                assert ws.conn.phase is Phase.DONE
                with pytest.raises(HandshakeFailed) as info:
                    await ws.open()
                return info.value
            finally:
                ws.release()
    failure = asyncio.run(main())
    assert failure.actual.startswith("no response head")
