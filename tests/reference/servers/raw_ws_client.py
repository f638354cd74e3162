"""A deliberately small blocking WebSocket client for the server tests: raw requests, raw frames.

It trusts nothing: responses and frames are parsed by hand here, so a test sees exactly the bytes the
server wrote (status line, headers, body, frame header bits).
"""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl
import struct
from dataclasses import dataclass, field

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def upgrade_request(port: int, *, drop: tuple[str, ...] = (), extra: tuple[tuple[str, str], ...] = (),
                    version: str = "13", target: str = "/") -> bytes:
    """A valid upgrade request, minus the headers named in ``drop``, plus ``extra``."""
    headers = [
        ("Host", f"127.0.0.1:{port}"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", KEY),
        ("Sec-WebSocket-Version", version),
    ]
    headers = [(k, v) for k, v in headers if k.lower() not in {d.lower() for d in drop}] + list(extra)
    lines = [f"GET {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def expected_accept(key: str = KEY) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Frame:
    fin: bool
    opcode: int
    payload: bytes
    masked: bool = False


@dataclass
class RawClient:
    """One TCP (or TLS) connection; ``buffer`` holds bytes read past the last parsed item."""

    sock: socket.socket
    buffer: bytearray = field(default_factory=bytearray)

    @classmethod
    def open(cls, port: int, *, tls: ssl.SSLContext | None = None, timeout: float = 5.0) -> RawClient:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname="localhost")
        return cls(sock)

    @classmethod
    def connect(cls, port: int, *, tls: ssl.SSLContext | None = None, **request: object) -> RawClient:
        """Open a connection and complete the handshake; asserts the server switched protocols."""
        client = cls.open(port, tls=tls)
        client.handshake(port, **request)
        return client

    def handshake(self, port: int, **request: object) -> None:
        """Send a valid upgrade request; assert the server switched protocols."""
        self.sock.sendall(upgrade_request(port, **request))  # type: ignore[arg-type]
        response = self.read_response()
        assert response.status == 101, response
        assert response.headers["sec-websocket-accept"] == expected_accept()

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"connection closed; {len(self.buffer)} bytes left unparsed")
        self.buffer += chunk

    def read_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def read_response(self) -> Response:
        """Read a response head, and its body when Content-Length says there is one."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, _ = bytes(self.buffer).partition(b"\r\n\r\n")
        del self.buffer[: len(head) + 4]
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self.read_exact(int(headers.get("content-length", "0")))
        return Response(int(status_line.split(" ")[1]), headers, body)

    def send_frame(self, opcode: int, payload: bytes = b"", *, fin: bool = True,
                   mask_key: bytes = b"\x37\xfa\x21\x3d") -> None:
        self.sock.sendall(encode_frame(opcode, payload, fin=fin, mask_key=mask_key))

    def read_frame(self) -> Frame:
        b0, b1 = self.read_exact(2)
        length = b1 & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self.read_exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self.read_exact(8))
        masked = bool(b1 & 0x80)
        key = self.read_exact(4) if masked else b""
        payload = self.read_exact(length)
        if masked:
            payload = mask(payload, key)
        return Frame(bool(b0 & 0x80), b0 & 0x0F, payload, masked)

    def read_eof(self) -> bool:
        """True if the server closed the connection with nothing more to read."""
        try:
            return not self.buffer and self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def mask(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data)) if key != b"\0\0\0\0" else data


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True,
                 mask_key: bytes = b"\x37\xfa\x21\x3d") -> bytes:
    """A client frame: masked with ``mask_key`` (RFC 6455 §5.3), minimal length encoding."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask_key + mask(payload, mask_key)


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()
