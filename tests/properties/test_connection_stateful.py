"""A stateful test of the connection state machine against a small model of RFC 6455 §5-§7 (server role).

The model knows the four states the application can see, what each client input and application call
does in each, which events are reported and which frames go out (compared on every flush).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conformance.wire.wsframes import CLOSE, PING, frame
from fuzz.strategies import Expected, Invalid, Traffic, close_codes, invalid_frames, mask_keys, valid_messages
from reference.core.errors import LocalProtocolError
from reference.core.ws.events import (
    BinaryMessage,
    CloseReceived,
    ConnectionClosed,
    Event,
    PingReceived,
    PongReceived,
    TextMessage,
)
from reference.core.ws.frames import FrameParser
from reference.core.ws.opcodes import Opcode
from reference.core.ws.protocol import Connection

OPEN, CLOSING, CLOSE_RECEIVED, FAILING, CLOSED = "OPEN", "CLOSING", "CLOSE_RECEIVED", "FAILING", "CLOSED"
Out = tuple[object, ...]


class ConnectionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.conn = Connection()
        self.state = OPEN
        self.events: list[object] = []
        self.out: list[Out] = []
        self.close_answer = b""
        self.failure_code = 0

    # -- client input ------------------------------------------------------------------------------

    def _receive(self, data: bytes) -> None:
        self.conn.receive_data(data)

    @rule(traffic=valid_messages())
    def client_sends_a_message(self, traffic: Traffic) -> None:
        self._receive(traffic.data)
        if self.state in (OPEN, CLOSING):
            self.events.extend(summarize(e) for e in traffic.events)
            self.out.extend(("PONG", e.value) for e in traffic.events if e.kind == "ping")

    @rule(payload=st.binary(max_size=125), key=mask_keys)
    def client_pings(self, payload: bytes, key: bytes) -> None:
        self._receive(frame(PING, payload, mask_key=key))
        if self.state in (OPEN, CLOSING):
            self.events.append(("ping", payload))
            self.out.append(("PONG", payload))  # RFC 6455 §5.5.2: "MUST send a Pong frame in response"

    @rule(code=st.none() | close_codes(), key=mask_keys)
    def client_closes(self, code: int | None, key: bytes) -> None:
        body = b"" if code is None else struct.pack("!H", code) + b"ok"
        self._receive(frame(CLOSE, body, mask_key=key))
        if self.state not in (OPEN, CLOSING):
            return
        self.events += [("close", code, "" if code is None else "ok"), ("closed", code or 1005, True)]
        if self.state == OPEN:
            self.state, self.close_answer = CLOSE_RECEIVED, body[:2]
        else:
            self.state = CLOSED
            self.out.append(("EOF",))

    @rule(invalid=invalid_frames())
    def client_breaks_a_rule(self, invalid: Invalid) -> None:
        self._receive(b"".join(invalid.frames))
        if self.state not in (OPEN, CLOSING):
            return
        self.events.append(("closed", invalid.code, False))
        if self.state == OPEN:  # RFC 6455 §7.1.7: a Close with the code (after the answers), then TCP close
            self.state, self.failure_code = FAILING, invalid.code
        else:
            self.out.append(("EOF",))
            self.state = CLOSED

    @rule()
    def client_closes_tcp(self) -> None:
        if self.state in (CLOSE_RECEIVED, FAILING):
            self._answer()
        elif self.state in (OPEN, CLOSING):
            self.events.append(("closed", 1006, False))  # RFC 6455 §7.1.5: no Close frame: 1006
            self.out.append(("EOF",))
            self.state = CLOSED
        self.conn.receive_eof()

    # -- application calls -------------------------------------------------------------------------

    def _allowed(self, call: Callable[[], None], *states: str) -> bool:
        try:
            call()
        except LocalProtocolError:
            assert self.state not in states, f"refused in {self.state}"
            return False
        assert self.state in states, f"allowed in {self.state}"
        return True

    @rule(text=st.text(max_size=20))
    def app_sends_text(self, text: str) -> None:
        if self._allowed(lambda: self.conn.send_text(text), OPEN, CLOSE_RECEIVED, FAILING):
            self.out.append(("TEXT", text.encode()))

    @rule(payload=st.binary(max_size=125))
    def app_pings(self, payload: bytes) -> None:
        if self._allowed(lambda: self.conn.send_ping(payload), OPEN):
            self.out.append(("PING", payload))

    @rule(code=close_codes())
    def app_closes(self, code: int) -> None:
        if not self._allowed(lambda: self.conn.send_close(code, "bye"), OPEN, CLOSE_RECEIVED):
            return
        self.out.append(("CLOSE", code))
        if self.state == OPEN:
            self.state = CLOSING
        else:
            self.out.append(("EOF",))
            self.state = CLOSED

    # -- output ------------------------------------------------------------------------------------

    def _answer(self) -> None:
        """The Close that goes out with the next data_to_send(): the echo of the peer's, or our failure."""
        if self.state == FAILING:
            code: int | None = self.failure_code
        else:
            code = struct.unpack("!H", self.close_answer)[0] if self.close_answer else None
        self.out += [("CLOSE", code), ("EOF",)]
        self.state = CLOSED

    @rule()
    def flush(self) -> None:
        if self.state in (CLOSE_RECEIVED, FAILING):
            self._answer()  # the echo of the peer's Close, or our failing Close, goes out now
        got: list[Out] = []
        for chunk in self.conn.data_to_send():
            if chunk == b"":
                got.append(("EOF",))
                continue
            for fr in FrameParser(mask=False).feed(chunk):
                if fr.opcode is Opcode.CLOSE:
                    got.append(("CLOSE", int.from_bytes(fr.payload[:2], "big") if fr.payload else None))
                else:
                    got.append((fr.opcode.name, fr.payload))
        assert got == self.out
        self.out = []

    @invariant()
    def events_match(self) -> None:
        got = [summarize(e) for e in self.conn.events_received()]
        assert got == self.events
        self.events = []

    @invariant()
    def state_matches(self) -> None:
        assert self.conn.state.name == self.state
        assert self.conn.close_expected() == (self.state != OPEN)


def summarize(item: Expected | Event) -> tuple[object, ...]:
    """Expected events and the connection's events as comparable tuples (failure reasons left out)."""
    if isinstance(item, Expected):
        return (item.kind, item.value, item.reason) if item.kind == "close" else (item.kind, item.value)
    if isinstance(item, ConnectionClosed):
        return ("closed", item.code, item.clean)
    if isinstance(item, CloseReceived):
        return ("close", item.code, item.reason)
    if isinstance(item, TextMessage):
        return ("text", item.text)
    if isinstance(item, BinaryMessage):
        return ("binary", item.data)
    kind = "ping" if isinstance(item, PingReceived) else "pong"
    assert isinstance(item, (PingReceived, PongReceived))
    return (kind, item.payload)


TestConnection = ConnectionMachine.TestCase
