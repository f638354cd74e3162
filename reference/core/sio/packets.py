"""The Socket.IO v5 packet codec (socket.io-protocol ``Readme.md``, "Packet encoding").

A packet is ``<packet type>[<# of binary attachments>-][<namespace>,][<acknowledgment id>][JSON payload]``,
followed, for BINARY_EVENT and BINARY_ACK, by one binary Engine.IO message per attachment; in the JSON each
attachment is replaced by ``{"_placeholder":true,"num":<index>}``. Each encoded part is one Engine.IO
``message`` payload: the ``4`` prefix is the Engine.IO layer's business, not ours.

This module is pure functions: ``encode`` turns a ``Packet`` into its parts, ``parse_header`` reads the text
part, ``load_payload`` parses and checks the JSON of a header (placeholders replaced by their attachment, or
by an ``Attachment`` marker while the attachments have not arrived). ``decoder.Decoder`` puts the text and
binary parts back together. Every check raises ``MalformedPacket`` or ``AttachmentError``
(``errors.py`` says what the server does about them).

Rules checked beyond the text format (the spec's words where it has them):

* CONNECT: payload absent or a JSON object (the reference parser's rule; the spec's examples).
* DISCONNECT: no payload.
* EVENT / BINARY_EVENT: "The payload is mandatory and MUST be a non-empty array"; its first element, the
  event name, is a string that is not one of the names the reference server reserves (``RESERVED_EVENTS``).
  The reference parser also takes a number there; the event name is a string everywhere else in the
  reference API, so this core refuses numbers.
* ACK / BINARY_ACK: "The payload is mandatory and MUST be an array (possibly empty)", with an id (the ACK
  "carries the same id"; the reference parser does not insist).
* CONNECT_ERROR: a JSON object with a string ``message`` (v5: "the payload `CONNECT_ERROR` packet is now an
  object instead of a plain string").
* An ack id on CONNECT, DISCONNECT or CONNECT_ERROR is refused (the reference encoder never writes one).
* Ack ids are decimal, at most ``2**53 - 1`` (exact in every JavaScript peer); the attachment count is
  decimal and at most ``max_attachments`` (the reference decoder's default is 10).
* Placeholders: an object whose ``_placeholder`` is ``true`` is one; its ``num`` is an integer below the
  attachment count, and every attachment is referenced exactly once (the reference encoder writes them so;
  its decoder only checks the range).
* JSON as ``JSON.parse`` reads it: no ``NaN``/``Infinity``; nesting deeper than Python's parser allows, or
  integers longer than it converts, are malformed too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from reference.core.sio.errors import ApiError, AttachmentError, MalformedPacket

__all__ = ["BINARY_TYPES", "MAX_ACK_ID", "RESERVED_EVENTS", "Attachment", "Header", "Packet", "PacketType",
           "encode", "load_payload", "parse_header", "validate_payload"]


class PacketType(IntEnum):
    """socket.io-protocol "Exchange protocol": the packet types and their ids."""

    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


BINARY_TYPES = frozenset({PacketType.BINARY_EVENT, PacketType.BINARY_ACK})
_NO_ACK_ID = frozenset({PacketType.CONNECT, PacketType.DISCONNECT, PacketType.CONNECT_ERROR})
#: Event names the reference server keeps for itself (``socket.io/lib/socket.ts``); a peer cannot send them.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                             "removeListener"})
#: Largest integer every JavaScript peer holds exactly (``Number.MAX_SAFE_INTEGER``).
MAX_ACK_ID = 2**53 - 1
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True, slots=True)
class Packet:
    """One Socket.IO packet; ``data`` is the JSON value (bytes where attachments go), None when absent."""

    type: PacketType
    nsp: str = "/"
    data: Any = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Header:
    """The text part of a packet, read but with its JSON not parsed yet."""

    type: PacketType
    nsp: str
    id: int | None
    attachments: int
    payload: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """Where attachment ``num`` goes, before the attachments arrived."""

    num: int


def _digits(text: str, start: int) -> int:
    """The index after the run of ASCII digits at ``start``."""
    end = start
    while end < len(text) and text[end] in _DIGITS:
        end += 1
    return end


def parse_header(text: str, *, max_attachments: int) -> Header:
    """Read ``<type>[<n>-][<nsp>,][<id>]`` and keep the rest as the payload text.

    Raises:
        MalformedPacket: unknown type, bad attachment count or ack id.
        AttachmentError: more attachments announced than ``max_attachments``.
    """
    if not text or text[0] not in "0123456":
        raise MalformedPacket(f"unknown packet type {text[:1]!r}")
    ptype = PacketType(int(text[0]))
    pos = 1
    attachments = 0
    if ptype in BINARY_TYPES:
        end = _digits(text, pos)
        if end == pos or end >= len(text) or text[end] != "-":
            raise MalformedPacket(f"binary packet without '<count>-' attachment count: {text[:20]!r}")
        if end - pos > 6 or int(text[pos:end]) > max_attachments:
            raise AttachmentError(f"{text[pos:end][:12]} attachments announced, at most {max_attachments}")
        attachments = int(text[pos:end])
        pos = end + 1
    nsp = "/"
    if text.startswith("/", pos):
        comma = text.find(",", pos)
        end = len(text) if comma < 0 else comma
        nsp = text[pos:end]
        pos = end + 1 if comma >= 0 else end
    ack_id = None
    end = _digits(text, pos)
    if end > pos:
        if end - pos > 16 or int(text[pos:end]) > MAX_ACK_ID:
            raise MalformedPacket(f"ack id {text[pos:end][:20]} is above 2**53 - 1")
        ack_id = int(text[pos:end])
        pos = end
    if ack_id is not None and ptype in _NO_ACK_ID:
        raise MalformedPacket(f"{ptype.name} packet with an ack id")
    if ack_id is None and ptype in (PacketType.ACK, PacketType.BINARY_ACK):
        raise MalformedPacket(f"{ptype.name} packet without an ack id")
    return Header(ptype, nsp, ack_id, attachments, text[pos:])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_payload(header: Header, attachments: list[bytes] | None = None) -> Any:
    """Parse and check the header's JSON payload; None when there is none.

    Placeholders become ``attachments[num]``, or ``Attachment(num)`` markers when ``attachments`` is None
    (to check a binary packet before its attachments arrive).

    Raises:
        MalformedPacket: not JSON, or against the type's rule (module docstring).
        AttachmentError: placeholders that do not match the announced attachments.
    """
    seen: list[int] = []

    def placeholder(obj: dict[str, Any]) -> Any:
        if obj.get("_placeholder") is not True or header.type not in BINARY_TYPES:
            return obj
        num = obj.get("num")
        if type(num) is not int or not 0 <= num < header.attachments:
            raise AttachmentError(f"placeholder num {num!r} is not an attachment index below "
                                  f"{header.attachments}")
        seen.append(num)
        return Attachment(num) if attachments is None else attachments[num]

    data: Any = None
    if header.payload:
        try:
            data = json.loads(header.payload, object_hook=placeholder, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            raise MalformedPacket(f"payload is not JSON: {str(exc)[:80]}") from None
    if sorted(seen) != list(range(header.attachments)):
        raise AttachmentError(f"placeholders {sorted(seen)[:12]} do not reference each of the "
                              f"{header.attachments} attachments once")
    validate_payload(header.type, data)
    return data


def validate_payload(ptype: PacketType, data: Any) -> None:
    """Check the payload rule of the packet type (module docstring); None means no payload.

    Raises:
        MalformedPacket: the payload breaks the rule.
    """
    if ptype is PacketType.CONNECT:
        ok = data is None or isinstance(data, dict)
    elif ptype is PacketType.DISCONNECT:
        ok = data is None
    elif ptype in (PacketType.EVENT, PacketType.BINARY_EVENT):
        # socket.io-protocol: "The payload is mandatory and MUST be a non-empty array. If that's not the
        # case, then the receiver MUST close the connection."
        ok = (isinstance(data, list) and bool(data) and isinstance(data[0], str)
              and data[0] not in RESERVED_EVENTS)
    elif ptype in (PacketType.ACK, PacketType.BINARY_ACK):
        # socket.io-protocol: "The payload is mandatory and MUST be an array (possibly empty)."
        ok = isinstance(data, list)
    else:  # CONNECT_ERROR
        ok = isinstance(data, dict) and isinstance(data.get("message"), str)
    if not ok:
        raise MalformedPacket(f"invalid {ptype.name} payload: {json.dumps(data, default=repr)[:80]}")


def _dumps(data: Any, default: Callable[[Any], Any], ensure_ascii: bool) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=ensure_ascii, allow_nan=False,
                      default=default)


def encode(packet: Packet) -> list[str | bytes]:
    """The Engine.IO message payloads of ``packet``: the text, then one bytes per attachment.

    bytes, bytearray and memoryview values anywhere in ``data`` become attachments, in the order
    ``JSON.stringify`` meets them; an EVENT or ACK carrying some is sent as BINARY_EVENT or BINARY_ACK.
    Text is written as ``JSON.stringify`` writes it (no spaces, non-ASCII as is); a string holding a lone
    surrogate (possible after parsing ``"\\ud800"``) makes the whole payload ASCII-escaped, so that it stays
    encodable as UTF-8.

    Raises:
        ApiError: the payload breaks its type's rule, or holds a value JSON cannot carry.
    """
    try:
        validate_payload(packet.type, packet.data)
    except MalformedPacket as exc:
        raise ApiError(exc.msg) from None
    if packet.id is not None and (packet.type in _NO_ACK_ID or not 0 <= packet.id <= MAX_ACK_ID):
        raise ApiError(f"ack id {packet.id} on a {packet.type.name} packet")
    if packet.id is None and packet.type in (PacketType.ACK, PacketType.BINARY_ACK):
        raise ApiError(f"{packet.type.name} packet without an ack id")
    buffers: list[bytes] = []

    def extract(value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            buffers.append(bytes(value))
            return {"_placeholder": True, "num": len(buffers) - 1}
        raise ApiError(f"{type(value).__name__} is not JSON serializable")

    payload = ""
    if packet.data is not None:
        try:
            payload = _dumps(packet.data, extract, ensure_ascii=False)
            payload.encode("utf-8")
        except UnicodeEncodeError:
            buffers.clear()
            payload = _dumps(packet.data, extract, ensure_ascii=True)
        except ValueError as exc:  # NaN / Infinity
            raise ApiError(str(exc)) from None
    ptype = packet.type
    if buffers and ptype is PacketType.EVENT:
        ptype = PacketType.BINARY_EVENT
    elif buffers and ptype is PacketType.ACK:
        ptype = PacketType.BINARY_ACK
    elif buffers and ptype not in BINARY_TYPES:
        raise ApiError(f"binary data in a {ptype.name} packet")
    head = str(int(ptype))
    if ptype in BINARY_TYPES:
        head += f"{len(buffers)}-"
    if packet.nsp != "/":
        if not packet.nsp.startswith("/"):
            raise ApiError(f"namespace {packet.nsp!r} does not start with '/'")
        if "," in packet.nsp:
            raise ApiError(f"namespace {packet.nsp!r} holds a comma")
        if not packet.nsp.isascii():
            try:
                packet.nsp.encode("utf-8")
            except UnicodeEncodeError:
                raise ApiError(f"namespace {packet.nsp!r} is not encodable as UTF-8") from None
        head += packet.nsp + ","
    if packet.id is not None:
        head += str(packet.id)
    return [head + payload, *buffers]

