"""Socket.IO v5 on the wire: the packet codec, binary attachments, and a client over one Engine.IO session.

The runner's own Socket.IO codec, written from the socket.io-protocol README (protocol v5, "Packet
encoding"), independent of any server. It reads what a target sends and says what it is, or raises
:class:`SioDecodeError` saying why it is not a Socket.IO v5 packet; it never judges (the catalog does).

Format (README "Format")::

    <packet type>[<# of binary attachments>-][<namespace>,][<acknowledgment id>][JSON payload]
    + binary attachments extracted

Each Socket.IO packet rides in an Engine.IO ``message`` packet; a BINARY_EVENT or BINARY_ACK is followed by
its attachments, each a binary Engine.IO message, in place of which the JSON carries
``{"_placeholder":true,"num":N}``.

Memory is bounded by construction: a packet announces at most :data:`MAX_ATTACHMENTS` attachments and the
attachments of one packet hold at most :data:`MAX_ATTACHMENT_BYTES` bytes (more is a decode error, so a
hostile target cannot make the runner keep them); the text of one packet is already bounded by the raw
client that received it, and JSON nesting deeper than Python's recursion limit is a decode error.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.wire.eio import Packet, PacketType

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "Reassembler",
    "SioClient",
    "SioDecodeError",
    "SioPacket",
    "SioTransport",
    "SioType",
    "decode_header",
    "encode",
]

#: The most attachments one packet may announce.
MAX_ATTACHMENTS = 64
#: The most attachment bytes kept for one packet.
MAX_ATTACHMENT_BYTES = 4 * 2**20
#: The largest ack id (the reference implementations count up from 0; JavaScript's safe integers).
MAX_ACK_ID = 2**53 - 1

_HEADER = re.compile(r"(?P<type>[0-6])(?:(?P<count>\d{1,9})-)?(?:(?P<nsp>/[^,]*),)?(?P<id>\d{1,16})?",
                     re.ASCII)


class SioType(enum.IntEnum):
    """The Socket.IO packet types (README "Exchange protocol")."""

    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


BINARY_TYPES = frozenset({SioType.BINARY_EVENT, SioType.BINARY_ACK})


class SioDecodeError(ValueError):
    """What the target sent is not a Socket.IO v5 packet (the message says why)."""


@dataclass(frozen=True, slots=True)
class SioPacket:
    """One Socket.IO packet, attachments in place (``bytes`` where the wire had a placeholder).

    Attributes:
        type: the packet type.
        nsp: the namespace (``/`` when the wire named none).
        data: the JSON payload, or None when the packet had none.
        id: the acknowledgment id, or None.
        text: the packet's text as it came (empty for packets built here).
    """

    type: SioType
    nsp: str = "/"
    data: Any = None
    id: int | None = None
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        shown = self.text or encode(self)[0].polling()[1:]
        return repr(shown if len(shown) <= 120 else shown[:117] + "...")


def _no_constant(name: str) -> Any:
    raise SioDecodeError(f"{name} is not JSON")


def _json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise SioDecodeError("a JSON payload nested too deeply") from None
    except ValueError:
        raise SioDecodeError(f"the payload is not JSON: {text[:80]!r}") from None


def decode_header(text: str) -> tuple[SioPacket, int]:
    """A packet's text (without the Engine.IO ``4``): the packet with placeholders still in its payload,
    and the number of attachments it announces.

    Raises:
        SioDecodeError: an unknown type, an attachment count on a non-binary type (or none on a binary
            one), more than :data:`MAX_ATTACHMENTS`, an ack id out of range, or a payload that is not JSON.
    """
    match = _HEADER.match(text)
    if match is None:
        raise SioDecodeError(f"unknown packet type {text[:1]!r} in {text[:40]!r}")
    kind = SioType(int(match["type"]))
    count = int(match["count"]) if match["count"] is not None else None
    if (count is not None) != (kind in BINARY_TYPES):
        raise SioDecodeError(f"{kind.name} {'with' if count is not None else 'without'} an attachment count: "
                             f"{text[:40]!r}")
    if count is not None and count > MAX_ATTACHMENTS:
        raise SioDecodeError(f"{count} attachments announced (at most {MAX_ATTACHMENTS} are read)")
    rest = text[match.end():]
    nsp = match["nsp"]
    if rest.startswith("/"):
        raise SioDecodeError(f"a namespace without the comma that ends it: {text[:40]!r}")
    ack = int(match["id"]) if match["id"] is not None else None
    if ack is not None and ack > MAX_ACK_ID:
        raise SioDecodeError(f"ack id {ack} out of range")
    data = _json(rest) if rest else None
    return SioPacket(kind, nsp or "/", data, ack, text), count or 0


def _fill(value: Any, attachments: list[bytes], used: set[int]) -> Any:
    """``value`` with each placeholder replaced by its attachment."""
    if isinstance(value, dict):
        if value.get("_placeholder") is True:
            num = value.get("num")
            if set(value) != {"_placeholder", "num"} or not isinstance(num, int) or isinstance(num, bool) \
                    or not 0 <= num < len(attachments):
                raise SioDecodeError(f"an invalid placeholder {json.dumps(value)[:80]}")
            used.add(num)
            return attachments[num]
        return {k: _fill(v, attachments, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, attachments, used) for v in value]
    return value


class Reassembler:
    """Turns Engine.IO messages into Socket.IO packets: a binary packet's header waits for its attachments.

    Transitions (the one state is the pending binary header, if any):

    ==================  =====================  ===========================================
    state               message                result
    ==================  =====================  ===========================================
    no pending header   text, not binary type  the packet
    no pending header   text, binary type      pending (or the packet, with 0 attachments)
    no pending header   bytes                  SioDecodeError (an attachment of nothing)
    pending header      bytes                  kept; the packet when the count is reached
    pending header      text                   SioDecodeError (attachments missing)
    ==================  =====================  ===========================================
    """

    def __init__(self) -> None:
        self._header: SioPacket | None = None
        self._wanted = 0
        self._parts: list[bytes] = []
        self._size = 0

    @property
    def pending(self) -> bool:
        """A binary packet's header came and not all its attachments yet."""
        return self._header is not None

    def feed(self, message: Packet) -> SioPacket | None:
        """One Engine.IO message packet: the Socket.IO packet it completes, or None (waiting for more).

        Raises:
            SioDecodeError: the message breaks the transitions above, or does not decode.
        """
        if isinstance(message.data, bytes):
            if self._header is None:
                raise SioDecodeError(f"a binary message ({len(message.data)} bytes) with no binary packet "
                                     f"waiting for it")
            self._size += len(message.data)
            if self._size > MAX_ATTACHMENT_BYTES:
                raise SioDecodeError(f"attachments of more than {MAX_ATTACHMENT_BYTES} bytes")
            self._parts.append(message.data)
            if len(self._parts) < self._wanted:
                return None
            return self._complete()
        if self._header is not None:
            due = self._wanted - len(self._parts)
            raise SioDecodeError(f"a text packet {message.data[:40]!r} while {due} attachment(s) of "
                                 f"{self._header} were due")
        header, count = decode_header(message.data)
        if count == 0:
            return header if header.type not in BINARY_TYPES else self._fill(header, [])
        self._header, self._wanted = header, count
        return None

    def _complete(self) -> SioPacket:
        header, parts = self._header, self._parts
        assert header is not None
        self._header, self._wanted, self._parts, self._size = None, 0, [], 0
        return self._fill(header, parts)

    @staticmethod
    def _fill(header: SioPacket, parts: list[bytes]) -> SioPacket:
        used: set[int] = set()
        data = _fill(header.data, parts, used)
        if len(used) != len(parts):
            raise SioDecodeError(f"{len(parts)} attachments, {len(used)} of them referenced: {header}")
        return SioPacket(header.type, header.nsp, data, header.id, header.text)


def _extract(value: Any, out: list[bytes]) -> Any:
    if isinstance(value, (bytes, bytearray)):
        out.append(bytes(value))
        return {"_placeholder": True, "num": len(out) - 1}
    if isinstance(value, dict):
        return {k: _extract(v, out) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_extract(v, out) for v in value]
    return value


def encode(packet: SioPacket) -> list[Packet]:
    """The Engine.IO message packets that carry ``packet``: its text, then one binary message per
    attachment. An EVENT or ACK whose payload holds bytes is sent as BINARY_EVENT or BINARY_ACK."""
    attachments: list[bytes] = []
    data = _extract(packet.data, attachments)
    kind = packet.type
    if attachments and kind in (SioType.EVENT, SioType.ACK):
        kind = SioType.BINARY_EVENT if kind is SioType.EVENT else SioType.BINARY_ACK
    text = str(int(kind))
    if kind in BINARY_TYPES:
        text += f"{len(attachments)}-"
    if packet.nsp != "/":
        text += packet.nsp + ","
    if packet.id is not None:
        text += str(packet.id)
    if packet.data is not None:
        text += json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return [Packet(PacketType.MESSAGE, text), *(Packet(PacketType.MESSAGE, a) for a in attachments)]


class SioTransport(Protocol):
    """One Engine.IO session as the Socket.IO client sees it: message packets out and in (pings are the
    transport's business)."""

    def send(self, packets: list[Packet]) -> Awaitable[None]:
        """Send the message packets, in order (over polling: one payload)."""

    def receive(self, timeout: float) -> Awaitable[Packet | None]:
        """The next message packet, or None (none within ``timeout``, or the session ended)."""


class SioClient:
    """A Socket.IO client over one Engine.IO session: sends packets, reads them back whole, in order.

    It keeps nothing but the binary packet being reassembled (bounded by :class:`Reassembler`); what the
    transport has read and not yet asked for is the transport's (bounded by the Engine.IO payload it came
    in).
    """

    def __init__(self, transport: SioTransport) -> None:
        self.transport = transport
        self._reassembler = Reassembler()

    async def send(self, packet: SioPacket) -> None:
        """Send ``packet`` (and its attachments)."""
        await self.transport.send(encode(packet))

    async def send_raw(self, *messages: str | bytes) -> None:
        """Send Engine.IO messages as they are (text without the ``4``, or attachment bytes)."""
        await self.transport.send([Packet(PacketType.MESSAGE, m) for m in messages])

    async def next(self, timeout: float) -> SioPacket | None:
        """The next Socket.IO packet, or None (none whole within ``timeout``, or the session ended).

        Raises:
            SioDecodeError: the target sent something that is not Socket.IO v5.
        """
        while True:
            message = await self.transport.receive(timeout)
            if message is None:
                return None
            packet = self._reassembler.feed(message)
            if packet is not None:
                return packet
