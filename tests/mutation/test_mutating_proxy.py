"""The mutating proxy itself, checked with a raw client in front of the ``websockets`` echo server.

Each mutation test also runs the same stimulus without the mutation (``Mutation``, the identity), so it
shows both that the upstream rejects the stimulus and that the mutation is what changes the outcome.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest
from mutating_proxy import Head, Mutation, running_proxy
from mutations_client import (
    ClearLengthMsb,
    ClearRsv,
    FixCloseLength,
    FixContinuations,
    HoldTextUntilFin,
    InvalidateCloseCode,
    JoinFragmentedControl,
    MaskClientFrames,
    RepairUtf8,
    ReservedOpcodeToValid,
    TruncateControlPayload,
    ValidCloseCode,
)
from mutations_handshake import (
    AddSubprotocol,
    DropUpgradeHeaders,
    DropVersionHeader,
    ForceVersion13,
    RefuseWith400,
    RepairRequest,
    SelectEveryOffered,
    WrongAccept,
)
from mutations_server import (
    AnswerAfterClose,
    AnswerEveryClose,
    AnswerPongs,
    CorruptEcho,
    CorruptPong,
    DataAfterServerClose,
    DelayPongs,
    DropPongs,
    DropServerClose,
    InvalidUtf8Echo,
    KeepClientOpen,
    MaskServerFrames,
    NonMinimalLength,
    OneByteClose,
    ServerRsv,
    SwapDataOpcode,
    close_code,
)
from raw_client import RawClient, upgrade_request
from target_servers import websockets_server
from ws_codec import Frame, Op, apply_mask, close_payload, encode_frame, parse_close

MutationType = type[Mutation]


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, int]]:
    with websockets_server() as address:
        yield address


def connect(upstream: tuple[str, int], mutation: MutationType) -> Iterator[RawClient]:
    with running_proxy(upstream, mutation) as proxy, RawClient(proxy.port) as client:
        assert client.handshake().status == 101
        yield client


def exchange(
    upstream: tuple[str, int], mutation: MutationType, *frames: Frame, replies: int = 0, masked: bool = True
) -> list[Frame]:
    """Open a connection through ``mutation`` and send ``frames``; after ``replies`` non-close frames
    arrived (and no close), close with 1000. Return every frame received until EOF."""
    for client in connect(upstream, mutation):
        for sent in frames:
            client.send_frame(sent, masked=masked)
        received: list[Frame] = []
        closing = False
        while (frame := client.recv_frame()) is not None:
            received.append(frame)
            if frame.opcode == Op.CLOSE and not closing:
                client.send_frame(Frame(Op.CLOSE, frame.payload[:2]))
                closing = True
            if not closing and len(data(received)) >= replies:
                client.send_frame(BYE)
                closing = True
        return received
    raise AssertionError("unreachable")


def codes(frames: list[Frame]) -> list[int | None]:
    return [parse_close(f.payload)[0] for f in frames if f.opcode == Op.CLOSE]


def data(frames: list[Frame]) -> list[tuple[int, bytes]]:
    return [(f.opcode, f.payload) for f in frames if f.opcode != Op.CLOSE]


BYE = Frame(Op.CLOSE, close_payload(1000))


def test_identity_forwards_echo_and_close(upstream: tuple[str, int]) -> None:
    got = exchange(
        upstream, Mutation, Frame(Op.TEXT, "héllo".encode()), Frame(Op.BINARY, b"\x00" * 70000), replies=2
    )
    assert data(got) == [(Op.TEXT, "héllo".encode()), (Op.BINARY, b"\x00" * 70000)]
    assert codes(got) == [1000]


def test_parsing_proxy_keeps_frames_split_in_single_octets(upstream: tuple[str, int]) -> None:
    for client in connect(upstream, ClearRsv):
        for octet in encode_frame(Frame(Op.TEXT, b"chopped", mask=b"abcd")):
            client.sock.sendall(bytes([octet]))
        reply = client.recv_frame()
        assert reply is not None
        assert (reply.opcode, reply.payload) == (Op.TEXT, b"chopped")


@pytest.mark.parametrize(
    ("mutation", "frames", "rejected", "accepted"),
    [
        (ClearRsv, [Frame(Op.TEXT, b"rsv", rsv=4)], [1002], [(Op.TEXT, b"rsv")]),
        (ReservedOpcodeToValid, [Frame(0x5, b"op5")], [1002], [(Op.BINARY, b"op5")]),
        (ReservedOpcodeToValid, [Frame(0xC, b"opC")], [1002], [(Op.PONG, b"opC")]),
        (
            JoinFragmentedControl,
            [Frame(Op.PING, b"frag", fin=False), Frame(Op.CONT, b"ment")],
            [1002],
            [(Op.PONG, b"fragment")],
        ),
        (TruncateControlPayload, [Frame(Op.PING, b"p" * 126)], [1002], [(Op.PONG, b"p" * 125)]),
        (FixContinuations, [Frame(Op.CONT, b"stray")], [1002], [(Op.TEXT, b"stray")]),
        (
            FixContinuations,
            [Frame(Op.TEXT, b"one", fin=False), Frame(Op.TEXT, b"two")],
            [1002],
            [(Op.TEXT, b"onetwo")],
        ),
        (
            RepairUtf8,
            [Frame(Op.TEXT, b"\xce\xba\xed\xa0\x80")],
            [1007],
            [(Op.TEXT, "κ\ufffd\ufffd\ufffd".encode())],
        ),
    ],
    ids=lambda v: getattr(v, "name", "") if isinstance(v, type) else "",
)
def test_client_repair_makes_upstream_accept(
    upstream: tuple[str, int],
    mutation: MutationType,
    frames: list[Frame],
    rejected: list[int],
    accepted: list[tuple[int, bytes]],
) -> None:
    plain = exchange(upstream, Mutation, *frames)
    assert codes(plain) == rejected
    repaired = exchange(upstream, mutation, *frames, replies=len(accepted))
    assert data(repaired) == accepted
    assert codes(repaired) == [1000]


def test_mask_client_frames_masks_unmasked_frames(upstream: tuple[str, int]) -> None:
    assert codes(exchange(upstream, Mutation, Frame(Op.TEXT, b"bare"), masked=False)) == [1002]
    got = exchange(upstream, MaskClientFrames, Frame(Op.TEXT, b"bare"), replies=1, masked=False)
    assert data(got) == [(Op.TEXT, b"bare")]


def test_repair_utf8_keeps_valid_text_split_inside_code_points(upstream: tuple[str, int]) -> None:
    text = "κόσμε".encode()
    frames = [
        Frame(Op.TEXT if i == 0 else Op.CONT, text[i : i + 1], fin=i == len(text) - 1)
        for i in range(len(text))
    ]
    assert data(exchange(upstream, RepairUtf8, *frames, replies=1)) == [(Op.TEXT, text)]


@pytest.mark.parametrize(
    ("mutation", "close", "expected"),
    [
        (FixCloseLength, Frame(Op.CLOSE, b"\x03"), 1000),
        (ValidCloseCode, Frame(Op.CLOSE, close_payload(1005)), 1000),
        (ValidCloseCode, Frame(Op.CLOSE, close_payload(2999)), 1000),
    ],
)
def test_client_close_repair(
    upstream: tuple[str, int], mutation: MutationType, close: Frame, expected: int
) -> None:
    assert codes(exchange(upstream, Mutation, close)) == [1002]
    assert codes(exchange(upstream, mutation, close)) == [expected]


def test_close_code_rewrites_the_server_code(upstream: tuple[str, int]) -> None:
    assert codes(exchange(upstream, close_code(1000), Frame(Op.TEXT, b"x", rsv=1))) == [1000]
    assert codes(exchange(upstream, close_code(1011), BYE)) == [1011]
    assert codes(exchange(upstream, close_code(None), BYE)) == [None]


def test_drop_server_close_drops_tcp_without_a_close_frame(upstream: tuple[str, int]) -> None:
    got = exchange(upstream, DropServerClose, Frame(Op.TEXT, b"hi"), replies=1)
    assert data(got) == [(Op.TEXT, b"hi")]
    assert codes(got) == []


def test_mask_server_frames_and_non_minimal_length(upstream: tuple[str, int]) -> None:
    masked = exchange(upstream, MaskServerFrames, Frame(Op.TEXT, b"m"), replies=1)
    assert [f.mask is not None for f in masked] == [True, True]
    assert data(masked) == [(Op.TEXT, b"m")]
    for client in connect(upstream, NonMinimalLength):
        client.send_frame(Frame(Op.BINARY, b"n"))
        client.sock.settimeout(1)
        head = client.sock.recv(10)
        assert head == b"\x82\x7f" + (1).to_bytes(8, "big")


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (Mutation, [(Op.PONG, b"p1"), (Op.TEXT, b"t")]),
        (CorruptPong, [(Op.PONG, b"p1!"), (Op.TEXT, b"t")]),
        (DropPongs, [(Op.TEXT, b"t")]),
        (DelayPongs, [(Op.TEXT, b"t"), (Op.PONG, b"p1")]),
        (CorruptEcho, [(Op.PONG, b"p1"), (Op.TEXT, b"t!")]),
        (SwapDataOpcode, [(Op.PONG, b"p1"), (Op.BINARY, b"t")]),
        (AnswerPongs, [(Op.PONG, b"u"), (Op.PONG, b"p1"), (Op.TEXT, b"t")]),  # the injected pong is first
    ],
    ids=lambda v: getattr(v, "name", "") if isinstance(v, type) else "",
)
def test_server_output_mutations(upstream: tuple[str, int], mutation: MutationType, expected: object) -> None:
    got = exchange(
        upstream,
        mutation,
        Frame(Op.TEXT, b"t", fin=False),
        Frame(Op.PING, b"p1"),
        Frame(Op.PONG, b"u"),
        Frame(Op.CONT, b""),
        replies=len(expected),  # type: ignore[arg-type]
    )
    assert data(got) == expected


def test_answer_after_close_lets_the_server_answer_a_late_ping(upstream: tuple[str, int]) -> None:
    late = (BYE, Frame(Op.PING, b"late"))
    assert data(exchange(upstream, Mutation, *late)) == []
    assert data(exchange(upstream, AnswerAfterClose, *late)) == [(Op.PONG, b"late")]


def test_keep_client_open_withholds_the_server_fin(upstream: tuple[str, int]) -> None:
    for mutation, eof in ((Mutation, True), (KeepClientOpen, False)):
        for client in connect(upstream, mutation):
            client.sock.settimeout(0.5)
            client.send_frame(BYE)
            reply = client.recv_frame()
            assert reply is not None
            assert reply.opcode == Op.CLOSE
            if eof:
                assert client.recv_frame() is None
            else:
                with pytest.raises(TimeoutError):
                    client.recv_frame()


def test_oversized_frame_is_forwarded_raw(upstream: tuple[str, int]) -> None:
    for client in connect(upstream, ClearRsv):
        # FIN=1 op=BINARY, MASK=1 len=127 + 64-bit length with the MSB set, key, 4 payload octets
        client.sock.sendall(b"\x82\xff" + (2**63 + 4).to_bytes(8, "big") + b"kkkk" + b"abcd")
        reply = client.recv_frame()
        assert reply is None or (reply.opcode, parse_close(reply.payload)[0]) in {
            (Op.CLOSE, 1002),
            (Op.CLOSE, 1009),
        }


def accept_for(key: str) -> str:
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


def handshake(upstream: tuple[str, int], mutation: MutationType, request: Head) -> Head:
    with running_proxy(upstream, mutation) as proxy, RawClient(proxy.port) as client:
        return client.handshake(request)


def test_response_mutations(upstream: tuple[str, int]) -> None:
    request = upgrade_request()
    key = request.get("Sec-WebSocket-Key") or ""
    plain = handshake(upstream, Mutation, request)
    assert plain.get("Sec-WebSocket-Accept") == accept_for(key)
    assert plain.get("Sec-WebSocket-Protocol") is None
    assert handshake(upstream, WrongAccept, request).get("Sec-WebSocket-Accept") != accept_for(key)
    bare = handshake(upstream, DropUpgradeHeaders, request)
    assert (bare.status, bare.get("Upgrade"), bare.get("Connection")) == (101, None, None)
    assert (
        handshake(upstream, AddSubprotocol, request).get("Sec-WebSocket-Protocol")
        == "rtconform-never-offered"
    )


def test_version_mutations(upstream: tuple[str, int]) -> None:
    request = upgrade_request(Sec_WebSocket_Version="8")
    status = handshake(upstream, Mutation, request).status
    assert status is not None
    assert status >= 400
    assert handshake(upstream, ForceVersion13, request).status == 101


def test_drop_version_header_only_touches_refusals() -> None:
    refusal = Head(
        "HTTP/1.1 426 Upgrade Required", (("Sec-WebSocket-Version", "13"), ("Content-Length", "0"))
    )
    switch = Head("HTTP/1.1 101 Switching Protocols", (("Sec-WebSocket-Version", "13"),))
    mutation = DropVersionHeader(None)  # type: ignore[arg-type]  # response_head never uses the link
    assert mutation.response_head(refusal, upgrade_request()).headers == (("Content-Length", "0"),)
    assert mutation.response_head(switch, upgrade_request()) is switch


@pytest.mark.parametrize(
    "request_head",
    [
        upgrade_request(Sec_WebSocket_Key="c2hvcnQ="),
        upgrade_request(Upgrade=None),
        upgrade_request(Connection="keep-alive"),
        upgrade_request(Sec_WebSocket_Version=None),
        Head("POST / HTTP/1.1", upgrade_request().headers),
    ],
    ids=["short-key", "no-upgrade", "no-connection-upgrade", "no-version", "post"],
)
def test_repair_request_turns_a_refusal_into_101(upstream: tuple[str, int], request_head: Head) -> None:
    try:
        status = handshake(upstream, Mutation, request_head).status
    except ConnectionError:
        status = None  # some websockets versions refuse by closing the connection without a response
    assert status is None or status >= 400
    assert handshake(upstream, RepairRequest, request_head).status == 101


def test_server_frame_spoilers(upstream: tuple[str, int]) -> None:
    rsv = exchange(upstream, ServerRsv, Frame(Op.TEXT, b"r"), replies=1)
    assert [(f.opcode, f.rsv) for f in rsv] == [(Op.TEXT, 4), (Op.CLOSE, 0)]
    bad = exchange(upstream, InvalidUtf8Echo, Frame(Op.TEXT, b"u"), Frame(Op.BINARY, b"b"), replies=2)
    assert data(bad) == [(Op.TEXT, b"u\xff"), (Op.BINARY, b"b")]
    after = exchange(upstream, DataAfterServerClose, Frame(Op.TEXT, b"a", rsv=2))
    assert [f.opcode for f in after] == [Op.CLOSE, Op.TEXT]
    short = exchange(upstream, OneByteClose, BYE)
    assert [(f.opcode, f.payload) for f in short] == [(Op.CLOSE, b"\x03")]


def test_hold_text_until_fin_defers_fragments_but_not_pings(upstream: tuple[str, int]) -> None:
    for client in connect(upstream, HoldTextUntilFin):
        client.send_frame(Frame(Op.TEXT, b"par", fin=False))
        client.send_frame(Frame(Op.PING, b"now"))
        first = client.recv_frame()
        assert first is not None
        assert (first.opcode, first.payload) == (Op.PONG, b"now")
        client.send_frame(Frame(Op.CONT, b"t"))
        echo = client.recv_frame()
        assert echo is not None
        assert (echo.opcode, echo.payload) == (Op.TEXT, b"part")


def test_clear_length_msb_makes_a_huge_length_small(upstream: tuple[str, int]) -> None:
    # FIN=1 op=BINARY, MASK=1 len=127 + 64-bit length 2**63 + 4 (MSB set), key, 4 payload octets
    wire = b"\x82\xff" + (2**63 + 4).to_bytes(8, "big") + b"kkkk" + apply_mask(b"abcd", b"kkkk")
    for client in connect(upstream, ClearLengthMsb):
        client.sock.sendall(wire)
        echo = client.recv_frame()
        assert echo is not None
        assert (echo.opcode, echo.payload) == (Op.BINARY, b"abcd")


def test_invalidate_close_code_makes_a_valid_code_refused(upstream: tuple[str, int]) -> None:
    code3000 = Frame(Op.CLOSE, close_payload(3000))
    assert codes(exchange(upstream, Mutation, code3000)) == [3000]
    assert codes(exchange(upstream, InvalidateCloseCode, code3000)) == [1002]


def test_answer_every_close_answers_a_second_close(upstream: tuple[str, int]) -> None:
    for mutation, closes in ((Mutation, 1), (AnswerEveryClose, 2)):
        for client in connect(upstream, mutation):
            client.send_frame(BYE)
            client.send_frame(Frame(Op.CLOSE))
            received = []
            while (frame := client.recv_frame()) is not None:
                received.append(frame.opcode)
            assert received == [Op.CLOSE] * closes


def test_refuse_with_400_only_rewrites_426() -> None:
    refusal = Head("HTTP/1.1 426 Upgrade Required", (("Sec-WebSocket-Version", "13"),))
    other = Head("HTTP/1.1 403 Forbidden", ())
    mutation = RefuseWith400(None)  # type: ignore[arg-type]  # response_head never uses the link
    rewritten = mutation.response_head(refusal, upgrade_request())
    assert (rewritten.status, rewritten.headers) == (400, refusal.headers)
    assert mutation.response_head(other, upgrade_request()) is other


def test_select_every_offered_answers_with_the_whole_offer(upstream: tuple[str, int]) -> None:
    offer = upgrade_request(Sec_WebSocket_Protocol="a, b")
    assert handshake(upstream, Mutation, offer).get("Sec-WebSocket-Protocol") is None
    assert handshake(upstream, SelectEveryOffered, offer).get("Sec-WebSocket-Protocol") == "a, b"
    assert handshake(upstream, SelectEveryOffered, upgrade_request()).get("Sec-WebSocket-Protocol") is None


def all_mutations() -> list[type[Mutation]]:
    import mutations_client
    import mutations_handshake
    import mutations_server

    found = []
    for module in (mutations_client, mutations_handshake, mutations_server):
        found += [getattr(module, name) for name in module.__all__ if isinstance(getattr(module, name), type)]
    return found


def test_every_mutation_has_a_unique_name_and_names_the_rule_it_breaks() -> None:
    mutations = all_mutations()
    names = [m.name for m in mutations]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for mutation in mutations:
        assert mutation.name != "identity", f"{mutation.__name__} keeps the base name"
        doc = " ".join((mutation.__doc__ or "").split())
        assert "RFC 6455 §" in doc, f"{mutation.__name__} does not cite the rule it breaks"
