"""The reference Engine.IO server (reference/servers/eio.py) over real sockets, in the test's event loop.

The official engine.io-protocol test suite's checks, with its settings (pingInterval 300 ms, pingTimeout
200 ms), plus the gaps: unknown sid, EIO=3, maxPayload, CORS allow-list.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from eio_client import closed, get, http, open_polling, post, websocket
from http_server_harness import run, serving
from websockets.exceptions import InvalidStatus

from reference.core.eio.handshake import EioConfig
from reference.servers.eio import EioServer, EioSettings, SessionHandle

SUITE = EioSettings(config=EioConfig(ping_interval=300, ping_timeout=200))


def test_polling_handshake_announces_the_settings() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            status, headers, body = await http(server, "GET", "EIO=4&transport=polling")
            assert status == 200
            opened = json.loads(body[1:])
            assert set(opened) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
            assert (opened["upgrades"], opened["pingInterval"], opened["pingTimeout"], opened["maxPayload"]) \
                == (["websocket"], 300, 200, 1_000_000)
            assert headers["access-control-allow-origin"] == "*"

    run(main)


@pytest.mark.parametrize(("method", "query", "status", "code"), [
    ("GET", "transport=polling", 400, 5),
    ("GET", "EIO=abc&transport=polling", 400, 5),
    ("GET", "EIO=3&transport=polling", 400, 5),
    ("GET", "EIO=4", 400, 0),
    ("GET", "EIO=4&transport=abc", 400, 0),
    ("POST", "EIO=4&transport=polling", 400, 2),
    ("PUT", "EIO=4&transport=polling", 400, 2),
    ("GET", "EIO=4&transport=websocket", 400, 3),  # websocket without an upgrade
    ("GET", "EIO=4&transport=polling&sid=unknown", 400, 1),
    ("POST", "EIO=4&transport=polling&sid=unknown", 400, 1),
])
def test_bad_requests_get_400_with_the_reference_error_code(method: str, query: str, status: int,
                                                            code: int) -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            got, headers, body = await http(server, method, query)
            assert (got, headers["content-type"]) == (status, "application/json")
            assert json.loads(body)["code"] == code

    run(main)


def test_polling_echo_batches_text_and_binary() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            assert await post(server, sid, b"4hello") == (200, b"ok")
            assert await get(server, sid) == (200, b"4hello")
            assert await post(server, sid, b"4test1\x1e4test2\x1ebAQIDBA==") == (200, b"ok")
            assert await get(server, sid) == (200, b"4test1\x1e4test2\x1ebAQIDBA==")

    run(main)


def test_held_get_is_answered_by_a_later_post() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            held = asyncio.ensure_future(get(server, sid))
            await asyncio.sleep(0.05)
            assert not held.done()  # EIO-7: the GET is held, not answered empty
            assert await post(server, sid, "4€".encode()) == (200, b"ok")
            assert await held == (200, "4€".encode())

    run(main)


def test_invalid_payload_gets_400_and_closes_the_session() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            status, _ = await post(server, sid, b"abc")
            assert status == 400
            assert (await get(server, sid))[0] == 400
            assert not server.sessions

    run(main)


def test_duplicate_get_closes_the_session() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            first = asyncio.ensure_future(get(server, sid))
            await asyncio.sleep(0.05)
            second = await get(server, sid)
            assert await first == (200, b"1")
            assert second[0] == 400
            assert (await get(server, sid))[0] == 400

    run(main)


def test_client_close_ends_the_held_get_with_noop() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            held = asyncio.ensure_future(get(server, sid))
            await asyncio.sleep(0.05)
            assert await post(server, sid, b"1") == (200, b"ok")
            assert await held == (200, b"6")
            assert (await get(server, sid))[0] == 400

    run(main)


def test_polling_heartbeat_and_ping_timeout() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            loop = asyncio.get_running_loop()
            start = loop.time()
            for _ in range(3):
                assert await get(server, sid) == (200, b"2")
                assert await post(server, sid, b"3") == (200, b"ok")
            assert loop.time() - start >= 0.85  # three pings, 300 ms apart at least
            await asyncio.sleep(0.6)  # no pong after the next ping: closed 200 ms after it
            assert (await get(server, sid))[0] == 400

    run(main)


def test_post_over_max_payload_gets_413_and_the_session_stays() -> None:
    async def main() -> None:
        settings = EioSettings(config=EioConfig(max_payload=1000))
        async with serving(EioServer(settings)) as server:
            sid = await open_polling(server)
            status, _ = await post(server, sid, b"4" + b"x" * 1000)
            assert status == 413
            assert await post(server, sid, b"4" + b"x" * 999) == (200, b"ok")

    run(main)


def test_websocket_session_echoes_text_and_binary_and_closes_on_bad_packet() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            async with websocket(server) as ws:
                opened = json.loads(str(await ws.recv())[1:])
                assert opened["upgrades"] == []
                await ws.send("4hello")
                assert await ws.recv() == "4hello"
                await ws.send(b"\x01\x02\x03\x04")
                assert await ws.recv() == b"\x01\x02\x03\x04"
                await ws.send("abc")
                assert await closed(ws)
                assert ws.close_code == 1002
            async with websocket(server) as ws:
                await ws.recv()
                await ws.send("1")
                assert await closed(ws)

    run(main)


def test_websocket_heartbeat_and_ping_timeout() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            async with websocket(server) as ws:
                await ws.recv()
                for _ in range(3):
                    assert await asyncio.wait_for(ws.recv(), 2) == "2"
                    await ws.send("3")
            async with websocket(server) as ws:
                await ws.recv()
                assert await ws.recv() == "2"
                assert await closed(ws, 2.0)  # no pong
            assert not server.sessions

    run(main)


def test_websocket_message_over_max_payload_closes_with_1009() -> None:
    async def main() -> None:
        async with serving(EioServer(EioSettings(config=EioConfig(max_payload=1000)))) as server, \
                websocket(server) as ws:
            await ws.recv()
            await ws.send("4" + "x" * 1000)
            assert await closed(ws)
            assert ws.close_code == 1009

    run(main)


def test_upgrade_from_polling_to_websocket() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            async with websocket(server, f"EIO=4&transport=websocket&sid={sid}") as ws:
                await ws.send("2probe")
                assert await ws.recv() == "3probe"
                assert await get(server, sid) == (200, b"6")  # a GET during the upgrade: noop at once
                await ws.send("5")
                await ws.send("4hello")
                assert await ws.recv() == "4hello"
                assert (await get(server, sid))[0] == 400  # polling is over for this session
                # README: a second WebSocket for the session: "the server MUST close the WebSocket connection"
                async with websocket(server, f"EIO=4&transport=websocket&sid={sid}") as second:
                    assert await closed(second)
                    assert second.close_code == 1008
                await ws.send("4still")
                assert await ws.recv() == "4still"

    run(main)


def test_upgrade_noop_ends_a_get_held_before_the_probe() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            held = asyncio.ensure_future(get(server, sid))
            async with websocket(server, f"EIO=4&transport=websocket&sid={sid}") as ws:
                await ws.send("2probe")
                assert await ws.recv() == "3probe"
                assert await held == (200, b"6")
                await ws.send("5")

    run(main)


def test_bad_probe_closes_the_probe_and_the_session_stays_on_polling() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            async with websocket(server, f"EIO=4&transport=websocket&sid={sid}") as ws:
                await ws.send("4hello")
                assert await closed(ws)
            assert await post(server, sid, b"4x") == (200, b"ok")
            assert await get(server, sid) == (200, b"4x")

    run(main)


def test_cors_allow_list() -> None:
    async def main() -> None:
        settings = EioSettings(origins=("http://good.example",))
        async with serving(EioServer(settings)) as server:
            query = "EIO=4&transport=polling"
            status, headers, _ = await http(server, "GET", query, headers=(("Origin", "http://good.example"),))
            assert status == 200
            assert headers["access-control-allow-origin"] == "http://good.example"
            assert headers["access-control-allow-credentials"] == "true"
            status, _, body = await http(server, "GET", query, headers=(("Origin", "http://evil.example"),))
            assert (status, json.loads(body)) == (403, {"code": 4, "message": "Forbidden"})
            status, headers, _ = await http(server, "OPTIONS", query, headers=(
                ("Origin", "http://good.example"), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type")))
            assert status == 204
            assert "POST" in headers["access-control-allow-methods"]
            assert headers["access-control-allow-headers"] == "content-type"
            with pytest.raises(InvalidStatus):
                async with websocket(server, origin="http://evil.example"):  # type: ignore[arg-type]
                    pass

    run(main)


def test_missing_query_is_400_and_shutdown_answers_held_gets() -> None:
    async def main() -> None:
        server = EioServer(SUITE)
        await server.start("127.0.0.1", 0)
        status, _, _ = await http(server, "GET", "")
        assert status == 400
        sid = await open_polling(server)
        held = asyncio.ensure_future(get(server, sid))
        await asyncio.sleep(0.05)
        await server.shutdown()
        assert await held == (200, b"1")
        assert not server.sessions

    run(main)


def test_second_active_post_gets_400_and_closes_the_session() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(f"POST {server.settings.path}?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
                         f"Host: x\r\nContent-Length: 6\r\n\r\n4he".encode())  # the body is not complete
            await writer.drain()
            await asyncio.sleep(0.05)
            status, _, body = await http(server, "POST", f"EIO=4&transport=polling&sid={sid}", b"4x")
            assert (status, json.loads(body)["code"]) == (400, 3)
            writer.write(b"llo")
            answer = await reader.read(65536)
            assert answer.startswith(b"HTTP/1.1 400 "), answer  # the session is gone
            writer.close()
            assert (await get(server, sid))[0] == 400

    run(main)


def test_sequential_posts_on_one_connection_are_not_duplicates() -> None:
    async def main() -> None:
        async with serving(EioServer(SUITE)) as server:
            sid = await open_polling(server)
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            request = (f"POST {server.settings.path}?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
                       f"Host: x\r\nContent-Length: 2\r\n\r\n4a").encode()
            for _ in range(3):
                writer.write(request)
                answer = await reader.readuntil(b"ok")
                assert answer.startswith(b"HTTP/1.1 200 "), answer
            writer.close()
            assert await get(server, sid) == (200, b"4a\x1e4a\x1e4a")

    run(main)


def test_handshake_past_max_sessions_gets_503() -> None:
    async def main() -> None:
        async with serving(EioServer(EioSettings(max_sessions=1))) as server:
            await open_polling(server)
            status, _, _ = await http(server, "GET", "EIO=4&transport=polling")
            assert status == 503

    run(main)


class _RecordingApp:
    """An application as the Socket.IO layer will be one: it sees opens, messages and closes, and sends."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, object]] = []

    def on_open(self, session: SessionHandle) -> None:
        self.log.append(("open", session.sid, None))
        session.send("welcome")

    def on_message(self, session: SessionHandle, data: str | bytes) -> None:
        self.log.append(("message", session.sid, data))
        if data == "bye":
            session.close("asked to")
        else:
            session.send(data.upper() if isinstance(data, str) else data[::-1])
            session.send("and again")

    def on_close(self, session: SessionHandle, reason: str) -> None:
        self.log.append(("close", session.sid, reason))
        assert not session.is_open
        session.send("ignored")  # nothing is sent once the session is closed


def test_application_interface_sees_the_session_life() -> None:
    async def main() -> None:
        app = _RecordingApp()
        async with serving(EioServer(SUITE, app=app)) as server:
            status, _, body = await http(server, "GET", "EIO=4&transport=polling")
            opened, welcome = body.split(b"\x1e")  # what on_open sent rides with the open packet
            assert (status, welcome) == (200, b"4welcome")
            sid = json.loads(opened[1:])["sid"]
            assert await post(server, sid, b"4hi\x1ebAQI=") == (200, b"ok")
            assert await get(server, sid) == (200, b"4HI\x1e4and again\x1ebAgE=\x1e4and again")
            held = asyncio.ensure_future(get(server, sid))
            await asyncio.sleep(0.05)
            assert await post(server, sid, b"4bye") == (200, b"ok")
            assert await held == (200, b"1")  # the server closed: the held GET gets the close packet
        assert app.log == [("open", sid, None), ("message", sid, "hi"), ("message", sid, b"\x01\x02"),
                           ("message", sid, "bye"), ("close", sid, "asked to")]

    run(main)
