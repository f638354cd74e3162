"""The states of an Engine.IO session and the table of legal moves between them.

``Session`` (``session.py``) changes state only through ``TRANSITIONS[state][trigger]``. A missing key is
a request the session cannot take in that state; ``ILLEGAL`` names the ``Problem`` it is reported as (a
polling request after the upgrade is "Bad request", a second WebSocket is refused, anything for a closed
session is "Session ID unknown").
"""

from __future__ import annotations

from enum import Enum

from reference.core.eio.reactions import Problem

__all__ = ["CLOSED", "ILLEGAL", "POLLING", "PROBING", "TRANSITIONS", "UPGRADING", "WEBSOCKET", "State",
           "Trigger"]


# engine.io-protocol README "Transports" and "Upgrade"
class State(Enum):
    """Where a session is on its way from polling to WebSocket."""

    #: On HTTP long-polling; no WebSocket.
    POLLING = "polling"
    #: Still on polling; a WebSocket with the session's sid is open, its ``2probe`` not received yet.
    PROBING = "probing"
    #: ``3probe`` answered the probe: pending GETs get a ``noop`` at once; ``5`` on the WebSocket ends it.
    UPGRADING = "upgrading"
    #: On WebSocket (directly, or after the upgrade); polling requests are refused.
    WEBSOCKET = "websocket"
    #: Over; its sid is unknown from now on.
    CLOSED = "closed"


POLLING, PROBING, UPGRADING = State.POLLING, State.PROBING, State.UPGRADING
WEBSOCKET, CLOSED = State.WEBSOCKET, State.CLOSED


class Trigger(Enum):
    """What can happen to a session: requests and packets of the client, timers, the application."""

    GET = "hold a polling GET"
    POST = "take a polling POST"
    ATTACH_PROBE = "attach a WebSocket with the session's sid"
    PROBE = "receive 2probe on the probing WebSocket"
    UPGRADE = "receive 5 on the probing WebSocket"
    DROP_PROBE = "drop the probing WebSocket"
    WS_PACKET = "receive a packet on the session's WebSocket"
    SEND = "send a message"
    PING = "send a ping"
    CLOSE = "close the session"



#: The state machine; a missing key is an illegal move (``ILLEGAL`` says how it is reported).
TRANSITIONS: dict[State, dict[Trigger, State]] = {
    POLLING: {Trigger.GET: POLLING, Trigger.POST: POLLING, Trigger.ATTACH_PROBE: PROBING,
              Trigger.SEND: POLLING, Trigger.PING: POLLING, Trigger.CLOSE: CLOSED},
    PROBING: {Trigger.GET: PROBING, Trigger.POST: PROBING, Trigger.PROBE: UPGRADING,
              Trigger.DROP_PROBE: POLLING, Trigger.SEND: PROBING, Trigger.PING: PROBING,
              Trigger.CLOSE: CLOSED},
    # README "Upgrade": the client "MUST pause the HTTP long-polling transport", yet a GET it left pending
    # or sends anyway is still taken (and answered at once).
    UPGRADING: {Trigger.GET: UPGRADING, Trigger.POST: UPGRADING, Trigger.UPGRADE: WEBSOCKET,
                Trigger.DROP_PROBE: POLLING, Trigger.SEND: UPGRADING, Trigger.PING: UPGRADING,
                Trigger.CLOSE: CLOSED},
    WEBSOCKET: {Trigger.WS_PACKET: WEBSOCKET, Trigger.SEND: WEBSOCKET, Trigger.PING: WEBSOCKET,
                Trigger.CLOSE: CLOSED},
    CLOSED: {},
}

#: How a missing key is reported, by trigger (for a CLOSED session, always ``UNKNOWN_SID``).
ILLEGAL: dict[Trigger, Problem] = {
    Trigger.GET: Problem.TRANSPORT_MISMATCH,
    Trigger.POST: Problem.TRANSPORT_MISMATCH,
    Trigger.ATTACH_PROBE: Problem.ALREADY_UPGRADING,
    Trigger.PROBE: Problem.BAD_PROBE,
    Trigger.UPGRADE: Problem.BAD_PROBE,
    Trigger.DROP_PROBE: Problem.BAD_PROBE,
    Trigger.WS_PACKET: Problem.UNEXPECTED_PACKET,
}
