"""The connection state of one namespace on one Engine.IO session, and the table of legal moves.

``session.Session`` changes a namespace's state only through ``TRANSITIONS[state][trigger]``. A missing key
is an illegal move: for a packet from the peer it is ``InvalidState`` (the session is closed, as the
reference server closes the connection on a packet its state does not allow), for a call of the
application it is ``ApiError``. A namespace the session never heard of is NOT_CONNECTED.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["RECEIVED", "TRANSITIONS", "NspState", "Trigger"]


class NspState(Enum):
    """Where a namespace stands on a session."""

    #: No CONNECT yet, or refused, or disconnected.
    NOT_CONNECTED = "not connected"
    #: A CONNECT arrived; the application has not decided yet (``accept`` / ``refuse``).
    CONNECTING = "connecting"
    #: Accepted: a CONNECT with the sid went out; events and acks flow both ways.
    CONNECTED = "connected"


class Trigger(Enum):
    """What can happen to a namespace: packets from the peer, calls of the application, the transport."""

    RECEIVE_CONNECT = "receive CONNECT"
    RECEIVE_DISCONNECT = "receive DISCONNECT"
    RECEIVE_EVENT = "receive EVENT"
    RECEIVE_ACK = "receive ACK"
    RECEIVE_CONNECT_ERROR = "receive CONNECT_ERROR"
    ACCEPT = "accept the connection"
    REFUSE = "refuse the connection"
    SEND_EVENT = "send EVENT"
    SEND_ACK = "send ACK"
    SEND_DISCONNECT = "send DISCONNECT"
    TRANSPORT_CLOSE = "the Engine.IO session closes"


#: Triggers that come from the peer (a missing move is the peer's fault).
RECEIVED = frozenset({Trigger.RECEIVE_CONNECT, Trigger.RECEIVE_DISCONNECT, Trigger.RECEIVE_EVENT,
                      Trigger.RECEIVE_ACK, Trigger.RECEIVE_CONNECT_ERROR})

NOT_CONNECTED, CONNECTING, CONNECTED = NspState.NOT_CONNECTED, NspState.CONNECTING, NspState.CONNECTED

#: The state machine; a missing key is an illegal move.
TRANSITIONS: dict[NspState, dict[Trigger, NspState]] = {
    NOT_CONNECTED: {
        # socket.io-protocol: "At the beginning of a Socket.IO session, the client MUST send a CONNECT
        # packet" ... "If the server does not receive a CONNECT packet first, then it MUST close the
        # connection immediately." Every other packet is missing here.
        Trigger.RECEIVE_CONNECT: CONNECTING,
        Trigger.TRANSPORT_CLOSE: NOT_CONNECTED,
    },
    CONNECTING: {
        # "The server MUST respond with either: a CONNECT packet ... or a CONNECT_ERROR packet"
        Trigger.ACCEPT: CONNECTED,
        Trigger.REFUSE: NOT_CONNECTED,
        Trigger.TRANSPORT_CLOSE: NOT_CONNECTED,
    },
    CONNECTED: {
        Trigger.RECEIVE_EVENT: CONNECTED,
        Trigger.RECEIVE_ACK: CONNECTED,
        Trigger.SEND_EVENT: CONNECTED,
        Trigger.SEND_ACK: CONNECTED,
        # "At any time, one side can end the connection to a namespace by sending a DISCONNECT packet"
        Trigger.RECEIVE_DISCONNECT: NOT_CONNECTED,
        Trigger.SEND_DISCONNECT: NOT_CONNECTED,
        Trigger.TRANSPORT_CLOSE: NOT_CONNECTED,
    },
}
