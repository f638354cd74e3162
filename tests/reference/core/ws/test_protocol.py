"""Tests for reference/core/ws/protocol.py: the server-side Connection (RFC 6455 §5-§7)."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.core.errors import InvalidUtf8, LocalProtocolError, PayloadTooBig, RemoteProtocolError
from reference.core.ws.frames import Frame, serialize_frame
from reference.core.ws.opcodes import Opcode
from reference.core.ws.protocol import (
    CLOSE_RECEIVED,
    CLOSED,
    CLOSING,
    FAILING,
    OPEN,
    TRANSITIONS,
    BinaryMessage,
    CloseReceived,
    Connection,
    ConnectionClosed,
    PingReceived,
    PongReceived,
    State,
    TextMessage,
    Trigger,
    close_code_for,
)

KEY = b"\x37\xfa\x21\x3d"
KAPPA = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"  # "κόσμε" from Markus Kuhn's test file, 11 bytes
EOF_ = b""  # data_to_send sentinel: close TCP


def client(opcode: Opcode, payload: bytes = b"", fin: bool = True) -> bytes:
    """A frame as a client sends it (masked)."""
    return serialize_frame(Frame(opcode, payload, fin), KEY)


def server(opcode: Opcode, payload: bytes = b"") -> bytes:
    """A frame as the server must send it (unmasked)."""
    return serialize_frame(Frame(opcode, payload))


def close_body(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


def whole(conn: Connection, data: bytes) -> None:
    conn.receive_data(data)


def byte_by_byte(conn: Connection, data: bytes) -> None:
    for i in range(len(data)):
        conn.receive_data(data[i : i + 1])


Feeder = Callable[[Connection, bytes], None]
FEEDERS = pytest.mark.parametrize("feed", [whole, byte_by_byte], ids=["whole", "byte-by-byte"])


def assert_failing(conn: Connection, code: int, reason: str) -> None:
    """The connection sent Close(code, reason), closed TCP and reported it, and is CLOSED."""
    assert conn.events_received()[-1] == ConnectionClosed(code, reason, clean=False)
    assert conn.data_to_send()[-2:] == [server(Opcode.CLOSE, close_body(code, reason)), EOF_]
    assert conn.state is CLOSED
    assert conn.failure is not None
    assert (conn.failure.close_code, conn.failure.msg) == (code, reason)


class TestMessages:
    """RFC 6455 §5.4 fragmentation and §5.6 data frames."""

    @FEEDERS
    def test_server_receives_text_and_binary(self, feed: Feeder) -> None:
        conn = Connection()
        feed(conn, client(Opcode.TEXT, "héllo".encode()) + client(Opcode.BINARY, b"\x00\xff")
             + client(Opcode.TEXT))
        assert conn.events_received() == [TextMessage("héllo"), BinaryMessage(b"\x00\xff"), TextMessage("")]
        assert conn.data_to_send() == []
        assert conn.state is OPEN

    @FEEDERS
    def test_server_reassembles_fragments_with_control_frames_between(self, feed: Feeder) -> None:
        # Autobahn 5.6/5.19: the pong must come before the message is complete.
        conn = Connection()
        feed(conn, client(Opcode.TEXT, b"frag", fin=False) + client(Opcode.PING, b"ping payload")
             + client(Opcode.CONT, "ment é".encode()[:6], fin=False) + client(Opcode.PONG, b"x")
             + client(Opcode.CONT, "ment é".encode()[6:]))
        assert conn.events_received() == [
            PingReceived(b"ping payload"), PongReceived(b"x"), TextMessage("fragment é"),
        ]
        assert conn.data_to_send() == [server(Opcode.PONG, b"ping payload")]

    @FEEDERS
    def test_server_reassembles_binary_fragments(self, feed: Feeder) -> None:
        conn = Connection()
        feed(conn, client(Opcode.BINARY, b"a", fin=False) + client(Opcode.CONT, b"", fin=False)
             + client(Opcode.CONT, b"bc") + client(Opcode.BINARY, b"d"))
        assert conn.events_received() == [BinaryMessage(b"abc"), BinaryMessage(b"d")]

    @pytest.mark.parametrize("opcode", [Opcode.TEXT, Opcode.BINARY])
    def test_server_fails_on_a_new_message_inside_a_fragmented_one(self, opcode: Opcode) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.TEXT, b"a", fin=False) + client(opcode, b"b"))
        assert_failing(conn, 1002, f"{opcode.name} frame inside a fragmented TEXT message")

    @pytest.mark.parametrize("fin", [True, False])
    def test_server_fails_on_a_continuation_with_nothing_to_continue(self, fin: bool) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CONT, b"a", fin=fin))
        assert_failing(conn, 1002, "continuation frame without a message to continue")

    def test_server_fails_on_a_continuation_after_a_complete_message(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.TEXT, b"a", fin=False) + client(Opcode.CONT, b"b")
                          + client(Opcode.CONT, b"c"))
        assert conn.data_to_send()[0] == server(Opcode.CLOSE, close_body(1002, "continuation frame without a"
                                                                      " message to continue"))
        assert conn.events_received() == [
            TextMessage("ab"),
            ConnectionClosed(1002, "continuation frame without a message to continue", clean=False),
        ]


class TestUtf8:
    """RFC 6455 §8.1: invalid UTF-8 in text fails the connection with 1007, as early as possible."""

    @FEEDERS
    def test_server_fails_on_invalid_utf8_in_a_single_frame(self, feed: Feeder) -> None:
        conn = Connection()
        feed(conn, client(Opcode.TEXT, b"ok\xff"))
        events = conn.events_received()
        assert events[-1].code == 1007  # type: ignore[union-attr]
        assert conn.data_to_send()[-1] == EOF_

    def test_server_fails_at_the_fragment_that_breaks_utf8_before_the_message_ends(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.TEXT, KAPPA, fin=False))
        assert conn.events_received() == []
        conn.receive_data(client(Opcode.CONT, b"\xed\xa0\x80", fin=False))  # a surrogate
        assert_failing(conn, 1007, "invalid utf-8 at byte 11: ed a0 (surrogate)")

    def test_server_fails_in_the_middle_of_a_frame_that_is_still_arriving(self) -> None:
        # Autobahn 6.4.x: the invalid bytes are in the middle of one long frame.
        payload = KAPPA + b"\xf4\x90\x80\x80" + b"x" * 200
        wire = client(Opcode.TEXT, payload)
        conn = Connection()
        header = 8  # 2 + 16-bit length + key
        conn.receive_data(wire[: header + 11])
        assert conn.events_received() == []
        conn.receive_data(wire[header + 11 : header + 13])  # F4 90: no valid sequence starts so
        assert_failing(conn, 1007, "invalid utf-8 at byte 11: f4 90 (invalid continuation byte)")

    def test_server_fails_in_a_continuation_frame_that_is_still_arriving(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.TEXT, b"ab", fin=False))
        wire = client(Opcode.CONT, b"cd\xc0" + b"x" * 200)
        conn.receive_data(wire[:10])  # header (8 bytes) and "cd"
        assert conn.events_received() == []
        assert conn.state is OPEN
        conn.receive_data(wire[10:11])
        assert_failing(conn, 1007, "invalid utf-8 at byte 4: c0 (invalid start byte)")

    @FEEDERS
    def test_long_valid_text_frame_in_pieces_is_delivered_once(self, feed: Feeder) -> None:
        text = "κόσμε 😀 " * 40
        conn = Connection()
        data = text.encode()
        feed(conn, client(Opcode.TEXT, data[:100], fin=False) + client(Opcode.CONT, data[100:]))
        assert conn.events_received() == [TextMessage(text)]

    def test_binary_frames_still_arriving_are_not_validated(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.BINARY, b"\xff" * 300)[:100])
        conn.receive_data(client(Opcode.BINARY, b"a", fin=False)[:3])
        assert conn.events_received() == []
        assert conn.state is OPEN

    def test_new_text_frame_inside_a_message_is_not_validated_before_its_header_fails(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.BINARY, b"a", fin=False))
        wire = client(Opcode.TEXT, b"\xff" * 300)
        conn.receive_data(wire[:20])
        assert conn.events_received() == []
        conn.receive_data(wire[20:])
        assert_failing(conn, 1002, "TEXT frame inside a fragmented BINARY message")


class TestClose:
    """RFC 6455 §5.5.1 and §7: the closing handshake."""

    @FEEDERS
    def test_server_echoes_the_close_code_and_closes_tcp(self, feed: Feeder) -> None:
        conn = Connection()
        feed(conn, client(Opcode.CLOSE, close_body(1000, "bye")))
        assert conn.events_received() == [
            CloseReceived(1000, "bye"), ConnectionClosed(1000, "bye", clean=True),
        ]
        assert conn.data_to_send() == [server(Opcode.CLOSE, close_body(1000)), EOF_]
        assert conn.state is CLOSED
        assert conn.close_expected()

    def test_server_answers_an_empty_close_with_an_empty_close(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE))
        assert conn.events_received() == [CloseReceived(None, ""), ConnectionClosed(1005, "", clean=True)]
        assert conn.data_to_send() == [b"\x88\x00", EOF_]

    @pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                                      3000, 3999, 4000, 4999])
    def test_server_echoes_every_valid_code(self, code: int) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE, close_body(code)))
        assert conn.data_to_send() == [server(Opcode.CLOSE, close_body(code)), EOF_]

    @pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535])
    def test_server_fails_on_an_invalid_close_code(self, code: int) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE, close_body(code)))
        assert_failing(conn, 1002, f"invalid close code {code}")

    def test_server_fails_on_a_one_byte_close_payload(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE, b"\x03"))
        assert_failing(conn, 1002, "close frame with a 1-byte payload")

    @FEEDERS
    def test_server_fails_on_an_invalid_utf8_close_reason(self, feed: Feeder) -> None:
        conn = Connection()
        feed(conn, client(Opcode.CLOSE, close_body(1000) + b"\xce\xba\xe1\xbd\xb9\xed\xa0\x80"))
        assert_failing(conn, 1007, "invalid utf-8 at byte 5: ed a0 (surrogate)")

    def test_server_fails_fast_on_an_invalid_close_reason(self) -> None:
        # The frame stops right after the invalid octets: the connection fails before the reason ends.
        frame = client(Opcode.CLOSE, close_body(1000) + KAPPA + b"\xed\xa0\x80" + b"-never-complete")
        conn = Connection()
        conn.receive_data(frame[: 6 + 2 + len(KAPPA) + 2])  # header (2) + key (4), code, reason up to ED A0
        assert_failing(conn, 1007, "invalid utf-8 at byte 11: ed a0 (surrogate)")

    def test_server_fails_fast_on_an_invalid_close_code(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE, close_body(1005, "reason still arriving"))[:8])
        assert_failing(conn, 1002, "invalid close code 1005")

    def test_server_waits_for_a_close_reason_split_inside_a_code_point(self) -> None:
        frame = client(Opcode.CLOSE, close_body(1000) + KAPPA)
        conn = Connection()
        conn.receive_data(frame[:9])  # code + the first byte of "κ": valid so far
        assert conn.state is OPEN
        assert conn.data_to_send() == []
        conn.receive_data(frame[9:])
        assert conn.events_received()[0] == CloseReceived(1000, KAPPA.decode())

    def test_answers_to_earlier_messages_go_out_before_the_failing_close(self) -> None:
        reason = "invalid utf-8 at byte 0: ff (invalid start byte)"
        conn = Connection()
        conn.receive_data(client(Opcode.TEXT, b"first") + client(Opcode.TEXT, b"\xff") + client(Opcode.PING))
        assert conn.state is FAILING
        assert conn.events_received() == [TextMessage("first"), ConnectionClosed(1007, reason, clean=False)]
        conn.send_text("first")
        conn.receive_data(client(Opcode.PING, b"ignored"))  # RFC 6455 §1.4: discarded after the error
        assert conn.data_to_send() == [server(Opcode.TEXT, b"first"),
                                       server(Opcode.CLOSE, close_body(1007, reason)), EOF_]
        assert conn.state is CLOSED
        with pytest.raises(LocalProtocolError):
            conn.send_text("too late")

    def test_peer_closing_tcp_while_failing_still_gets_the_close(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.BINARY, b"x", fin=False) + client(Opcode.TEXT, b"y"))
        assert conn.state is FAILING
        conn.receive_eof()
        assert conn.data_to_send()[-1] == EOF_
        assert conn.state is CLOSED

    def test_server_ignores_data_after_the_close(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE, close_body(1001)) + client(Opcode.TEXT, b"late") + b"\xff\xff")
        conn.receive_data(client(Opcode.PING, b"later"))
        assert conn.events_received() == [CloseReceived(1001, ""), ConnectionClosed(1001, "", clean=True)]
        assert conn.data_to_send() == [server(Opcode.CLOSE, close_body(1001)), EOF_]

    def test_close_discards_an_unfinished_message(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.TEXT, b"half", fin=False) + client(Opcode.CLOSE))
        assert [type(e) for e in conn.events_received()] == [CloseReceived, ConnectionClosed]

    def test_answers_to_messages_before_the_close_go_out_before_the_close(self) -> None:
        # Autobahn 7.1.1: a message and a Close arrive in one chunk; the echo must precede our Close.
        conn = Connection()
        conn.receive_data(client(Opcode.TEXT, b"Hello World!") + client(Opcode.CLOSE, close_body(1000)))
        events = conn.events_received()
        assert events == [TextMessage("Hello World!"), CloseReceived(1000, ""),
                          ConnectionClosed(1000, "", clean=True)]
        assert conn.state is CLOSE_RECEIVED
        assert conn.close_expected()
        assert conn.next_deadline() is None
        conn.send_text("Hello World!")
        echo, answer = server(Opcode.TEXT, b"Hello World!"), server(Opcode.CLOSE, close_body(1000))
        assert conn.data_to_send() == [echo, answer, EOF_]
        assert conn.state is CLOSED
        assert conn.data_to_send() == []

    def test_close_received_reads_nothing_more_and_refuses_pings(self) -> None:
        conn = Connection(keepalive_interval=1, idle_timeout=1)
        conn.receive_data(client(Opcode.CLOSE))
        conn.events_received()
        conn.receive_data(client(Opcode.TEXT, b"late"))
        conn.handle_timeout(100)
        assert conn.events_received() == []
        with pytest.raises(LocalProtocolError, match="cannot send a ping in state CLOSE_RECEIVED"):
            conn.send_ping()
        assert conn.data_to_send() == [b"\x88\x00", EOF_]

    def test_application_close_answers_the_peers_close(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE, close_body(1000)))
        conn.send_close(1001, "going away")
        assert conn.state is CLOSED
        assert conn.data_to_send() == [server(Opcode.CLOSE, close_body(1001, "going away")), EOF_]

    def test_eof_before_the_answer_was_collected_still_answers(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE, close_body(1000)))
        conn.receive_eof()
        assert conn.events_received() == [CloseReceived(1000, ""), ConnectionClosed(1000, "", clean=True)]
        assert conn.data_to_send() == [server(Opcode.CLOSE, close_body(1000)), EOF_]
        assert conn.state is CLOSED

    def test_server_initiated_close_waits_for_the_peer_then_closes_tcp(self) -> None:
        conn = Connection()
        conn.send_close(4000, "done")
        assert conn.data_to_send() == [server(Opcode.CLOSE, close_body(4000, "done"))]
        assert conn.state is CLOSING
        assert conn.close_expected()
        # The peer may still send data until it reads our Close; pings are still answered (§5.5.2).
        conn.receive_data(client(Opcode.TEXT, b"in flight") + client(Opcode.PING, b"p"))
        assert conn.events_received() == [TextMessage("in flight"), PingReceived(b"p")]
        assert conn.data_to_send() == [server(Opcode.PONG, b"p")]
        conn.receive_data(client(Opcode.CLOSE, close_body(4000)))
        assert conn.events_received() == [CloseReceived(4000, ""), ConnectionClosed(4000, "", clean=True)]
        assert conn.data_to_send() == [EOF_]  # no second Close frame
        assert conn.state is CLOSED

    def test_failure_while_closing_sends_no_second_close_frame(self) -> None:
        conn = Connection()
        conn.send_close()
        conn.data_to_send()
        conn.receive_data(b"\x81\x00")  # unmasked
        assert conn.events_received() == [ConnectionClosed(1002, "frame is not masked", clean=False)]
        assert conn.data_to_send() == [EOF_]

    @pytest.mark.parametrize(("code", "reason", "message"), [
        (1005, "", "close code 1005 may not be sent"),
        (1006, "", "close code 1006 may not be sent"),
        (999, "", "close code 999 may not be sent"),
        (1000, "é" * 62, "close reason must be <= 123 bytes, got 124"),
    ])
    def test_send_close_refuses_what_may_not_be_sent(self, code: int, reason: str, message: str) -> None:
        conn = Connection()
        with pytest.raises(LocalProtocolError, match=message):
            conn.send_close(code, reason)
        assert conn.state is OPEN

    def test_failure_reason_is_truncated_to_fit_a_control_frame(self) -> None:
        conn = Connection(max_message_size=1)
        conn.receive_data(client(Opcode.BINARY, b"xx"))
        frame = conn.data_to_send()[0]
        assert len(frame) <= 2 + 125
        conn2 = Connection()
        conn2._fail(1002, "é" * 100)
        body = conn2.data_to_send()[0][2:]
        assert body == close_body(1002, "é" * 61)  # 122 bytes: a 2-byte character cannot be cut in half


class TestPingPong:
    """RFC 6455 §5.5.2, §5.5.3."""

    @FEEDERS
    def test_server_answers_ping_with_the_same_payload(self, feed: Feeder) -> None:
        conn = Connection()
        feed(conn, client(Opcode.PING, b"\x00abc" * 31) + client(Opcode.PING))
        assert conn.events_received() == [PingReceived(b"\x00abc" * 31), PingReceived(b"")]
        assert conn.data_to_send() == [server(Opcode.PONG, b"\x00abc" * 31), server(Opcode.PONG)]

    def test_server_ignores_an_unsolicited_pong(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.PONG, b"surprise"))
        assert conn.events_received() == [PongReceived(b"surprise")]
        assert conn.data_to_send() == []
        assert conn.state is OPEN

    def test_send_ping_and_refuse_long_payload(self) -> None:
        conn = Connection()
        conn.send_ping(b"hi")
        assert conn.data_to_send() == [server(Opcode.PING, b"hi")]
        with pytest.raises(LocalProtocolError, match="ping payload must be <= 125 bytes, got 126"):
            conn.send_ping(b"x" * 126)


class TestErrorsToCloseCodes:
    """Errors carry their close codes; close_code_for reads them, and the connection then fails."""

    @pytest.mark.parametrize(("exc", "code", "reason"), [
        (PayloadTooBig("too big"), 1009, "too big"),
        (InvalidUtf8("bad utf-8"), 1007, "bad utf-8"),
        (LocalProtocolError("rsv"), 1002, "rsv"),
        (RemoteProtocolError("x", 1003), 1003, "x"),  # the code the error carries, not one by type
        (LocalProtocolError("policy", 1008), 1008, "policy"),
        (PayloadTooBig("given", 1002), 1002, "given"),
        (RuntimeError("secret detail"), 1011, "internal error"),
        (KeyError("k"), 1011, "internal error"),
    ])
    def test_close_code_for(self, exc: BaseException, code: int, reason: str) -> None:
        assert close_code_for(exc) == (code, reason)

    @pytest.mark.parametrize(("wire", "code", "reason"), [
        (b"\x81\x05Hello", 1002, "frame is not masked"),
        (bytes([0xC1]) + client(Opcode.TEXT, b"a")[1:], 1002,
         "reserved bits must be 0, got rsv=0b100"),
        (bytes([0x83]) + client(Opcode.TEXT, b"a")[1:], 1002, "reserved opcode 0x3"),
        (bytes([0x8B]) + client(Opcode.TEXT, b"a")[1:], 1002, "reserved opcode 0xb"),
        (bytes([0x09]) + client(Opcode.PING)[1:], 1002, "fragmented control frame (PING)"),
        (bytes([0x89, 0xFE, 0x00, 0x7E]) + KEY + bytes(126), 1002,
         "control frame too long (PING, length code 126)"),
        (bytes([0x82, 0xFF, 0x80]) + bytes(7) + KEY, 1002,
         "64-bit length with the most significant bit set: 0x8000000000000000"),
        (bytes([0x82, 0xFE, 0x00, 0x05]) + KEY + bytes(5), 1002, "non-minimal length encoding: 5 in 16 bits"),
        (client(Opcode.TEXT, b"\xc0\xaf"), 1007, "invalid utf-8 at byte 0: c0 (invalid start byte)"),
    ])
    def test_server_fails_with_the_mapped_code(self, wire: bytes, code: int, reason: str) -> None:
        conn = Connection()
        conn.receive_data(wire)
        assert_failing(conn, code, reason)

    def test_unexpected_exception_fails_with_1011_without_details(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        conn = Connection()

        def broken(frame: Frame) -> None:
            raise RuntimeError("secret detail")

        monkeypatch.setattr(conn, "_receive_frame", broken)
        conn.receive_data(client(Opcode.TEXT, b"a"))
        assert_failing(conn, 1011, "internal error")

    def test_failed_connection_ignores_further_input(self) -> None:
        conn = Connection()
        conn.receive_data(b"\x81\x00")
        conn.events_received()
        conn.data_to_send()
        conn.receive_data(client(Opcode.TEXT, b"more"))
        conn.receive_eof()
        assert conn.events_received() == []
        assert conn.data_to_send() == []


class TestSizeLimit:
    """RFC 6455 §10.4 and §7.4.1 (1009): messages over max_message_size fail, before being buffered."""

    def test_message_of_exactly_the_limit_is_accepted(self) -> None:
        conn = Connection(max_message_size=10)
        conn.receive_data(client(Opcode.BINARY, b"x" * 4, fin=False) + client(Opcode.CONT, b"y" * 6))
        conn.receive_data(client(Opcode.TEXT, b"z" * 10))
        assert conn.events_received() == [BinaryMessage(b"xxxxyyyyyy"), TextMessage("z" * 10)]

    def test_single_frame_over_the_limit_fails_from_its_header(self) -> None:
        conn = Connection(max_message_size=10)
        conn.receive_data(client(Opcode.BINARY, b"x" * 11)[:2])
        assert_failing(conn, 1009, "frame payload of 11 bytes exceeds the limit of 10")

    def test_fragmented_message_over_the_limit_fails_at_the_fragment_header(self) -> None:
        conn = Connection(max_message_size=10)
        conn.receive_data(client(Opcode.TEXT, b"x" * 6, fin=False))
        conn.receive_data(client(Opcode.CONT, b"y" * 5)[:2])
        assert_failing(conn, 1009, "message of at least 11 bytes exceeds the limit of 10")

    def test_the_reason_names_the_limit_not_what_is_left_of_it(self) -> None:
        """Issue 11.12: a full allowance used to read "exceeds the limit of 0"."""
        conn = Connection(max_message_size=10)
        conn.receive_data(client(Opcode.BINARY, b"x" * 10, fin=False) + client(Opcode.CONT, b"y")[:2])
        assert_failing(conn, 1009, "message of at least 11 bytes exceeds the limit of 10")

    def test_control_frames_do_not_count_towards_the_message(self) -> None:
        conn = Connection(max_message_size=10)
        conn.receive_data(client(Opcode.TEXT, b"x" * 6, fin=False) + client(Opcode.PING, b"p" * 100)
                          + client(Opcode.CONT, b"y" * 4))
        assert conn.events_received() == [PingReceived(b"p" * 100), TextMessage("xxxxxxyyyy")]

    def test_limit_is_restored_after_a_message(self) -> None:
        conn = Connection(max_message_size=10)
        conn.receive_data(client(Opcode.TEXT, b"x" * 6, fin=False) + client(Opcode.CONT, b"y" * 4)
                          + client(Opcode.BINARY, b"z" * 10))
        assert conn.events_received() == [TextMessage("xxxxxxyyyy"), BinaryMessage(b"z" * 10)]


class TestEof:
    """RFC 6455 §7.1.5: TCP closed without a Close frame is 1006."""

    @pytest.mark.parametrize("pending", [b"", client(Opcode.TEXT, b"abc")[:4]], ids=["idle", "mid-frame"])
    def test_eof_while_open_is_abnormal(self, pending: bytes) -> None:
        conn = Connection()
        conn.receive_data(pending)
        conn.receive_eof()
        assert conn.events_received() == [ConnectionClosed(1006, "", clean=False)]
        assert conn.data_to_send() == [EOF_]
        assert conn.state is CLOSED

    def test_eof_while_closing_is_abnormal(self) -> None:
        conn = Connection()
        conn.send_close()
        conn.data_to_send()
        conn.receive_eof()
        assert conn.events_received() == [ConnectionClosed(1006, "", clean=False)]
        assert conn.data_to_send() == [EOF_]

    def test_eof_after_the_closing_handshake_is_expected(self) -> None:
        conn = Connection()
        conn.receive_data(client(Opcode.CLOSE))
        conn.events_received()
        conn.data_to_send()
        conn.receive_eof()
        assert conn.events_received() == []
        assert conn.data_to_send() == []


class TestStateMachine:
    """TRANSITIONS is the state machine; a missing key is an illegal move."""

    def test_table_covers_every_state(self) -> None:
        assert set(TRANSITIONS) == set(State)

    @pytest.mark.parametrize(("call", "trigger"), [
        (lambda c: c.send_text("x"), Trigger.SEND_MESSAGE),
        (lambda c: c.send_binary(b"x"), Trigger.SEND_MESSAGE),
        (lambda c: c.send_ping(), Trigger.SEND_PING),
        (lambda c: c.send_close(), Trigger.SEND_CLOSE),
    ])
    @pytest.mark.parametrize("state", [CLOSING, CLOSED])
    def test_sending_outside_open_is_refused(
        self, call: Callable[[Connection], None], trigger: Trigger, state: State
    ) -> None:
        conn = Connection()
        conn.state = state
        with pytest.raises(LocalProtocolError, match=f"^cannot {trigger.value} in state {state.name}$"):
            call(conn)
        assert conn.data_to_send() == []

    def test_send_text_and_binary(self) -> None:
        conn = Connection()
        conn.send_text("héllo")
        conn.send_binary(bytearray(b"\x01\x02"))
        assert conn.data_to_send() == [
            server(Opcode.TEXT, "héllo".encode()), server(Opcode.BINARY, b"\x01\x02"),
        ]
        assert not conn.close_expected()

    def test_starts_open_with_no_deadline(self) -> None:
        conn = Connection()
        assert conn.state is OPEN
        assert conn.next_deadline() is None
        assert conn.failure is None


class TestTimers:
    """Keepalive, pong timeout and idle timeout, driven by ``now`` values (no clock reads)."""

    def test_keepalive_ping_after_silence_then_pong_clears_it(self) -> None:
        conn = Connection(keepalive_interval=10, pong_timeout=5, now=100)
        assert conn.next_deadline() == 110
        conn.handle_timeout(109.9)
        assert conn.data_to_send() == []
        conn.handle_timeout(110)
        assert conn.data_to_send() == [server(Opcode.PING, b"\x00\x00\x00\x01")]
        assert conn.next_deadline() == 115
        conn.receive_data(client(Opcode.PONG, b"other"), now=111)
        assert conn.next_deadline() == 115  # a pong with another payload answers nothing
        conn.receive_data(client(Opcode.PONG, b"\x00\x00\x00\x01"), now=112)
        assert conn.next_deadline() == 122
        conn.handle_timeout(122)
        assert conn.data_to_send() == [server(Opcode.PING, b"\x00\x00\x00\x02")]

    def test_missing_pong_drops_the_connection(self) -> None:
        conn = Connection(keepalive_interval=10, pong_timeout=5)
        conn.handle_timeout(10)
        conn.data_to_send()
        conn.handle_timeout(14.9)
        assert conn.state is OPEN
        conn.handle_timeout(15)
        assert conn.events_received() == [ConnectionClosed(1006, "keepalive ping timed out", clean=False)]
        assert conn.data_to_send() == [EOF_]
        assert conn.state is CLOSED
        assert conn.next_deadline() is None

    def test_keepalive_without_pong_timeout_waits_for_ever(self) -> None:
        conn = Connection(keepalive_interval=10)
        conn.handle_timeout(10)
        assert conn.data_to_send() == [server(Opcode.PING, b"\x00\x00\x00\x01")]
        assert conn.next_deadline() is None
        conn.handle_timeout(1000)
        assert conn.data_to_send() == []

    def test_idle_timeout_starts_the_closing_handshake_then_drops(self) -> None:
        conn = Connection(idle_timeout=30)
        assert conn.next_deadline() == 30
        conn.receive_data(client(Opcode.TEXT, b"hi"), now=20)
        assert conn.next_deadline() == 50
        conn.handle_timeout(50)
        assert conn.data_to_send() == [server(Opcode.CLOSE, close_body(1001, "idle timeout"))]
        assert conn.state is CLOSING
        assert conn.next_deadline() == 80
        conn.handle_timeout(79)
        assert conn.state is CLOSING
        conn.handle_timeout(80)
        closed = ConnectionClosed(1006, "closing handshake timed out", clean=False)
        assert conn.events_received()[-1] == closed
        assert conn.data_to_send() == [EOF_]
        conn.handle_timeout(1000)
        assert conn.data_to_send() == []

    def test_keepalive_and_idle_deadlines_combine(self) -> None:
        conn = Connection(keepalive_interval=10, idle_timeout=25)
        assert conn.next_deadline() == 10
        conn.handle_timeout(10)
        assert conn.next_deadline() == 25

    def test_receive_data_without_now_keeps_the_last_time(self) -> None:
        conn = Connection(idle_timeout=30, now=5)
        conn.handle_timeout(20)
        conn.receive_data(client(Opcode.TEXT, b"hi"))
        assert conn.next_deadline() == 50

    def test_closing_without_idle_timeout_has_no_deadline(self) -> None:
        conn = Connection(keepalive_interval=10)
        conn.send_close()
        assert conn.next_deadline() is None
        conn.handle_timeout(100)
        assert conn.state is CLOSING


# Properties

messages = st.lists(
    st.tuples(st.sampled_from(["text", "binary", "ping"]), st.text(max_size=300),
              st.lists(st.integers(min_value=0, max_value=400), max_size=3)),
    max_size=5,
)


def build_stream(spec: list[tuple[str, str, list[int]]]) -> bytes:
    """Client frames for the messages in ``spec``, fragmented at the given cut points, then a Close."""
    out = []
    for kind, text, cuts in spec:
        payload = text.encode()
        if kind == "ping":
            out.append(client(Opcode.PING, payload[:125]))
            continue
        points = sorted({min(c, len(payload)) for c in cuts})
        pieces = [payload[a:b] for a, b in zip([0, *points], [*points, len(payload)], strict=True)]
        opcode = Opcode.TEXT if kind == "text" else Opcode.BINARY
        for i, piece in enumerate(pieces):
            out.append(client(opcode if i == 0 else Opcode.CONT, piece, fin=i == len(pieces) - 1))
    out.append(client(Opcode.CLOSE, close_body(1000)))
    return b"".join(out)


@given(spec=messages, data=st.data())
def test_any_chunking_gives_the_same_events_and_output(spec: list[tuple[str, str, list[int]]],
                                                       data: st.DataObject) -> None:
    stream = build_stream(spec)
    reference = Connection()
    reference.receive_data(stream)
    expected = (reference.events_received(), reference.data_to_send())
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=12)))
    conn, last = Connection(), 0
    for cut in [*cuts, len(stream)]:
        conn.receive_data(stream[last:cut])
        last = cut
    assert (conn.events_received(), conn.data_to_send()) == expected
    assert expected[0][-1] == ConnectionClosed(1000, "", clean=True)


@given(garbage=st.binary(max_size=200), masked=st.booleans())
def test_any_input_ends_in_events_never_in_an_exception(garbage: bytes, masked: bool) -> None:
    if masked and garbage:
        garbage = bytes([garbage[0], (garbage[1] if len(garbage) > 1 else 0) | 0x80]) + garbage[2:]
    for chunking in (whole, byte_by_byte):
        conn = Connection(max_message_size=1000)
        chunking(conn, garbage)
        conn.receive_eof()
        events = conn.events_received()
        assert isinstance(events[-1], ConnectionClosed)
        assert sum(isinstance(e, ConnectionClosed) for e in events) == 1
        assert conn.data_to_send()[-1] == EOF_
