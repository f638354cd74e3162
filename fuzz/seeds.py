"""The seed corpora, written by hand (one input per rule of RFC 6455 the parsers check, plus valid traffic).

``python -m fuzz.seeds`` (re)writes ``fuzz/corpus/<harness>/seed-<name>``; Atheris adds what it finds
next to them, and ``tests/fuzz/`` replays every file through its harness. Each seed starts with the
harness's configuration byte (see the harness docstrings).
"""

from __future__ import annotations

import random
import zlib
from pathlib import Path

from conformance.wire.wsframes import BINARY, CLOSE, CONT, PING, PONG, TEXT, close_payload, frame

__all__ = ["CORPUS", "client_streams", "deflate_payloads", "handshakes", "responses", "server_streams",
           "write_all"]

CORPUS = Path(__file__).resolve().parent / "corpus"
KEY = b"\x37\xfa\x21\x3d"


def _c(opcode: int, payload: bytes = b"", **kw: object) -> bytes:
    return frame(opcode, payload, mask_key=KEY, **kw)  # type: ignore[arg-type]


def client_streams() -> dict[str, bytes]:
    """Masked client traffic, valid and invalid, for the frame, protocol and differential harnesses."""
    return {
        "text": _c(TEXT, b"Hello"),
        "binary-empty": _c(BINARY),
        "text-126": _c(TEXT, b"a" * 126),
        "binary-65536": _c(BINARY, b"\x00" * 65536),
        "fragmented-text": _c(TEXT, "κόσ".encode(), fin=False) + _c(PING, b"p") + _c(CONT, "με".encode()),
        "fragmented-binary": _c(BINARY, b"ab", fin=False) + _c(CONT, b"", fin=False) + _c(CONT, b"c"),
        "ping-pong": _c(PING, b"x" * 125) + _c(PONG, b"unsolicited"),
        "close-1000": _c(TEXT, b"bye") + _c(CLOSE, close_payload(1000, "done")),
        "close-empty": _c(CLOSE),
        "close-4999": _c(CLOSE, close_payload(4999)),
        "data-after-close": _c(CLOSE, close_payload(1001)) + _c(TEXT, b"ignored"),
        "rsv1": _c(TEXT, b"x", rsv1=True),
        "reserved-opcode": _c(0xB, b"x"),
        "unmasked": frame(TEXT, b"x", mask=False),
        "ping-126": _c(PING, b"x" * 126),
        "ping-fragmented": _c(PING, b"", fin=False),
        "non-minimal-16": _c(BINARY, b"x", length_bytes=2),
        "non-minimal-64": _c(BINARY, b"x" * 200, length_bytes=8),
        "length-msb": _c(BINARY, b"", length=2**63 + 1),
        "huge-declared": _c(BINARY, b"", length=2**40),
        "invalid-utf8": _c(TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"),
        "invalid-utf8-fragment": _c(TEXT, b"ok", fin=False) + _c(CONT, b"\xf4\x90", fin=False)
        + _c(CONT, b"!"),
        "close-1-byte": _c(CLOSE, b"\x03"),
        "close-1005": _c(CLOSE, close_payload(1005)),
        "close-2999": _c(CLOSE, close_payload(2999)),
        "close-bad-reason": _c(CLOSE, b"\x03\xe8\xff"),
        "lone-continuation": _c(CONT, b"x"),
        "interleaved": _c(TEXT, b"a", fin=False) + _c(BINARY, b"b"),
        "close-in-message": _c(TEXT, b"a", fin=False) + _c(CLOSE, close_payload(1000)),
        "truncated": _c(TEXT, b"Hello")[:5],
    }


def server_streams() -> dict[str, bytes]:
    """What a target may send the runner: valid server frames and every header deviation."""
    return {
        "text": frame(TEXT, b"Hello", mask=False),
        "fragments": frame(TEXT, b"a", fin=False, mask=False) + frame(PING, b"", mask=False)
        + frame(CONT, b"b", mask=False),
        "close": frame(CLOSE, close_payload(1000, "bye"), mask=False) + frame(TEXT, b"late", mask=False),
        "masked": frame(BINARY, b"xyz", mask_key=KEY),
        "rsv": frame(TEXT, b"x", rsv1=True, rsv3=True, mask=False),
        "reserved-opcode": frame(0x3, b"", mask=False),
        "non-minimal": frame(BINARY, b"x", length_bytes=8, mask=False),
        "long-ping": frame(PING, b"x" * 200, mask=False),
        "fragmented-pong": frame(PONG, b"", fin=False, mask=False),
        "bad-close": frame(CLOSE, b"\x03", mask=False) + frame(CLOSE, close_payload(1006), mask=False),
        "bad-utf8": frame(TEXT, b"\xff\xfe", mask=False) + frame(CLOSE, b"\x03\xe8\xc0", mask=False),
        "lone-cont": frame(CONT, b"x", mask=False),
        "huge": frame(BINARY, b"", length=2**62, mask=False),
        "big": frame(BINARY, b"\x01" * 1000, mask=False),
    }


def responses() -> dict[str, bytes]:
    """What a target may answer the runner's opening request with: response heads, then frames."""
    head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    return {
        "101-text": head + b"\r\n" + frame(TEXT, b"Hello", mask=False),
        "101-extension-rsv1": head + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        + frame(TEXT, b"x", rsv1=True, mask=False),
        "101-ping-close": head + b"\r\n" + frame(PING, b"are you there", mask=False)
        + frame(CLOSE, close_payload(1001, "bye"), mask=False) + frame(PING, b"late", mask=False),
        "101-fragments": head + b"\r\n" + frame(BINARY, b"a" * 100, fin=False, mask=False)
        + frame(CONT, b"b" * 100, fin=False, mask=False) + frame(CONT, b"c", mask=False),
        "101-eof-mid-frame": head + b"\r\n" + frame(BINARY, b"x" * 100, mask=False)[:50],
        "400": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nnope!",
        "426": b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "not-http": b"SSH-2.0-OpenSSH_9.0\r\n\r\n",
        "lf-only": b"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n",
        "no-blank-line": head,
        "long-head": head + b"X-Filler: " + b"a" * 300 + b"\r\n\r\n",
    }


def handshakes() -> dict[str, bytes]:
    """Request heads, valid and not, for the handshake harness."""
    base = [("Host", "example.com"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]

    def head(headers: list[tuple[str, str]], line: str = "GET /chat HTTP/1.1") -> bytes:
        return (line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")

    return {
        "valid": head(base),
        "subprotocols": head([*base, ("Sec-WebSocket-Protocol", "superchat, chat")]),
        "origin": head([*base, ("Origin", "http://ok.example")]),
        "bad-origin": head([*base, ("Origin", "http://evil.example")]),
        "version-8": head([*base[:4], ("Sec-WebSocket-Version", "8")]),
        "no-key": head(base[:3] + base[4:]),
        "short-key": head([*base[:3], ("Sec-WebSocket-Key", "dGhlIHNhbXBsZQ=="), base[4]]),
        "two-keys": head([*base, ("sec-websocket-key", "AQIDBAUGBwgJCgsMDQ4PEA==")]),
        "post": head(base, "POST /chat HTTP/1.1"),
        "http-1.0": head(base, "GET /chat HTTP/1.0"),
        "lists": head([base[0], ("Upgrade", "h2c, WebSocket"), ("Connection", "keep-alive"),
                       ("Connection", "upgrade"), *base[3:]]),
        "not-http": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    }


def deflate_payloads() -> dict[str, bytes]:
    """Compressed payloads as a permessage-deflate client sends them (RFC 7692 §7.2.1), valid and not."""

    def deflate(data: bytes, wbits: int = 15, level: int = 6, flush: int = zlib.Z_SYNC_FLUSH) -> bytes:
        comp = zlib.compressobj(level, zlib.DEFLATED, -wbits)
        out = comp.compress(data) + comp.flush(flush)
        return out[:-4] if flush == zlib.Z_SYNC_FLUSH else out

    noise = random.Random(7692).randbytes(3000)
    hello = deflate(b"Hello")
    return {
        "hello": hello,
        "empty": deflate(b""),
        "empty-single-octet": b"\x00",
        "stored": deflate(b"stored block " * 10, level=0),
        "text-dynamic": deflate("κόσμε, a text message compressed with dynamic codes ".encode() * 40),
        "noise": deflate(noise),
        "window-9": deflate(noise[:700] * 3, wbits=9),
        "bomb": deflate(b"\x00" * 200_000),
        "final-block": deflate(b"ends with BFINAL", flush=zlib.Z_FINISH),
        "final-block-then-junk": deflate(b"ends with BFINAL", flush=zlib.Z_FINISH) + b"junk",
        "two-sync-flushes": deflate(b"first") + b"\x00\x00\xff\xff" + deflate(b"second"),
        "reserved-block-type": b"\x07\x00",
        "invalid-distance": b"\xca@\x17\x00",  # a back-reference with no earlier message
        "truncated": deflate(b"abcdefgh" * 100)[:-3],
        "garbage": b"\xff\xfe\xfd\xfc",
    }


def _write(name: str, seeds: dict[str, bytes], configs: tuple[int, ...]) -> None:
    directory = CORPUS / name
    directory.mkdir(parents=True, exist_ok=True)
    for config in configs:
        for seed, data in seeds.items():
            suffix = f"-c{config}" if len(configs) > 1 else ""
            (directory / f"seed-{seed}{suffix}").write_bytes(bytes([config]) + data)


def write_all() -> None:
    """Write every harness's seed corpus."""
    _write("fuzz_ws_frames", client_streams(), (0, 4))
    _write("fuzz_ws_protocol", client_streams(), (0, 6, 13, 34, 48, 51, 61, 72, 88, 128, 184))
    _write("fuzz_ws_differential", client_streams(), (0,))
    _write("fuzz_wire_reader", server_streams(), (3, 5))
    _write("fuzz_ws_handshake", handshakes(), (0, 3))
    _write("fuzz_ws_deflate", deflate_payloads(), (0, 3, 6))
    # fuzz_ws_client: server streams after a canned 101 (bit 6) under three configurations, and whole answers
    _write("fuzz_ws_client", server_streams(), (0x4F, 0x5D, 0xE6))
    _write("fuzz_ws_client", responses(), (0x0F, 0x1D))


if __name__ == "__main__":
    write_all()
