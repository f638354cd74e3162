"""Engine.IO v4 on the wire, sans-IO: packets, polling payloads, the open packet, request targets.

The runner's own Engine.IO codec, written from the engine.io-protocol README (v4), independent of any
server. It reads what a target sends and says what it is, or raises :class:`EioDecodeError` saying why it
is not Engine.IO v4; it never judges (the catalog does). Everything it reads is already bounded by the
raw client that received it (an HTTP body by :data:`~conformance.wire.httpread.MAX_BODY_KEPT`, a WebSocket
message by the WebSocket client's ``max_message``); on top of that a payload is split into at most
:data:`MAX_PACKETS` packets and an open packet's JSON is read only up to :data:`MAX_OPEN_PACKET` bytes.

Encodings (README "Packet encoding"):

* a packet is ``<type digit>[<data>]``; types 0 open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade, 6 noop;
* over HTTP long-polling, packets are joined with the record separator ``\\x1e``, and a binary packet is
  ``b`` followed by the base64 of its bytes (always base64 in v4);
* over WebSocket, each packet is one frame; a binary message is a binary frame holding the bytes as they
  are, with no type prefix.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from conformance.wire.http import split_resource

__all__ = ["MAX_OPEN_PACKET", "MAX_PACKETS", "OPEN_KEYS", "SEPARATOR", "EioDecodeError", "OpenPacket",
           "Packet", "PacketType", "decode_packet", "decode_payload", "decode_ws", "encode_payload",
           "parse_open", "resource_for"]

#: The record separator between packets of a polling payload (README "Packet encoding").
SEPARATOR = "\x1e"
#: The most packets one payload is split into; a payload with more is not decoded.
MAX_PACKETS = 10_000
#: The largest open packet read (the JSON of five short fields is well under 1 KiB).
MAX_OPEN_PACKET = 64 * 1024
#: The keys of the open packet's JSON and the type each must have (README "Handshake").
OPEN_KEYS: dict[str, type] = {
    "sid": str, "upgrades": list, "pingInterval": int, "pingTimeout": int, "maxPayload": int}


class PacketType(enum.IntEnum):
    """The Engine.IO packet types (README "Protocol")."""

    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


class EioDecodeError(ValueError):
    """What the target sent is not an Engine.IO v4 packet, payload or open packet (the message says why)."""


@dataclass(frozen=True, slots=True)
class Packet:
    """One Engine.IO packet.

    Attributes:
        type: the packet type.
        data: the text after the type digit, or the bytes of a binary message.
    """

    type: PacketType
    data: str | bytes = ""

    @property
    def binary(self) -> bool:
        """A binary message (bytes, not text)."""
        return isinstance(self.data, bytes)

    def polling(self) -> str:
        """The packet as a polling payload writes it: ``<type><data>``, or ``b<base64>`` for bytes."""
        if isinstance(self.data, bytes):
            return "b" + base64.b64encode(self.data).decode("ascii")
        return f"{int(self.type)}{self.data}"

    def __str__(self) -> str:
        return repr(self.polling())


def decode_packet(text: str) -> Packet:
    """One text packet (``4hello``, ``2probe``) or one base64 binary packet of a polling payload.

    Raises:
        EioDecodeError: empty, an unknown type, or invalid base64 after ``b``.
    """
    if not text:
        raise EioDecodeError("an empty packet")
    if text[0] == "b":
        try:
            return Packet(PacketType.MESSAGE, base64.b64decode(text[1:], validate=True))
        except (binascii.Error, ValueError):
            raise EioDecodeError(f"invalid base64 in a binary packet: {text[:40]!r}") from None
    if text[0] not in "0123456":
        raise EioDecodeError(f"unknown packet type {text[:1]!r} in {text[:40]!r}")
    return Packet(PacketType(int(text[0])), text[1:])


def decode_payload(body: bytes) -> list[Packet]:
    """A polling response body: UTF-8 text, packets separated by ``\\x1e`` (README "Packet encoding").

    Raises:
        EioDecodeError: not UTF-8, more than :data:`MAX_PACKETS` packets, or a packet that does not decode.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EioDecodeError(f"the payload is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if text.count(SEPARATOR) >= MAX_PACKETS:
        raise EioDecodeError(f"more than {MAX_PACKETS} packets in one payload")
    return [decode_packet(part) for part in text.split(SEPARATOR)]


def encode_payload(packets: Sequence[Packet | str]) -> bytes:
    """A polling request body: the packets (a ``str`` is sent as it is) joined with ``\\x1e``."""
    return SEPARATOR.join(p if isinstance(p, str) else p.polling() for p in packets).encode("utf-8")


def decode_ws(data: bytes, binary: bool) -> Packet:
    """One WebSocket message: a binary frame is a binary message as it is; a text frame is a packet.

    Raises:
        EioDecodeError: a text frame that is not a packet (or not UTF-8).
    """
    if binary:
        return Packet(PacketType.MESSAGE, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EioDecodeError("a text frame that is not UTF-8") from None
    if text.startswith("b"):
        raise EioDecodeError(f"unknown packet type 'b' in a text frame: {text[:40]!r}")
    return decode_packet(text)


@dataclass(frozen=True, slots=True)
class OpenPacket:
    """The payload of an ``open`` packet (README "Handshake").

    Attributes:
        sid: the session id.
        upgrades: the transports the session may upgrade to.
        ping_interval: milliseconds between the server's pings.
        ping_timeout: milliseconds the client has to answer one.
        max_payload: the largest payload, in bytes, the server accepts.
        keys: every key the JSON object had, in order (extra keys included).
    """

    sid: str
    upgrades: tuple[str, ...]
    ping_interval: int
    ping_timeout: int
    max_payload: int
    keys: tuple[str, ...]


def parse_open(packet: Packet) -> OpenPacket:
    """The open packet's JSON: every key of :data:`OPEN_KEYS`, with its type.

    Raises:
        EioDecodeError: not an open packet, not a JSON object, a key missing or of the wrong type.
    """
    if packet.type is not PacketType.OPEN or not isinstance(packet.data, str):
        raise EioDecodeError(f"not an open packet: {packet}")
    if len(packet.data) > MAX_OPEN_PACKET:
        raise EioDecodeError(f"an open packet of {len(packet.data)} characters")
    try:
        value = json.loads(packet.data)
    except ValueError:
        raise EioDecodeError(f"the open packet is not JSON: {packet.data[:80]!r}") from None
    if not isinstance(value, dict):
        raise EioDecodeError(f"the open packet is not a JSON object: {packet.data[:80]!r}")
    for key, kind in OPEN_KEYS.items():
        if key not in value:
            raise EioDecodeError(f"the open packet has no {key!r}: {packet.data[:120]!r}")
        if not isinstance(value[key], kind) or isinstance(value[key], bool):
            raise EioDecodeError(f"the open packet's {key!r} is {value[key]!r}, not a {kind.__name__}")
    if not all(isinstance(u, str) for u in value["upgrades"]):
        raise EioDecodeError(f"the open packet's 'upgrades' is {value['upgrades']!r}, not a list of names")
    return OpenPacket(value["sid"], tuple(value["upgrades"]), value["pingInterval"], value["pingTimeout"],
                      value["maxPayload"], tuple(value))


def resource_for(base: str, *, transport: str | None = "polling", sid: str | None = None,
                 eio: str | None = "4", extra: Sequence[tuple[str, str]] = ()) -> str:
    """The request target for ``base`` (the target URL's path and query) with the Engine.IO query
    parameters set: ``EIO``, ``transport``, ``sid`` (a ``None`` leaves that parameter out), then ``extra``.
    Parameters of the same names in ``base``'s query are replaced; others are kept."""
    path, query = split_resource(base)
    ours = {"EIO", "transport", "sid"}
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ours]
    pairs += [(k, v) for k, v in (("EIO", eio), ("transport", transport), ("sid", sid)) if v is not None]
    pairs += list(extra)
    return f"{path}?{urlencode(pairs)}" if pairs else path
