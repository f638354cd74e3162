"""Engine.IO v4 packets and payloads, encoded and decoded strictly (README "Packet encoding").

A packet is a type digit followed by its data: ``4hello`` is a message, ``2probe`` a ping carrying
``probe``. Over WebSocket each packet rides in its own frame; a binary message is a binary frame holding
the bytes alone, with no type prefix. Over HTTP long-polling several packets make one payload, separated by
the record separator ``\\x1e``; a binary message in a payload is ``b`` followed by its bytes in base64.

Every decoding failure raises ``BadPacket`` (a ``LocalProtocolError``) with a short reason showing the
offending value; ``reactions.py`` says what the server does about it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import IntEnum

from reference.core.errors import LocalProtocolError

__all__ = ["RECORD_SEPARATOR", "BadPacket", "Packet", "PacketType", "decode_binary_frame", "decode_payload",
           "decode_text_frame", "encode_frame", "encode_payload"]

#: README "HTTP long-polling": "The packets are separated by the record separator character: \x1e".
RECORD_SEPARATOR = "\x1e"
#: README: "Binary payloads MUST be base64-encoded and prefixed with a `b` character".
BINARY_PREFIX = "b"
_SHOWN = 40  # characters of an offending input shown in an error message


# engine.io-protocol README, "Protocol" > packet types table
class PacketType(IntEnum):
    """The seven Engine.IO packet types."""

    #: Used during the handshake.
    OPEN = 0
    #: Used to indicate that a transport can be closed.
    CLOSE = 1
    #: Used in the heartbeat mechanism (server to client in v4; ``probe`` during the upgrade).
    PING = 2
    #: Used in the heartbeat mechanism.
    PONG = 3
    #: Used to send a payload to the other side.
    MESSAGE = 4
    #: Used during the upgrade process.
    UPGRADE = 5
    #: Used during the upgrade process (ends a pending polling GET).
    NOOP = 6


class BadPacket(LocalProtocolError):
    """Received bytes are not an Engine.IO packet or payload."""


@dataclass(frozen=True, slots=True)
class Packet:
    """One Engine.IO packet. ``data`` is bytes only for a binary message."""

    type: PacketType
    data: str | bytes = ""

    def __post_init__(self) -> None:
        if isinstance(self.data, bytes) and self.type is not PacketType.MESSAGE:
            raise ValueError(f"only a message can carry binary data, not a {self.type.name.lower()} packet")


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def _decode_text_packet(text: str) -> Packet:
    """``<type digit><data>``; the digit must name one of the seven types."""
    if not text:
        raise BadPacket("empty packet")
    head = text[0]
    if not ("0" <= head <= "6"):
        raise BadPacket(f"unknown packet type {head!r} in {_shown(text)}")
    return Packet(PacketType(int(head)), text[1:])


def decode_text_frame(text: str) -> Packet:
    """The packet in one WebSocket text frame (README "WebSocket": one packet per frame)."""
    return _decode_text_packet(text)


def decode_binary_frame(data: bytes) -> Packet:
    """The packet in one WebSocket binary frame: always a binary message, with no type prefix."""
    return Packet(PacketType.MESSAGE, bytes(data))


def encode_frame(packet: Packet) -> str | bytes:
    """What one WebSocket frame carries: text ``<type><data>``, or the raw bytes of a binary message."""
    if isinstance(packet.data, bytes):
        return packet.data
    return f"{int(packet.type)}{packet.data}"


def decode_payload(body: str) -> list[Packet]:
    """The packets of one polling payload: records separated by ``\\x1e``, ``b<base64>`` for binary.

    Raises:
        BadPacket: An empty payload or record, an unknown type, or base64 that does not decode.
    """
    if not body:
        raise BadPacket("empty payload")
    packets = []
    for record in body.split(RECORD_SEPARATOR):
        if record.startswith(BINARY_PREFIX):
            packets.append(Packet(PacketType.MESSAGE, _decode_base64(record[1:])))
        else:
            packets.append(_decode_text_packet(record))
    return packets


def _decode_base64(text: str) -> bytes:
    try:
        # validate=True: every character must be in the base64 alphabet and the padding right (RFC 4648 §4).
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise BadPacket(f"binary packet is not valid base64: {_shown(text)}") from None


def encode_payload(packets: list[Packet]) -> str:
    """One polling payload holding ``packets`` in order.

    Raises:
        ValueError: No packet, or a text packet holds ``\\x1e`` (it would split into two records).
    """
    if not packets:
        raise ValueError("a payload holds at least one packet")
    records = []
    for packet in packets:
        if isinstance(packet.data, bytes):
            records.append(BINARY_PREFIX + base64.b64encode(packet.data).decode("ascii"))
        elif RECORD_SEPARATOR in packet.data:
            raise ValueError(f"a text packet sent over polling cannot hold \\x1e: {_shown(packet.data)}")
        else:
            records.append(f"{int(packet.type)}{packet.data}")
    return RECORD_SEPARATOR.join(records)
