"""Every way an Engine.IO request or packet can be wrong, and the one reaction to each (one table).

The protocol README fixes the status for some ("the server MUST return an HTTP 400 response if the session
ID ... is not known"); the JSON error bodies and their codes 0..5 are those of the reference
implementation, the npm ``engine.io`` server (``Server.errors`` and ``Server.errorMessages``):
``{"code":1,"message":"Session ID unknown"}`` with HTTP 400 (403 for code 4).

A ``Problem`` is raised as ``EioError``; the server looks its ``Reaction`` up in ``REACTIONS`` and does
exactly that: answer the HTTP request with ``status`` and the JSON body (``http_body``), or, on a WebSocket,
close it with ``ws_close_code``; and close the whole session when ``closes_session`` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum, IntEnum

from reference.core.errors import LocalProtocolError

__all__ = ["REACTIONS", "EioError", "ErrorCode", "Problem", "Reaction", "http_body"]


class ErrorCode(IntEnum):
    """The npm engine.io server's error codes (``Server.errors``), sent in 400/403 JSON bodies."""

    UNKNOWN_TRANSPORT = 0
    UNKNOWN_SID = 1
    BAD_HANDSHAKE_METHOD = 2
    BAD_REQUEST = 3
    FORBIDDEN = 4
    UNSUPPORTED_PROTOCOL_VERSION = 5


#: The npm engine.io server's ``Server.errorMessages``.
MESSAGES = {
    ErrorCode.UNKNOWN_TRANSPORT: "Transport unknown",
    ErrorCode.UNKNOWN_SID: "Session ID unknown",
    ErrorCode.BAD_HANDSHAKE_METHOD: "Bad handshake method",
    ErrorCode.BAD_REQUEST: "Bad request",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}


class Problem(Enum):
    """Everything a client can get wrong."""

    MISSING_EIO = "no EIO query parameter"
    UNSUPPORTED_EIO = "EIO is not 4"
    UNKNOWN_TRANSPORT = "transport missing or not polling/websocket"
    HANDSHAKE_NOT_GET = "a handshake (no sid) that is not a GET"
    BAD_METHOD = "a polling request that is neither GET nor POST"
    UNKNOWN_SID = "a sid that names no open session"
    TRANSPORT_MISMATCH = "a polling request for a session that is not on polling"
    ALREADY_UPGRADING = "a second WebSocket for a session (probing or upgraded)"
    FORBIDDEN_ORIGIN = "an Origin not in the allow-list"
    DUPLICATE_GET = "a second GET while one is held"
    DUPLICATE_POST = "a second POST while one is handled"
    BAD_PAYLOAD = "a POST body that is not a valid payload (or not UTF-8)"
    BAD_FRAME = "a WebSocket frame that is not a valid packet"
    UNEXPECTED_PACKET = "a packet a client never sends in this state (open, ping outside a probe, upgrade)"
    BAD_PROBE = "a probing WebSocket sends anything but 2probe then 5"
    TOO_MANY_SESSIONS = "the server holds its most sessions"


@dataclass(frozen=True, slots=True)
class Reaction:
    """What the server does about a ``Problem``.

    Attributes:
        status: HTTP status answering the request.
        code: The engine.io error code in the JSON body.
        closes_session: The session is closed too (README: "return an HTTP 400 error status and close the
            session" for a duplicate GET or POST).
        ws_close_code: Close code when the problem arrives on a WebSocket already open.
        accept_then_close: On a WebSocket upgrade request: complete the opening handshake, then close the
            WebSocket with ``ws_close_code`` (instead of refusing the upgrade with ``status``).
    """

    status: int
    code: ErrorCode
    closes_session: bool = False
    ws_close_code: int = 1002
    accept_then_close: bool = False


REACTIONS: dict[Problem, Reaction] = {
    # README "Transports": "If a mandatory query parameter is missing, then the server MUST respond with an
    # HTTP 400 error status." (on WebSocket: "the server MUST close the WebSocket connection", done by
    # refusing the upgrade with the same 400).
    Problem.MISSING_EIO: Reaction(400, ErrorCode.UNSUPPORTED_PROTOCOL_VERSION),
    Problem.UNSUPPORTED_EIO: Reaction(400, ErrorCode.UNSUPPORTED_PROTOCOL_VERSION),
    Problem.UNKNOWN_TRANSPORT: Reaction(400, ErrorCode.UNKNOWN_TRANSPORT),
    Problem.HANDSHAKE_NOT_GET: Reaction(400, ErrorCode.BAD_HANDSHAKE_METHOD),
    Problem.BAD_METHOD: Reaction(400, ErrorCode.BAD_REQUEST),
    # README "Sending data" / "Receiving data": "The server MUST return an HTTP 400 response if the session
    # ID (from the `sid` query parameter) is not known."
    Problem.UNKNOWN_SID: Reaction(400, ErrorCode.UNKNOWN_SID),
    Problem.TRANSPORT_MISMATCH: Reaction(400, ErrorCode.BAD_REQUEST),
    # README "WebSocket": "A client MUST NOT open more than one WebSocket connection per session. Should it
    # happen, the server MUST close the WebSocket connection." So the WebSocket is opened, then closed (as
    # the engine.io server does; the official suite's test "ignores WebSocket connection with same sid after
    # upgrade" fails on a refused upgrade). RFC 6455 §7.4.1: 1008 "indicates that an endpoint is terminating
    # the connection because it has received a message that violates its policy".
    Problem.ALREADY_UPGRADING: Reaction(400, ErrorCode.BAD_REQUEST, ws_close_code=1008,
                                        accept_then_close=True),
    Problem.FORBIDDEN_ORIGIN: Reaction(403, ErrorCode.FORBIDDEN),
    # README "Receiving data": "a client MUST NOT have more than one active `GET` request. Should it happen,
    # the server MUST return an HTTP 400 error status and close the session."
    Problem.DUPLICATE_GET: Reaction(400, ErrorCode.BAD_REQUEST, closes_session=True),
    # README "Sending data": the same words for `POST`.
    Problem.DUPLICATE_POST: Reaction(400, ErrorCode.BAD_REQUEST, closes_session=True),
    Problem.BAD_PAYLOAD: Reaction(400, ErrorCode.BAD_REQUEST, closes_session=True),
    Problem.BAD_FRAME: Reaction(400, ErrorCode.BAD_REQUEST, closes_session=True),
    Problem.UNEXPECTED_PACKET: Reaction(400, ErrorCode.BAD_REQUEST, closes_session=True),
    # The probing WebSocket is closed; the session goes on over polling (the engine.io server does so).
    Problem.BAD_PROBE: Reaction(400, ErrorCode.BAD_REQUEST),
    Problem.TOO_MANY_SESSIONS: Reaction(503, ErrorCode.BAD_REQUEST, ws_close_code=1013),
}


class EioError(LocalProtocolError):
    """A client broke an Engine.IO rule; ``REACTIONS[problem]`` is what to do.

    Args:
        problem: Which rule.
        detail: Short, lower-case description showing the offending value.
    """

    def __init__(self, problem: Problem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.reaction = REACTIONS[problem]


def http_body(code: ErrorCode, message: str | None = None) -> bytes:
    """The JSON body of an error answer: ``{"code":1,"message":"Session ID unknown"}``."""
    text = MESSAGES[code] if message is None else message
    return json.dumps({"code": int(code), "message": text}, separators=(",", ":")).encode("utf-8")
