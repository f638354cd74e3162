"""The server side of a WebSocket client case: one listening socket, the client's connection, its frames.

Built on the runner's own wire code (:mod:`conformance.wire.wsframes` for frames,
:mod:`conformance.wire.wshandshake` for the accept key), never on ``reference/``. Everything is bounded: the
request head (:data:`MAX_REQUEST_HEAD`), a frame and a message (:data:`MAX_MESSAGE`), the connections kept
(the first; later ones are closed at once and noted), and every wait takes a deadline.

What the client sends is judged by the cases (:mod:`.judge`); this module only records it: every frame's
flags, its mask key, and the problems a server sees in a client frame (:attr:`ServerSide.deviations`).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from conformance.wire.deflate import InflateError, InflateTooLarge, PerMessageDeflate
from conformance.wire.transcript import RX, TX, Transcript
from conformance.wire.wsframes import (
    BINARY,
    CLOSE,
    CONT,
    DEFINED_OPCODES,
    PING,
    PONG,
    TEXT,
    Frame,
    FrameReader,
    FrameTooLarge,
    frame,
)
from conformance.wire.wshandshake import accept_key
from conformance.wire.wsrecv import CloseFrame, Message, Ping, Pong

__all__ = [
    "MAX_MESSAGE",
    "MAX_REQUEST_HEAD",
    "ClientNeverConnected",
    "Closed",
    "Listener",
    "Request",
    "ServerSide",
    "WsEvent",
    "listening",
]

#: The longest opening-handshake request read from a client.
MAX_REQUEST_HEAD = 16 * 1024
#: The largest frame payload, and the largest message assembled from fragments.
MAX_MESSAGE = 1024 * 1024
#: Bytes the runner lets a client leave unread before it stops writing to it.
MAX_UNREAD = 4 * 1024 * 1024
#: Frames whose mask key is kept (the freshness case needs a handful).
MAX_KEYS = 64


class ClientNeverConnected(ConnectionError):
    """The client under test did not open a connection to the case's server (it exited, or took too long)."""


@dataclass(frozen=True, slots=True)
class Closed:
    """The client closed its side of TCP (``reset``: with an RST, or the connection broke)."""

    reset: bool = False

    def __str__(self) -> str:
        return "TCP reset" if self.reset else "TCP close"


WsEvent = Message | Ping | Pong | CloseFrame | Closed


@dataclass(frozen=True, slots=True)
class Request:
    """The client's opening-handshake request as received (header names as sent, looked up case-blind)."""

    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None

    def tokens(self, name: str) -> list[str]:
        return [t.strip().lower() for t in (self.header(name) or "").split(",") if t.strip()]


def parse_request(raw: bytes) -> Request:
    """Parse a request head (ending with the blank line).

    Raises:
        ValueError: the request line is not ``METHOD TARGET HTTP/x.y``.
    """
    text = raw.decode("latin-1")
    line, _, rest = text.partition("\r\n")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError(f"not an HTTP request line: {line[:80]!r}")
    headers = []
    for field_line in rest.split("\r\n"):
        name, sep, value = field_line.partition(":")
        if sep and name.strip():
            headers.append((name.strip(), value.strip()))
    return Request(parts[0], parts[1], parts[2], tuple(headers))


class _KeyedReader(FrameReader):
    """A :class:`FrameReader` that also keeps each masked frame's key, in the order of the frames."""

    def __init__(self, max_payload: int) -> None:
        super().__init__(max_payload)
        self.keys: list[bytes | None] = []

    def _parse_one(self, start: int) -> tuple[Frame, int] | None:
        parsed = super()._parse_one(start)
        if parsed is not None:
            key = None
            if parsed[0].masked:
                n = self._buf[start + 1] & 0x7F
                pos = start + 2 + (2 if n == 126 else 8 if n == 127 else 0)
                key = bytes(self._buf[pos : pos + 4])
            self.keys.append(key)
        return parsed


@dataclass
class _Assembly:
    """A fragmented message being joined (bounded by :data:`MAX_MESSAGE`)."""

    opcode: int | None = None
    parts: list[bytes] = field(default_factory=list)
    size: int = 0
    compressed: bool = False


class ServerSide:
    """The case's end of one client connection: reads the handshake, answers it, sends frames, reads events.

    Attributes:
        request: the client's opening-handshake request, once read.
        frames: every frame the client sent, in order (at most :data:`MAX_KEYS` kept).
        keys: the mask key of each of those frames (None for an unmasked one).
        deviations: what a strict server finds wrong in the client's frames (§5.1, §5.2, §5.4, §5.5).
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        transcript: Transcript,
        deadline: float,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.transcript = transcript
        self.deadline = deadline
        self.request: Request | None = None
        self.key = ""
        self.frames: list[Frame] = []
        self.keys: list[bytes | None] = []
        self.deviations: list[str] = []
        self._frames = _KeyedReader(MAX_MESSAGE)
        self._pending: list[WsEvent] = []
        self._assembly = _Assembly()
        self._head = bytearray()
        self.eof: Closed | None = None
        self.sent_close = False
        self.auto_pong = True
        self._overfull = False
        self._reset = False  # the connection broke (an RST) rather than ended
        #: the server's permessage-deflate codec once a case agreed to it (RFC 7692), else None
        self.deflate: PerMessageDeflate | None = None

    # -- time ---------------------------------------------------------------------------------------------

    def remaining(self, within: float | None = None) -> float:
        """Seconds left before the case's deadline (or ``within`` seconds, if sooner)."""
        left = self.deadline - asyncio.get_running_loop().time()
        return max(0.0, left if within is None else min(left, within))

    def window(self, within: float) -> float:
        """The ``loop.time()`` at which a wait of ``within`` seconds from now ends (the case's deadline at
        the latest): a loop of :meth:`event_by` calls on it ends there however busy the client is."""
        return min(self.deadline, asyncio.get_running_loop().time() + within)

    async def event_by(self, end: float) -> WsEvent | None:
        """:meth:`event` with the wait ending at ``end`` (a :meth:`window`)."""
        return await self.event(max(0.0, end - asyncio.get_running_loop().time()))

    # -- the opening handshake --------------------------------------------------------------------------

    async def read_request(self) -> Request:
        """Read the client's request head (at most :data:`MAX_REQUEST_HEAD` bytes).

        Raises:
            ConnectionError: the client closed, sent too much or did not finish its request in time.
        """
        while b"\r\n\r\n" not in self._head:
            if len(self._head) > MAX_REQUEST_HEAD:
                raise ConnectionError(f"the client's request head passed {MAX_REQUEST_HEAD} bytes")
            chunk = await self._read(self.remaining())
            if chunk is None:
                raise ConnectionError("the client sent no complete opening handshake in time")
            if not chunk:
                raise ConnectionError("the client closed the connection during its opening handshake")
            self._head += chunk
        head, _, rest = bytes(self._head).partition(b"\r\n\r\n")
        self._head.clear()
        try:
            self.request = parse_request(head + b"\r\n\r\n")
        except ValueError as exc:
            raise ConnectionError(f"the client's request: {exc}") from None
        self.key = (self.request.header("sec-websocket-key") or "").strip()
        if rest:
            self._feed(rest)  # frames sent before the answer: judged like any others
        return self.request

    def accept_headers(self) -> list[tuple[str, str]]:
        """The headers of a correct 101 answer to the request read."""
        return [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(self.key)),
        ]

    def answer(
        self,
        headers: list[tuple[str, str]] | None = None,
        *,
        status: str = "101 Switching Protocols",
        body: bytes = b"",
    ) -> None:
        """Send the response head (``headers``: a correct 101's when None) and ``body``."""
        lines = [
            f"HTTP/1.1 {status}",
            *(f"{n}: {v}" for n, v in (self.accept_headers() if headers is None else headers)),
        ]
        self.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body, f"answer {status}")

    # -- sending ------------------------------------------------------------------------------------------

    def write(self, data: bytes, text: str = "") -> None:
        """Write raw bytes to the client (nothing once it has gone)."""
        self.transcript.add(TX, "bytes", text, data)
        self._write(data)

    def _write(self, data: bytes) -> None:
        """Write unless the client has gone or leaves :data:`MAX_UNREAD` bytes unread (a client that sends
        pings and never reads cannot grow the runner's memory through the pongs)."""
        if self._writer.is_closing():
            return
        if self._writer.transport.get_write_buffer_size() > MAX_UNREAD:
            if not self._overfull:
                self._overfull = True
                self.transcript.note(f"the client left over {MAX_UNREAD} bytes unread: later writes dropped")
            return
        self._writer.write(data)

    def send(self, opcode: int, payload: bytes = b"", **flags: object) -> None:
        """Send one server frame: unmasked unless ``mask=True`` (§5.1), any flag of :func:`frame`."""
        flags.setdefault("mask", False)
        raw = frame(opcode, payload, **flags)  # type: ignore[arg-type]
        self.transcript.frame(
            TX,
            Frame(
                opcode,
                payload,
                bool(flags.get("fin", True)),
                bool(flags.get("rsv1")),
                bool(flags.get("rsv2")),
                bool(flags.get("rsv3")),
                bool(flags["mask"]),
            ).describe(),
            payload,
        )
        if opcode == CLOSE:
            self.sent_close = True
        self._write(raw)

    def send_compressed(self, opcode: int, data: bytes, fragment: int = 0) -> None:
        """``data`` as one message compressed with the agreed permessage-deflate (RFC 7692 §7.2.1): RSV1 on
        the first frame only, the payload cut into ``fragment``-byte frames (0: one frame). Sent
        uncompressed when the agreed window is below zlib's smallest (8 bits)."""
        assert self.deflate is not None, "no permessage-deflate agreed"
        compressed = self.deflate.can_compress
        payload = self.deflate.compress(data) if compressed else data
        size = fragment or max(1, len(payload))
        pieces = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
        for i, piece in enumerate(pieces):
            self.send(opcode if i == 0 else CONT, piece, fin=i == len(pieces) - 1, rsv1=compressed and i == 0)

    def send_close(self, code: int | None = 1000, reason: bytes = b"") -> None:
        """Send a close frame with ``code`` (None: an empty payload) and ``reason``."""
        payload = b"" if code is None else struct.pack("!H", code) + reason
        self.send(CLOSE, payload)

    def close_tcp(self) -> None:
        """Close the server's side of TCP (§7.1.1: the server closes first)."""
        if not self._writer.is_closing():
            self.transcript.note("server closes TCP")
            self._writer.close()

    def half_close(self) -> None:
        """Shut down the server's sending side of TCP (a FIN), still reading what the client sends."""
        if not self._writer.is_closing() and self._writer.can_write_eof():
            self.transcript.note("server shuts down its sending side of TCP (FIN)")
            self._writer.write_eof()

    # -- receiving ----------------------------------------------------------------------------------------

    async def event(self, within: float | None = None) -> WsEvent | None:
        """The client's next event (a message, ping, pong, close frame, or the end of TCP), or None when
        none came within ``within`` seconds (and before the case's deadline). A ping is answered with a
        pong (and still returned) while :attr:`auto_pong` is set."""
        loop = asyncio.get_running_loop()
        end = loop.time() + self.remaining(within)
        while not self._pending:
            if self.eof is not None:
                return None
            chunk = await self._read(max(0.0, end - loop.time()))
            if chunk is None:
                return None
            if not chunk:
                self.eof = Closed(reset=self._reset)
                self.transcript.add(RX, "event", str(self.eof))
                self._pending.append(self.eof)
                break
            self._feed(chunk)
        return self._pending.pop(0)

    async def _read(self, timeout: float) -> bytes | None:
        """Up to 64 KiB from the client; b"" at its end (or a reset); None after ``timeout``."""
        try:
            data = await asyncio.wait_for(self._reader.read(65536), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return None
        except (ConnectionError, OSError):
            self._reset = True
            return b""
        if data:
            self.transcript.received(data)
        return data

    def _feed(self, data: bytes) -> None:
        try:
            frames = self._frames.feed(data)
        except FrameTooLarge as exc:
            frames = list(exc.frames)
            self._deviate(f"the client declared a {exc.declared}-byte frame, over the runner's {exc.limit}")
            self._frames.discard()
            self.close_tcp()
        keys, self._frames.keys = self._frames.keys, []
        for fr, key in zip(frames, keys, strict=True):
            if len(self.frames) < MAX_KEYS:
                self.frames.append(fr)
                self.keys.append(key)
            self.transcript.frame(RX, fr.describe() + (f" key={key.hex()}" if key else ""), fr.payload)
            self._judge(fr)
            if (ev := self._event(fr)) is not None:
                self._pending.append(ev)

    def _deviate(self, text: str) -> None:
        if len(self.deviations) < 32:
            self.deviations.append(text)

    def _judge(self, fr: Frame) -> None:
        # §5.1: "a client MUST mask all frames that it sends to the server"
        if not fr.masked:
            self._deviate(f"unmasked frame {fr.describe()} (§5.1)")
        # RFC 7692 §6: RSV1 is the "Per-Message Compressed" bit, "An endpoint MUST NOT set the "Per-Message
        # Compressed" bit of control frames and non-first fragments of a data message."
        if fr.rsv1 and self.deflate is not None and fr.opcode not in (TEXT, BINARY):
            self._deviate(f"RSV1 on a control frame or a non-first fragment: {fr.describe()} (RFC 7692 §6)")
        # §5.2: RSV bits "MUST be 0 unless an extension is negotiated"
        if (fr.rsv1 and self.deflate is None) or fr.rsv2 or fr.rsv3:
            self._deviate(f"rsv bits set without an extension: {fr.describe()} (§5.2)")
        if fr.opcode not in DEFINED_OPCODES:
            self._deviate(f"reserved opcode {fr.opcode:#x} (§5.2)")
        # §5.2: "the minimal number of bytes MUST be used to encode the length"
        if not fr.minimal:
            self._deviate(f"non-minimal length encoding: {fr.describe()} (§5.2)")
        # §5.5: control frames "MUST have a payload length of 125 bytes or less and MUST NOT be fragmented"
        if fr.is_control and (len(fr.payload) > 125 or not fr.fin):
            self._deviate(f"invalid control frame {fr.describe()} (§5.5)")

    def _event(self, fr: Frame) -> WsEvent | None:
        if fr.opcode == CLOSE:
            code = struct.unpack_from("!H", fr.payload)[0] if len(fr.payload) >= 2 else None
            return CloseFrame(code, fr.payload[2:].decode("utf-8", "replace"), fr.payload)
        if fr.opcode == PING:
            if self.auto_pong and not self.sent_close:
                self.send(PONG, fr.payload)
            return Ping(fr.payload)
        if fr.opcode == PONG:
            return Pong(fr.payload)
        if fr.opcode not in (TEXT, BINARY, CONT):
            return None
        asm = self._assembly
        if fr.opcode == CONT and asm.opcode is None:
            self._deviate("continuation frame with no message to continue (§5.4)")
            return None
        if fr.opcode != CONT:
            if asm.opcode is not None:
                self._deviate(f"new {fr.describe()} inside a fragmented message (§5.4)")
            asm.opcode, asm.parts, asm.size = fr.opcode, [], 0
            asm.compressed = fr.rsv1 and self.deflate is not None
        asm.size += len(fr.payload)
        if asm.size > MAX_MESSAGE:
            self._deviate(f"a message over the runner's {MAX_MESSAGE} bytes")
            self._assembly = _Assembly()
            return None
        asm.parts.append(fr.payload)
        if not fr.fin:
            return None
        data = b"".join(asm.parts)
        self._assembly = _Assembly()
        if asm.compressed and self.deflate is not None:
            try:  # never more than MAX_MESSAGE bytes, whatever the client sent (a decompression bomb)
                data = self.deflate.inflate(data, MAX_MESSAGE)
            except (InflateError, InflateTooLarge) as exc:
                self._deviate(f"a compressed message from the client: {exc} (RFC 7692 §7.2.2)")
                return Message(data, asm.opcode == BINARY, compressed=True)
        return Message(data, asm.opcode == BINARY, compressed=asm.compressed)

    async def shutdown(self) -> None:
        """Close the connection (RST-free: a plain close) and wait briefly for it to go."""
        self.close_tcp()
        try:
            await asyncio.wait_for(self._writer.wait_closed(), 0.5)
        except (asyncio.TimeoutError, TimeoutError):
            self._writer.transport.abort()  # a client that does not read what is still buffered for it
        except Exception:  # it went with an error: gone is what was asked
            pass


class Listener:
    """The case's listening socket on 127.0.0.1, port 0; keeps the first connection, closes later ones.

    Args:
        transcript: the case's transcript.
        deadline: the case's deadline (``loop.time()``).
    """

    def __init__(self, transcript: Transcript, deadline: float) -> None:
        self.transcript = transcript
        self.deadline = deadline
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._first: asyncio.Future[ServerSide] | None = None
        self._sides: list[ServerSide] = []

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._first is not None
        if self._first.done():
            self.transcript.note("the client opened another connection: closed at once")
            writer.close()
            return
        self.transcript.note("the client connected")
        side = ServerSide(reader, writer, self.transcript, self.deadline)
        self._sides.append(side)
        self._first.set_result(side)

    async def start(self) -> None:
        self._first = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0, limit=2 * 65536)
        self.port = self._server.sockets[0].getsockname()[1]

    async def connection(self, gone: asyncio.Future[int | None]) -> ServerSide:
        """The client's connection, once it opens one.

        Raises:
            ClientNeverConnected: the client exited first (``gone`` resolved), or the deadline passed.
        """
        assert self._first is not None
        loop = asyncio.get_running_loop()
        waits: set[asyncio.Future[Any]] = {self._first, gone}
        await asyncio.wait(
            waits,
            timeout=max(0.0, self.deadline - loop.time()),
            return_when=asyncio.FIRST_COMPLETED,
        )
        if self._first.done():
            return self._first.result()
        if gone.done() and gone.result() is not None:
            raise ClientNeverConnected(f"the client exited with status {gone.result()} without connecting")
        raise ClientNeverConnected("the client did not connect before the case's timeout")

    async def stop(self) -> None:
        for side in self._sides:
            await side.shutdown()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)


@contextlib.asynccontextmanager
async def listening(transcript: Transcript, deadline: float) -> AsyncIterator[Listener]:
    """A started :class:`Listener`, stopped (its connections closed) on exit."""
    listener = Listener(transcript, deadline)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.stop()
