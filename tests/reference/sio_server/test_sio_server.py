"""The reference Socket.IO server (reference/servers/sio.py) over real sockets, in the test's event loop.

Raw Socket.IO packets (``sio_wire``) on both transports: namespaces, refusals, the testee's events, acks
both ways, binary attachments (WebSocket frames and base64 over polling), rooms with several clients,
disconnect-me, the connect timeout, and connection state recovery.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from http_server_harness import run, serving
from sio_wire import Peer, PollPeer, WsPeer, connect_nsp

from reference.core.eio.handshake import EioConfig
from reference.core.sio.recovery import Recovery
from reference.servers.eio import EioSettings
from reference.servers.sio import SioServer, SioSettings

EIO = EioSettings(config=EioConfig(ping_interval=300, ping_timeout=2000), path="/socket.io/")
SETTINGS = SioSettings(eio=EIO, connect_timeout=5.0)
TRANSPORTS = [WsPeer, PollPeer]
#: No heartbeat within a test: a session closed here was closed for its input, not by a ping timeout.
QUIET = SioSettings(eio=EioSettings(config=EioConfig(ping_interval=25000, ping_timeout=20000),
                                    path="/socket.io/"), connect_timeout=5.0)


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["websocket", "polling"])
def test_connect_to_main_and_custom_namespaces(transport: type[Peer]) -> None:
    async def main() -> None:
        async with serving(SioServer(SETTINGS)) as server:
            peer = await transport.open(server)
            main_answer = await connect_nsp(peer)
            custom_answer = await connect_nsp(peer, "/custom", {"token": "abc"})
            assert set(main_answer) == set(custom_answer) == {"sid"}  # recovery off: exactly {"sid"}
            assert main_answer["sid"] != custom_answer["sid"]
            assert set(server.sio.sockets("/")) == {main_answer["sid"]}
            assert set(server.sio.sockets("/custom")) == {custom_answer["sid"]}

    run(main)


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["websocket", "polling"])
def test_unknown_and_refusing_namespaces_get_connect_error(transport: type[Peer]) -> None:
    async def main() -> None:
        async with serving(SioServer(SETTINGS)) as server:
            peer = await transport.open(server)
            await peer.send("0/nope,")
            assert await peer.recv() == '4/nope,{"message":"Invalid namespace"}'
            await peer.send("0/refused,")
            assert json.loads(str(await peer.recv())[len("4/refused,"):]) == \
                {"message": "Not authorized", "data": {"reason": "testee"}}
            await connect_nsp(peer)  # the session is still usable

    run(main)


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["websocket", "polling"])
def test_message_back_and_message_with_ack(transport: type[Peer]) -> None:
    async def main() -> None:
        async with serving(SioServer(SETTINGS)) as server:
            peer = await transport.open(server)
            await connect_nsp(peer)
            await connect_nsp(peer, "/custom")
            await peer.send('2["message",1,"2",{"3":[true]}]')
            assert await peer.recv() == '2["message-back",1,"2",{"3":[true]}]'
            await peer.send('2/custom,17["message-with-ack","é",null]')
            assert await peer.recv() == '3/custom,17["é",null]'

    run(main)


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["websocket", "polling"])
def test_emit_with_ack_from_the_server_is_answered_by_the_client(transport: type[Peer]) -> None:
    async def main() -> None:
        async with serving(SioServer(SETTINGS)) as server:
            peer = await transport.open(server)
            await connect_nsp(peer)
            await peer.send('2["emit-with-ack","x",2]')
            request = str(await peer.recv())
            head, _, body = request.partition("[")
            assert head[0] == "2", request
            assert head[1:].isdigit(), request
            assert json.loads("[" + body) == ["ack-request", "x", 2]
            await peer.send(f'3{head[1:]}["got it"]')
            assert await peer.recv() == '2["ack-response","got it"]'
            await peer.send(f'3{head[1:]}["twice"]')  # an ack id already resolved is ignored
            await peer.send('2["message","still here"]')
            assert await peer.recv() == '2["message-back","still here"]'

    run(main)


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["websocket", "polling"])
def test_binary_attachments_both_ways(transport: type[Peer]) -> None:
    async def main() -> None:
        async with serving(SioServer(SETTINGS)) as server:
            peer = await transport.open(server)
            await connect_nsp(peer)
            if isinstance(peer, PollPeer):  # one POST: the packet and its attachments as base64
                await peer.send('52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
                                b"\x01\x02\x03", b"\x00\xff")
            else:
                await peer.send('52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
                await peer.send(b"\x01\x02\x03")
                await peer.send(b"\x00\xff")
            assert await peer.recv() == \
                '52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
            assert await peer.recv() == b"\x01\x02\x03"
            assert await peer.recv() == b"\x00\xff"
            await peer.send('51-9["message-with-ack",{"_placeholder":true,"num":0}]')
            await peer.send(b"\xfe")
            assert await peer.recv() == '61-9[{"_placeholder":true,"num":0}]'
            assert await peer.recv() == b"\xfe"

    run(main)


def test_rooms_broadcast_reaches_every_member_but_the_sender() -> None:
    async def main() -> None:
        async with serving(SioServer(SETTINGS)) as server:
            a, b, c = await WsPeer.open(server), await PollPeer.open(server), await WsPeer.open(server)
            d = await WsPeer.open(server)
            for peer in (a, b, c, d):
                await connect_nsp(peer)
            for peer in (a, b, c):
                await peer.send('21["join","r"]')
                assert await peer.recv() == '31["r"]'
            await a.send('22["broadcast","r","hi",{"n":1}]')
            assert await a.recv() == "32[]"
            assert await b.recv() == '2["broadcast-back","hi",{"n":1}]'
            assert await c.recv() == '2["broadcast-back","hi",{"n":1}]'
            await c.send('23["leave","r"]')
            assert await c.recv() == '33["r"]'
            await b.send('2["broadcast","r","second"]')
            assert await a.recv() == '2["broadcast-back","second"]'
            assert await a.silent()
            assert await c.silent()
            assert await d.silent()
            assert len(server.sio.room_members("/", "r")) == 2

    run(main)


def test_disconnect_me_ends_the_namespace_but_not_the_session() -> None:
    async def main() -> None:
        async with serving(SioServer(SETTINGS)) as server:
            peer = await WsPeer.open(server)
            await connect_nsp(peer)
            await connect_nsp(peer, "/custom")
            await peer.send('2/custom,["disconnect-me"]')
            assert await peer.recv() == "1/custom,"
            assert not server.sio.sockets("/custom")
            await peer.send('2["message","main"]')
            assert await peer.recv() == '2["message-back","main"]'
            await connect_nsp(peer, "/custom")

    run(main)


def test_a_session_that_connects_no_namespace_is_closed_at_the_connect_timeout() -> None:
    async def main() -> None:
        async with serving(SioServer(SioSettings(eio=QUIET.eio, connect_timeout=0.3))) as server:
            peer = await WsPeer.open(server)
            assert await asyncio.wait_for(peer.ws.recv(), 3) == "1"  # the Engine.IO close packet
            await asyncio.wait_for(peer.ws.wait_closed(), 3)
            assert not server.sessions

    run(main)


def test_bad_input_closes_the_session() -> None:
    async def main() -> None:
        async with serving(SioServer(QUIET)) as server:
            peer = await WsPeer.open(server)
            await connect_nsp(peer)
            await peer.send("9")  # no such packet type
            await asyncio.wait_for(peer.ws.wait_closed(), 3)
            assert not server.sessions
            assert not server.sio.sockets("/")

    run(main)


def test_recovery_replays_missed_events_once_after_a_drop() -> None:
    async def main() -> None:
        settings = SioSettings(eio=EIO, connect_timeout=5.0, recovery=Recovery(window=30.0))
        async with serving(SioServer(settings)) as server:
            a, b = await WsPeer.open(server), await WsPeer.open(server)
            first = await connect_nsp(a)
            await connect_nsp(b)
            assert set(first) == {"sid", "pid"}
            await a.send('21["join","r"]')
            assert await a.recv() == '31["r"]'
            await a.send('2["message","before"]')
            back = json.loads(str(await a.recv())[1:])
            assert back[:2] == ["message-back", "before"]
            offset = back[-1]  # recovery on: every event carries its offset last
            await a.drop()
            await b.send('2["broadcast","r","missed-1"]')
            await b.send('2["broadcast","r","missed-2"]')
            await b.send('2["message","sync"]')  # the broadcasts are recorded once this comes back
            assert json.loads(str(await b.recv())[1:])[:2] == ["message-back", "sync"]

            again = await WsPeer.open(server)
            await again.send("0" + json.dumps({"pid": first["pid"], "offset": offset}))
            answer = json.loads(str(await again.recv())[1:])
            assert answer == {"sid": first["sid"], "pid": first["pid"]}  # the same socket, recovered
            missed = [json.loads(str(await again.recv())[1:]) for _ in range(2)]
            assert [m[:2] for m in missed] == [["broadcast-back", "missed-1"], ["broadcast-back", "missed-2"]]
            auth = json.loads(str(await again.recv())[1:])
            assert auth[:2] == ["auth", {"pid": first["pid"], "offset": offset}]
            assert "r" in server.sio.sockets("/")[first["sid"]].rooms
            assert await again.silent()  # each missed event exactly once

            await again.drop()  # again, now with the newest offset seen: nothing is replayed
            late = await WsPeer.open(server)
            await late.send("0" + json.dumps({"pid": first["pid"], "offset": auth[-1]}))
            assert json.loads(str(await late.recv())[1:])["sid"] == first["sid"]
            assert json.loads(str(await late.recv())[1:])[0] == "auth"
            assert await late.silent()

            await late.drop()  # an offset no longer in the history: a fresh socket
            gone = await WsPeer.open(server)
            await gone.send("0" + json.dumps({"pid": first["pid"], "offset": "unknown"}))
            assert json.loads(str(await gone.recv())[1:])["sid"] != first["sid"]

    run(main, timeout=20)


def test_a_session_closed_on_purpose_is_not_kept_for_recovery() -> None:
    async def main() -> None:
        settings = SioSettings(eio=QUIET.eio, connect_timeout=5.0, recovery=Recovery(window=30.0))
        async with serving(SioServer(settings)) as server:
            a = await WsPeer.open(server)
            first = await connect_nsp(a)
            await a.send('2["message","x"]')
            offset = json.loads(str(await a.recv())[1:])[-1]
            await a.send("9")  # bad input: the server closes the session on purpose
            await asyncio.wait_for(a.ws.wait_closed(), 3)
            again = await WsPeer.open(server)
            await again.send("0" + json.dumps({"pid": first["pid"], "offset": offset}))
            assert json.loads(str(await again.recv())[1:])["sid"] != first["sid"]

    run(main)


HOSTILE = [
    '2["message"',                                   # not JSON
    "2" + "[" * 100_000,                             # deep nesting
    '2/nowhere,["message"]',                         # an event on a namespace never connected
    '0/custom,"not an object"',                      # a CONNECT payload that is not an object
    '51-["message",{"_placeholder":true,"num":5}]',  # a placeholder with no attachment
    "599999999-" + '["message"]',                    # too many attachments announced
    "4",                                             # CONNECT_ERROR from a client
    "2abc",                                          # garbage after the type
]


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["websocket", "polling"])
def test_hostile_packets_close_the_session_and_leak_nothing(transport: type[Peer]) -> None:
    async def main() -> None:
        async with serving(SioServer(QUIET)) as server:
            for packet in HOSTILE:
                peer = await transport.open(server)
                await connect_nsp(peer)
                await peer.send(packet)
            for _ in range(300):
                if not server.sessions:
                    break
                await asyncio.sleep(0.01)
            assert not server.sessions  # every one closed by the server
            assert not server.sio.sockets("/")
            assert not server.sio._sessions  # the core forgot them too
            healthy = await transport.open(server)
            await connect_nsp(healthy)
            await healthy.send('2["message","ok"]')
            assert await healthy.recv() == '2["message-back","ok"]'

    run(main, timeout=30)


def test_a_ping_timeout_is_recoverable() -> None:
    async def main() -> None:
        eio = EioSettings(config=EioConfig(ping_interval=100, ping_timeout=100), path="/socket.io/")
        settings = SioSettings(eio=eio, connect_timeout=5.0, recovery=Recovery(window=30.0))
        async with serving(SioServer(settings)) as server:
            a = await WsPeer.open(server)
            first = await connect_nsp(a)
            await a.send('2["message","x"]')
            offset = json.loads(str(await a.recv())[1:])[-1]
            frames = []  # read, never answer a ping: the server gives up on us
            while (frame := await asyncio.wait_for(a.ws.recv(), 3)) != "1":
                frames.append(frame)
            assert frames == ["2"]
            again = await WsPeer.open(server)
            await again.send("0" + json.dumps({"pid": first["pid"], "offset": offset}))
            assert json.loads(str(await again.recv())[1:]) == first  # the same sid and pid: recovered

    run(main)
