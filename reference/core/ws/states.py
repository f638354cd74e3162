"""The states of a server-side WebSocket connection and the table of legal moves between them.

``Connection`` (``protocol.py``) changes state only through ``TRANSITIONS[state][trigger]``; a missing key
is an illegal move, which it reports as ``LocalProtocolError``. The table is data, so it can be read,
tested and drawn on its own.
"""

from __future__ import annotations

from enum import Enum, IntEnum

__all__ = ["CLOSED", "CLOSE_RECEIVED", "CLOSING", "FAILING", "NOT_READING", "OPEN", "TRANSITIONS", "State",
           "Trigger"]


# RFC 6455, Section 7.1 (CLOSING, CLOSED)
class State(IntEnum):
    """Connection states; CLOSE_RECEIVED splits RFC 6455's CLOSING by who sent the first Close.

    RFC 6455's CONNECTING has no state here: the opening handshake is ``handshake.negotiate``, a pure
    function, and a ``Connection`` is created once the 101 is sent, so it starts OPEN.
    """

    #: Messages flow both ways.
    OPEN = 1
    #: We sent a Close frame and wait for the peer's Close frame or TCP close.
    CLOSING = 2
    #: The connection is over; nothing more is sent or read.
    CLOSED = 3
    #: The peer sent a Close frame first; nothing more is read, and our answer goes out with the next
    #: ``data_to_send()``. Messages may still be sent until then.
    CLOSE_RECEIVED = 4
    #: We failed the connection on bad input; nothing more is read, and our Close goes out with the next
    #: ``data_to_send()``. Messages answering those received before the error may still be sent until then.
    FAILING = 5


OPEN, CLOSING, CLOSED = State.OPEN, State.CLOSING, State.CLOSED
CLOSE_RECEIVED, FAILING = State.CLOSE_RECEIVED, State.FAILING
#: States in which input is no longer read (RFC 6455 §1.4: "a peer discards any further data received").
NOT_READING = frozenset({CLOSED, CLOSE_RECEIVED, FAILING})


class Trigger(Enum):
    """What can happen to a connection: calls of the application and input from the peer."""

    SEND_MESSAGE = "send a message"
    SEND_PING = "send a ping"
    SEND_CLOSE = "send a close frame"
    RECEIVE_DATA = "receive a data frame"
    RECEIVE_PING = "receive a ping"
    RECEIVE_PONG = "receive a pong"
    RECEIVE_CLOSE = "receive a close frame"
    ANSWER_CLOSE = "answer a close frame"
    SEND_FAILURE = "send the close frame that fails the connection"
    FAIL = "fail the connection"
    EOF = "see the tcp connection close"
    KEEPALIVE = "send a keepalive ping"
    TIMEOUT = "time out"

    # Members are singletons compared by identity: hash them by identity too (C), not by name (Enum's
    # __hash__ is Python code, run twice per message through TRANSITIONS).
    __hash__ = object.__hash__


#: The state machine; a missing key is an illegal move.
TRANSITIONS: dict[State, dict[Trigger, State]] = {
    OPEN: {
        Trigger.SEND_MESSAGE: OPEN,
        Trigger.SEND_PING: OPEN,
        Trigger.SEND_CLOSE: CLOSING,
        Trigger.RECEIVE_DATA: OPEN,
        Trigger.RECEIVE_PING: OPEN,
        Trigger.RECEIVE_PONG: OPEN,
        Trigger.RECEIVE_CLOSE: CLOSE_RECEIVED,
        Trigger.FAIL: FAILING,
        Trigger.EOF: CLOSED,
        Trigger.KEEPALIVE: OPEN,
        Trigger.TIMEOUT: CLOSED,  # pong timeout: drop
    },
    CLOSING: {
        # RFC 6455 §5.5.1: after sending a Close frame, "The application MUST NOT send any more data
        # frames"; the peer may still send until it reads our Close.
        Trigger.RECEIVE_DATA: CLOSING,
        Trigger.RECEIVE_PING: CLOSING,
        Trigger.RECEIVE_PONG: CLOSING,
        Trigger.RECEIVE_CLOSE: CLOSED,
        Trigger.FAIL: CLOSED,
        Trigger.EOF: CLOSED,
        Trigger.TIMEOUT: CLOSED,  # closing handshake timeout: drop
    },
    CLOSE_RECEIVED: {
        Trigger.SEND_MESSAGE: CLOSE_RECEIVED,  # answers to messages that came before the Close
        Trigger.SEND_CLOSE: CLOSED,  # the application's Close is the answer
        Trigger.ANSWER_CLOSE: CLOSED,  # data_to_send() or receive_eof() answers with the echo
    },
    FAILING: {
        Trigger.SEND_MESSAGE: FAILING,  # answers to messages that came before the error
        Trigger.SEND_FAILURE: CLOSED,  # data_to_send() sends the Close
        Trigger.EOF: CLOSED,
    },
    CLOSED: {
        Trigger.EOF: CLOSED,
    },
}
