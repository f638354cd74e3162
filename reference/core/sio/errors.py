"""Every malformed or out-of-place Socket.IO input, and the one reaction each gets.

The tree::

    SioError                 reaction
    ├── MalformedPacket      CLOSE_SESSION  the text does not parse, or its payload breaks the type's rule
    ├── AttachmentError      CLOSE_SESSION  binary attachments: too many, too big, missing, unexpected,
    │                                       or placeholders that do not match them
    ├── InvalidState         CLOSE_SESSION  a packet the namespace's state does not allow (states.py)
    ├── UnknownAck           IGNORE         an ACK whose id we never sent, or already resolved
    └── ApiError             (raised)       the application asked for an illegal move (not peer input)

``reaction_for`` is the only place that turns an error into a reaction; the session (``session.py``)
calls it for every error met while reading input. CLOSE_SESSION means the Engine.IO session is closed
at once (socket.io-protocol: "If that's not the case, then the receiver MUST close the connection"; the
reference server does the same for every parse error and every packet its state does not allow).
IGNORE drops the packet and keeps the session.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["ApiError", "AttachmentError", "InvalidState", "MalformedPacket", "Reaction", "SioError",
           "UnknownAck", "reaction_for"]


class Reaction(Enum):
    """What the server does about a bad input."""

    CLOSE_SESSION = "close the Engine.IO session"
    IGNORE = "ignore the packet"


class SioError(Exception):
    """A Socket.IO rule was broken; ``reaction`` says what the server does about it.

    Args:
        msg: Short, lower-case description showing the offending value.
    """

    reaction = Reaction.CLOSE_SESSION

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


class MalformedPacket(SioError):
    """The packet text does not follow ``<type>[<n>-][<nsp>,][<id>][<json>]`` or its payload rule."""


class AttachmentError(SioError):
    """Binary attachments do not match their packet, or pass the configured bounds."""


class InvalidState(SioError):
    """A well-formed packet that the namespace's connection state does not allow."""


class UnknownAck(SioError):
    """An ACK for an id that is not pending; the packet is dropped."""

    reaction = Reaction.IGNORE


class ApiError(SioError):
    """The application asked for something illegal (e.g. emit on a namespace that is not connected)."""


def reaction_for(exc: BaseException) -> Reaction:
    """The reaction to an error met while reading input; anything that is not a ``SioError`` is a bug of
    ours, and the session is closed rather than left in an unknown state."""
    if isinstance(exc, SioError):
        return exc.reaction
    return Reaction.CLOSE_SESSION
