"""The one table of reactions (reference/core/eio/reactions.py) and the query routing (handshake.py)."""

from __future__ import annotations

import json

import pytest

from reference.core.eio.handshake import EioConfig, Route, Transport, route
from reference.core.eio.reactions import MESSAGES, REACTIONS, EioError, ErrorCode, Problem, http_body


def test_every_problem_has_one_reaction() -> None:
    assert set(REACTIONS) == set(Problem)
    assert set(MESSAGES) == set(ErrorCode)


@pytest.mark.parametrize(("problem", "status", "code", "closes"), [
    # README: "The server MUST return an HTTP 400 response if the session ID ... is not known."
    (Problem.UNKNOWN_SID, 400, ErrorCode.UNKNOWN_SID, False),
    # README: a second active GET / POST: "return an HTTP 400 error status and close the session"
    (Problem.DUPLICATE_GET, 400, ErrorCode.BAD_REQUEST, True),
    (Problem.DUPLICATE_POST, 400, ErrorCode.BAD_REQUEST, True),
    (Problem.MISSING_EIO, 400, ErrorCode.UNSUPPORTED_PROTOCOL_VERSION, False),
    (Problem.FORBIDDEN_ORIGIN, 403, ErrorCode.FORBIDDEN, False),
    (Problem.BAD_PAYLOAD, 400, ErrorCode.BAD_REQUEST, True),
])
def test_reactions_follow_the_readme_and_the_reference(problem: Problem, status: int, code: ErrorCode,
                                                       closes: bool) -> None:
    reaction = REACTIONS[problem]
    assert (reaction.status, reaction.code, reaction.closes_session) == (status, code, closes)


def test_error_body_is_the_reference_json() -> None:
    assert http_body(ErrorCode.UNKNOWN_SID) == b'{"code":1,"message":"Session ID unknown"}'
    assert json.loads(http_body(ErrorCode.BAD_REQUEST, "x")) == {"code": 3, "message": "x"}


@pytest.mark.parametrize(("method", "query", "upgrade", "expected"), [
    ("GET", {"EIO": "4", "transport": "polling"}, False, Route(Transport.POLLING, None)),
    ("POST", {"EIO": "4", "transport": "polling", "sid": "s", "t": "1"},
     False, Route(Transport.POLLING, "s")),
    ("GET", {"EIO": "4", "transport": "websocket"}, True, Route(Transport.WEBSOCKET, None)),
    ("GET", {"EIO": "4", "transport": "websocket", "sid": "s"}, True, Route(Transport.WEBSOCKET, "s")),
    ("GET", {"EIO": "4"}, False, Problem.UNKNOWN_TRANSPORT),
    ("GET", {"transport": "polling"}, False, Problem.MISSING_EIO),
    ("GET", {"EIO": "3", "transport": "polling"}, False, Problem.UNSUPPORTED_EIO),
    ("POST", {"EIO": "4", "transport": "polling"}, False, Problem.HANDSHAKE_NOT_GET),
    ("DELETE", {"EIO": "4", "transport": "polling", "sid": "s"}, False, Problem.BAD_METHOD),
    ("GET", {"EIO": "4", "transport": "websocket"}, False, Problem.TRANSPORT_MISMATCH),
    ("GET", {"EIO": "4", "transport": "polling"}, True, Problem.TRANSPORT_MISMATCH),
])
def test_route(method: str, query: dict[str, str], upgrade: bool, expected: Route | Problem) -> None:
    if isinstance(expected, Route):
        assert route(method, query, upgrade=upgrade) == expected
    else:
        with pytest.raises(EioError) as info:
            route(method, query, upgrade=upgrade)
        assert info.value.problem is expected


def test_config_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="ping_interval"):
        EioConfig(ping_interval=0)
