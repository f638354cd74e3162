#!/usr/bin/env python3
"""Fuzz the opening handshake: bytes -> h11 (as the reference server reads them) -> ``negotiate``.

Input: byte 0 configures the server (bit 0: supports subprotocols "chat" and "superchat"; bit 1: allows
only the origin "http://ok.example"); the rest is the request head. Invariants:

1. h11 raises only ``h11.RemoteProtocolError``; ``negotiate`` never raises;
2. an ``Accept`` has Upgrade/Connection headers, ``Sec-WebSocket-Accept`` computed from the request's
   only ``Sec-WebSocket-Key`` (16 bytes of canonical base64), and a subprotocol the client offered and the
   server supports (the header present exactly when one was chosen);
3. a ``Reject`` is 400, 403 (only with allowed origins) or 426 (only with a Sec-WebSocket-Version: 13
   header in the answer), with a non-empty reason;
4. the decision does not depend on the case of header names (RFC 7230 §3.2: "Each header field consists
   of a case-insensitive field name").
"""

from __future__ import annotations

import base64

import h11

from fuzz._harness import atheris_main, check, split_config
from reference.core.ws.handshake import Accept, Reject, Request, accept_key, negotiate

__all__ = ["decide", "read_request", "test_one_input"]

SUBPROTOCOLS = ("chat", "superchat")
ORIGINS = ("http://ok.example",)


def read_request(head: bytes) -> Request | None:
    """Parse ``head`` with h11 as the reference server does; None if it is not a complete request head."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
    try:
        conn.receive_data(head)
        event = conn.next_event()
    except h11.RemoteProtocolError:
        return None
    if not isinstance(event, h11.Request):
        return None
    return Request(
        method=event.method.decode("ascii"),
        target=event.target.decode("ascii", "replace"),
        http_version=event.http_version.decode("ascii"),
        headers=tuple((name.decode("ascii"), value.decode("latin-1"))
                      for name, value in event.headers.raw_items()),
    )


def decide(request: Request, config: int) -> Accept | Reject:
    """``negotiate`` with the server configuration chosen by the bits of ``config``."""
    return negotiate(request, subprotocols=SUBPROTOCOLS if config & 1 else (),
                     allowed_origins=ORIGINS if config & 2 else None)


def _values(request: Request, name: str) -> list[str]:
    return [v for k, v in request.headers if k.lower() == name]


def _check_accept(request: Request, accept: Accept, config: int) -> None:
    headers = {k.lower(): v for k, v in accept.headers}
    check(headers.get("upgrade") == "websocket" and headers.get("connection") == "Upgrade",
          f"accept without upgrade headers: {accept.headers!r}")
    keys = _values(request, "sec-websocket-key")
    check(len(keys) == 1, f"accepted with {len(keys)} sec-websocket-key headers")
    key = keys[0].strip()
    check(len(base64.b64decode(key, validate=True)) == 16, f"accepted key {key!r}")
    check(headers.get("sec-websocket-accept") == accept_key(key), "wrong sec-websocket-accept")
    offered = {t.strip() for v in _values(request, "sec-websocket-protocol") for t in v.split(",")}
    chosen = accept.subprotocol
    check(chosen is None or (chosen in offered and bool(config & 1)), f"chose {chosen!r} from {offered!r}")
    check(headers.get("sec-websocket-protocol") == chosen, "sec-websocket-protocol header disagrees")


def _check_reject(reject: Reject, config: int) -> None:
    check(reject.status in (400, 403, 426) and bool(reject.reason), f"reject {reject!r}")
    check(reject.status != 403 or bool(config & 2), "403 without an origin allow-list")
    check((reject.status == 426) == (("Sec-WebSocket-Version", "13") in reject.headers),
          f"426 and its version header disagree: {reject!r}")


def test_one_input(data: bytes) -> None:
    """Check the invariants of the module docstring for one input."""
    config, head = split_config(data)
    request = read_request(head)
    if request is None:
        return
    decision = decide(request, config)
    if isinstance(decision, Accept):
        _check_accept(request, decision, config)
    else:
        _check_reject(decision, config)
    for recase in (str.lower, str.upper):
        other = Request(request.method, request.target, request.http_version,
                        tuple((recase(k), v) for k, v in request.headers))
        check(decide(other, config) == decision, f"the decision depends on the case of names ({recase})")


if __name__ == "__main__":
    atheris_main(test_one_input)
