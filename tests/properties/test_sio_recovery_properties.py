"""Connection state recovery against a model: whatever the order of broadcasts, drops and reconnections
(within the window), every client gets every event meant for its rooms exactly once, in order."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reference.core.sio.decoder import Decoder
from reference.core.sio.packets import PacketType
from reference.core.sio.recovery import Recovery
from reference.core.sio.server import Deliver, Output, Server
from reference.core.sio.testee import build_testee_namespaces

ROOMS = ("r0", "r1")


@dataclass
class Client:
    rooms: set[str]
    eio: str = ""
    pid: str = ""
    sid: str = ""
    offset: str | None = None
    online: bool = False
    got: list[int] = field(default_factory=list)


def _read(client: Client, out: list[Output]) -> None:
    decoder = Decoder()
    for item in out:
        if not isinstance(item, Deliver) or item.eio_sid != client.eio:
            continue
        for payload in item.payloads:
            assert isinstance(payload, str)
            packet = decoder.receive_text(payload)
            assert packet is not None
            if packet.type is PacketType.CONNECT:
                assert packet.data is not None
                if client.sid:
                    assert packet.data == {"sid": client.sid, "pid": client.pid}, "not recovered"
                client.sid, client.pid = packet.data["sid"], packet.data["pid"]
            elif packet.type is PacketType.EVENT:
                assert packet.data is not None
                client.offset = packet.data[-1]
                if packet.data[0] == "broadcast-back":
                    client.got.append(packet.data[1])


def _deliver(clients: list[Client], out: list[Output]) -> None:
    for client in clients:
        if client.online:
            _read(client, out)


ops = st.lists(st.one_of(
    st.tuples(st.just("broadcast"), st.integers(0, 2), st.sampled_from((*ROOMS, ""))),
    st.tuples(st.just("drop"), st.integers(0, 2), st.just("")),
    st.tuples(st.just("reconnect"), st.integers(0, 2), st.just("")),
), max_size=25)


@given(st.lists(st.frozensets(st.sampled_from(ROOMS)), min_size=3, max_size=3), ops)
def test_every_missed_event_arrives_once_in_order(rooms: list[frozenset[str]], steps: list[Any]) -> None:
    counter = itertools.count()
    server = Server(build_testee_namespaces(), new_id=lambda: f"i{next(counter)}",
                    recovery=Recovery(window=1000.0, max_packets=10_000))
    eios = itertools.count()
    clients = [Client(set(r)) for r in rooms]
    for client in clients:
        client.eio = f"e{next(eios)}"
        client.online = True
        server.open(client.eio, 0.0)
        _read(client, server.receive_text(client.eio, "0", 0.0))
        for room in sorted(client.rooms):
            server.receive_text(client.eio, f'2["join","{room}"]', 0.0)
    sent: list[tuple[int, str, int]] = []  # (value, room, sender)
    value = itertools.count()
    # a sender needs to be online; a broadcast from the server itself stands in when it is not
    for now, (op, who, room) in enumerate(steps, start=1):
        client = clients[who]
        if op == "broadcast":
            number = next(value)
            if client.online:
                target = room or "/"
                if room:
                    out = server.receive_text(client.eio, "2" + json.dumps(["broadcast", room, number]),
                                              float(now))
                else:  # to everyone but the sender: its own room is the except
                    out = server.emit("/", "broadcast-back", number, except_rooms=[client.sid])
                sent.append((number, target, who))
            else:
                out = server.emit("/", "broadcast-back", number, rooms=[room] if room else [])
                sent.append((number, room or "/", -1))
            _deliver(clients, out)
        elif op == "drop" and client.online:
            client.online = False
            server.transport_closed(client.eio, float(now))
        elif op == "reconnect" and not client.online:
            client.eio = f"e{next(eios)}"
            client.online = True
            server.open(client.eio, float(now))
            auth = json.dumps({"pid": client.pid, "offset": client.offset})
            _read(client, server.receive_text(client.eio, "0" + auth, float(now)))
    for index, client in enumerate(clients):
        if not client.online:  # come back at the end to collect what was missed
            client.eio = f"e{next(eios)}"
            client.online = True
            server.open(client.eio, 999.0)
            auth = json.dumps({"pid": client.pid, "offset": client.offset})
            _read(client, server.receive_text(client.eio, "0" + auth, 999.0))
        expected = [n for n, target, sender in sent
                    if sender != index and (target == "/" or target in client.rooms)]
        assert client.got == expected
