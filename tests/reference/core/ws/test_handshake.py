"""Tests for reference/core/ws/handshake.py: the server's opening handshake (RFC 6455 §4.2)."""

from __future__ import annotations

import pytest

from reference.core.ws.deflate import DeflateConfig, DeflateParams
from reference.core.ws.handshake import Accept, Reject, Request, accept_key, negotiate

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3 example
GOOD = (
    ("Host", "server.example.com"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", KEY),
    ("Origin", "http://example.com"),
    ("Sec-WebSocket-Version", "13"),
)
BASE_101 = (
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
)
Headers = tuple[tuple[str, str], ...]


def request(headers: Headers = GOOD, method: str = "GET", version: str = "1.1") -> Request:
    return Request(method, "/chat", version, headers)


def without(name: str) -> Headers:
    return tuple(h for h in GOOD if h[0].lower() != name)


def replace(name: str, value: str) -> Headers:
    return (*without(name), (name, value))


def test_accept_key_rfc_example() -> None:
    # RFC 6455 §1.3: "the server would respond with ... s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert accept_key(KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_server_accepts_the_rfc_request() -> None:
    assert negotiate(request()) == Accept(BASE_101, None)


@pytest.mark.parametrize("headers", [
    tuple((name.upper(), value) for name, value in GOOD),
    replace("upgrade", "WebSocket"),
    replace("upgrade", "h2c, websocket"),
    replace("connection", "keep-alive, upgrade"),
    replace("connection", "UPGRADE"),
    (*without("connection"), ("Connection", "keep-alive"), ("Connection", "Upgrade")),
    (*without("upgrade"), ("Upgrade", "foo"), ("Upgrade", "websocket")),
], ids=["upper-case-names", "upgrade-mixed-case", "upgrade-list", "connection-list", "connection-upper-case",
        "connection-two-lines", "upgrade-two-lines"])
def test_server_accepts_token_lists_case_insensitively(headers: Headers) -> None:
    assert negotiate(request(headers)) == Accept(BASE_101, None)


@pytest.mark.parametrize("host", ["example.com", "127.0.0.1:9001", "[::1]:80", "xn--bcher-kva.example",
                                  "a%20b", "localhost:"])
def test_server_accepts_valid_host_values(host: str) -> None:
    assert isinstance(negotiate(request(replace("host", host))), Accept)


@pytest.mark.parametrize("version", ["1.1", "1.2", "2", "2.0", "3.0"])
def test_server_accepts_http_1_1_or_later(version: str) -> None:
    assert isinstance(negotiate(request(version=version)), Accept)


VERSION_426 = (("Sec-WebSocket-Version", "13"),)
REJECTIONS = [
    ("method-post", request(method="POST"), 400, "method must be get, got 'POST'"),
    ("method-lower-case", request(method="get"), 400, "method must be get, got 'get'"),
    ("http-1.0", request(version="1.0"), 400, "http/1.1 or later required, got '1.0'"),
    ("http-0.9", request(version="0.9"), 400, "http/1.1 or later required, got '0.9'"),
    ("http-garbage", request(version="x.y"), 400, "invalid http version 'x.y'"),
    ("missing-host", request(without("host")), 400, "missing host header"),
    ("empty-host", request(replace("host", "")), 400, "empty host header"),
    ("host-with-space", request(replace("host", "bad host")), 400, "invalid host header 'bad host'"),
    ("host-with-path", request(replace("host", "a/b")), 400, "invalid host header 'a/b'"),
    ("host-with-userinfo", request(replace("host", "u@a")), 400, "invalid host header 'u@a'"),
    ("host-open-ip-literal", request(replace("host", "[::1")), 400, "invalid host header '[::1'"),
    ("duplicate-host", request((*GOOD, ("Host", "b"))), 400, "duplicate host header"),
    ("missing-upgrade", request(without("upgrade")), 400, "upgrade header must contain websocket, got []"),
    ("wrong-upgrade", request(replace("upgrade", "h2c")), 400,
     "upgrade header must contain websocket, got ['h2c']"),
    ("upgrade-substring", request(replace("upgrade", "websockets")), 400,
     "upgrade header must contain websocket, got ['websockets']"),
    ("missing-connection", request(without("connection")), 400,
     "connection header must contain upgrade, got []"),
    ("connection-keep-alive", request(replace("connection", "keep-alive")), 400,
     "connection header must contain upgrade, got ['keep-alive']"),
    ("missing-key", request(without("sec-websocket-key")), 400, "missing sec-websocket-key"),
    ("duplicate-key", request((*GOOD, ("Sec-WebSocket-Key", KEY))), 400,
     "duplicate sec-websocket-key header"),
    ("key-not-base64", request(replace("sec-websocket-key", "not base64!")), 400,
     "sec-websocket-key is not base64: 'not base64!'"),
    ("key-15-bytes", request(replace("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAA")), 400,
     "sec-websocket-key must be 16 bytes in canonical base64: 'AAAAAAAAAAAAAAAAAAAA'"),
    ("key-17-bytes", request(replace("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAAA=")), 400,
     "sec-websocket-key must be 16 bytes in canonical base64: 'AAAAAAAAAAAAAAAAAAAAAAA='"),
    ("key-non-canonical", request(replace("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAB==")), 400,
     "sec-websocket-key must be 16 bytes in canonical base64: 'AAAAAAAAAAAAAAAAAAAAAB=='"),
    ("key-missing-padding", request(replace("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ")), 400,
     "sec-websocket-key is not base64: 'dGhlIHNhbXBsZSBub25jZQ'"),
    ("missing-version", request(without("sec-websocket-version")), 426, "missing sec-websocket-version"),
    ("version-8", request(replace("sec-websocket-version", "8")), 426, "unsupported version '8'"),
    ("version-list", request(replace("sec-websocket-version", "13, 8")), 426, "unsupported version '13, 8'"),
    ("duplicate-version", request((*GOOD, ("Sec-WebSocket-Version", "13"))), 400,
     "duplicate sec-websocket-version header"),
]


@pytest.mark.parametrize(("req", "status", "reason"), [r[1:] for r in REJECTIONS],
                         ids=[r[0] for r in REJECTIONS])
def test_server_rejects_invalid_upgrade(req: Request, status: int, reason: str) -> None:
    result = negotiate(req)
    assert result == Reject(status, reason, VERSION_426 if status == 426 else ())


def test_every_rejection_has_a_distinct_reason() -> None:
    reasons = [r[3] for r in REJECTIONS]
    assert len(set(reasons)) == len(reasons)


class TestSubprotocol:
    """RFC 6455 §4.2.2 /subprotocol/: the server's first configured choice that the client offered."""

    @pytest.mark.parametrize(("offered", "configured", "chosen"), [
        ([], ["chat"], None),
        (["chat"], [], None),
        (["superchat, chat"], ["chat", "superchat"], "chat"),
        (["chat", "superchat"], ["superchat", "chat"], "superchat"),
        (["a,,b"], ["b"], "b"),
        (["x"], ["chat"], None),
        (["Chat"], ["chat"], None),
    ])
    def test_server_picks_its_own_preference(
        self, offered: list[str], configured: list[str], chosen: str | None
    ) -> None:
        headers = GOOD + tuple(("Sec-WebSocket-Protocol", value) for value in offered)
        result = negotiate(request(headers), subprotocols=configured)
        assert isinstance(result, Accept)
        assert result.subprotocol == chosen
        expected = BASE_101 + ((("Sec-WebSocket-Protocol", chosen),) if chosen else ())
        assert result.headers == expected


class TestOrigin:
    """RFC 6455 §4.2.2: a server refusing the origin answers 403."""

    def test_any_origin_when_no_allowlist(self) -> None:
        assert isinstance(negotiate(request(without("origin"))), Accept)

    @pytest.mark.parametrize("origin", ["http://example.com", "HTTP://Example.COM"])
    def test_allowed_origin(self, origin: str) -> None:
        result = negotiate(request(replace("origin", origin)), allowed_origins={"http://example.com"})
        assert isinstance(result, Accept)

    @pytest.mark.parametrize(("headers", "reason"), [
        (replace("origin", "http://evil.example"), "origin not allowed: 'http://evil.example'"),
        (without("origin"), "missing origin header"),
        (replace("origin", "null"), "origin not allowed: 'null'"),
    ])
    def test_refused_origin(self, headers: Headers, reason: str) -> None:
        assert negotiate(request(headers), allowed_origins=["http://example.com"]) == Reject(403, reason)

    def test_duplicate_origin_is_a_bad_request(self) -> None:
        headers = (*GOOD, ("Origin", "http://example.com"))
        result = negotiate(request(headers), allowed_origins=["http://example.com"])
        assert result == Reject(400, "duplicate origin header")


# -- permessage-deflate (RFC 7692) in the 101 ------------------------------------------------------------


def test_extension_offer_is_answered_only_when_compression_is_configured() -> None:
    offered = request((*GOOD, ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")))
    plain = negotiate(offered)
    assert isinstance(plain, Accept)
    assert plain.deflate is None
    assert "sec-websocket-extensions" not in {name.lower() for name, _ in plain.headers}
    agreed = negotiate(offered, compression=DeflateConfig())
    assert isinstance(agreed, Accept)
    assert ("Sec-WebSocket-Extensions", "permessage-deflate") in agreed.headers
    assert agreed.deflate == DeflateParams()


def test_extension_header_lines_are_read_together_and_declines_never_refuse() -> None:
    headers = (*GOOD, ("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=7"),
               ("sec-websocket-extensions", "permessage-deflate; server_max_window_bits=10"))
    agreed = negotiate(request(headers), compression=DeflateConfig())
    assert isinstance(agreed, Accept)
    assert ("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=10") in agreed.headers
    declined = negotiate(request((*GOOD, ("Sec-WebSocket-Extensions", "permessage-deflate; x"))),
                         compression=DeflateConfig())
    assert isinstance(declined, Accept)  # an unacceptable offer is declined, the upgrade still happens
    assert declined.deflate is None
