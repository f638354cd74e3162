"""The permessage-deflate extension (RFC 7692), server side, sans-IO: negotiation and the message codec.

Two jobs, kept apart:

* ``negotiate(offers, config)`` reads the client's ``Sec-WebSocket-Extensions`` header lines and picks the
  first ``permessage-deflate`` offer the server can accept, in the client's order of preference (RFC 7692
  §5); it returns the response header value and the agreed ``DeflateParams``, or None when no offer is
  acceptable (then the connection runs without compression). Invalid offers are declined, never refused
  with an HTTP error: RFC 7692 §7 says "A server MUST decline an extension negotiation offer for this
  extension if any of the following conditions are met", and a declined offer leaves the next one in the
  list to be considered.
* ``PerMessageDeflate`` compresses outgoing messages and inflates incoming ones, holding the LZ77 contexts
  the agreement allows to be taken over from one message to the next (§7.1.1).

zlib facts that shape the choices (Python's ``zlib`` module, zlib 1.2.9 and later):

* ``zlib.compressobj(wbits=-8)`` raises "Invalid initialization option": raw deflate cannot compress with a
  256-byte window. An offer with ``server_max_window_bits=8`` asks exactly that, so it is declined (the
  server "doesn't support the offered configuration", §7), as the Python ``websockets`` library also does.
* Inflating needs a window at least as large as the compressor's. The server inflates with the largest
  window (15 bits, 32 KiB) whatever ``client_max_window_bits`` was agreed: it decodes every smaller one
  too, including a client whose zlib silently compresses with 9 bits when asked for 8.

The decompressed size is bounded while inflating: ``zlib.Decompress.decompress(data, max_length)`` never
returns more than ``max_length`` bytes, so a message that inflates past the limit is refused once one byte
more than the limit has been produced, whatever its compressed size (a decompression bomb costs at most
the limit).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from reference.core.errors import InvalidCompressedData, LocalProtocolError, PayloadTooBig

__all__ = ["EXTENSION_NAME", "DeflateConfig", "DeflateParams", "PerMessageDeflate", "negotiate",
           "parse_extensions"]

EXTENSION_NAME = "permessage-deflate"
#: RFC 7692 §7.2.1: the 4 octets a sync flush ends with, removed by the sender and appended by the receiver.
TRAILER = b"\x00\x00\xff\xff"
#: RFC 7692 §7.1.2.1: window bits are "between 8 to 15, inclusive".
MIN_WINDOW_BITS, MAX_WINDOW_BITS = 8, 15
#: zlib cannot compress raw deflate with 8 window bits (see the module docstring).
MIN_COMPRESS_WINDOW_BITS = 9
#: Output asked of zlib per call (at least): a bomb's output is gathered in steps this size or twice the
#: input's, never in one piece of the limit's size, whose final copy would double the peak.
_INFLATE_STEP = 2**20

# RFC 7230 §3.2.6: token = 1*tchar; quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE.
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_PARAM = re.compile(rf"\s*({_TOKEN})\s*(?:=\s*({_TOKEN}|{_QUOTED}))?\s*")
_TOKEN_ONLY = re.compile(_TOKEN)
#: RFC 7692 §7.1.2.1: "a decimal integer value without leading zeroes between 8 to 15, inclusive".
_WINDOW_BITS_VALUE = re.compile(r"[89]|1[0-5]")

Params = tuple[tuple[str, "str | None"], ...]


@dataclass(frozen=True, slots=True)
class DeflateConfig:
    """What the server wants from permessage-deflate, whatever the client offers.

    Attributes:
        window_bits: The most window bits the server compresses with (9..15); an offer's
            ``server_max_window_bits`` lowers it, never raises it.
        client_window_bits: When the client offered ``client_max_window_bits``, ask it to compress with at
            most this many bits (8..15); None leaves the client its own choice.
        server_no_context_takeover: Compress every message on its own even if the client did not ask.
        client_no_context_takeover: Ask the client to compress every message on its own.
        level: zlib compression level, 0..9.
        mem_level: zlib ``memLevel``, 1..9: memory of the compressor's hash table (2**(mem_level + 9) bytes).
    """

    window_bits: int = MAX_WINDOW_BITS
    client_window_bits: int | None = None
    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    level: int = 6
    mem_level: int = 8

    def __post_init__(self) -> None:
        if not MIN_COMPRESS_WINDOW_BITS <= self.window_bits <= MAX_WINDOW_BITS:
            raise ValueError(f"window_bits must be between 9 and 15, got {self.window_bits}")
        if self.client_window_bits is not None and not (
                MIN_WINDOW_BITS <= self.client_window_bits <= MAX_WINDOW_BITS):
            raise ValueError(f"client_window_bits must be between 8 and 15, got {self.client_window_bits}")
        if not 0 <= self.level <= 9:
            raise ValueError(f"level must be between 0 and 9, got {self.level}")
        if not 1 <= self.mem_level <= 9:
            raise ValueError(f"mem_level must be between 1 and 9, got {self.mem_level}")


@dataclass(frozen=True, slots=True)
class DeflateParams:
    """The agreed permessage-deflate parameters, as the response header states them.

    Attributes:
        server_no_context_takeover: The server resets its compressor after every message.
        client_no_context_takeover: The client resets its compressor after every message, so the server may
            reset its decompressor too.
        server_max_window_bits: Window bits the server compresses with.
        client_max_window_bits: Window bits the client compresses with at most (15 when not agreed).
        level: zlib compression level of the server's compressor.
        mem_level: zlib ``memLevel`` of the server's compressor.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = MAX_WINDOW_BITS
    client_max_window_bits: int = MAX_WINDOW_BITS
    level: int = 6
    mem_level: int = 8


class _Declined(Exception):
    """Internal: this offer cannot be accepted (the reason is for tests and logs)."""


def parse_extensions(header_values: Iterable[str]) -> list[tuple[str, Params] | None]:
    """Parse ``Sec-WebSocket-Extensions`` header lines into (extension name, parameters) elements.

    RFC 6455 §11.3.2: "The |Sec-WebSocket-Extensions| header field MAY appear multiple times in an HTTP
    request (which is logically the same as a single |Sec-WebSocket-Extensions| header field that contains
    all values." The grammar in §9.1 is ``extension = extension-token *( ";" extension-param )`` and
    ``extension-param = token [ "=" (token | quoted-string) ]``; "When using the quoted-string syntax
    variant, the value after quoted-string unescaping MUST conform to the 'token' ABNF." Names are kept as
    received and compared exactly (RFC 7692 spells them in lower case and allows no other spelling). A
    value is returned unquoted; a parameter without value has None.

    Returns:
        One entry per list element, in order; None for an element that does not follow the grammar (it is
        declined like any unacceptable offer). Empty elements are skipped (RFC 7230 §7).
    """
    return [_parse_element(text) for line in header_values for text in _split_unquoted(line, ",")
            if text.strip()]


def _split_unquoted(text: str, separator: str) -> list[str]:
    """Split ``text`` on ``separator`` where it is not inside a quoted string (quotes are kept)."""
    parts: list[str] = []
    start = 0
    quoted = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _parse_element(text: str) -> tuple[str, Params] | None:
    name, *raw_params = _split_unquoted(text, ";")
    name = name.strip()
    if not _TOKEN_ONLY.fullmatch(name):
        return None
    params: list[tuple[str, str | None]] = []
    for raw in raw_params:
        match = _PARAM.fullmatch(raw)
        if match is None:
            return None
        value = match[2]
        if value is not None and value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
            if not _TOKEN_ONLY.fullmatch(value):
                return None
        params.append((match[1], value))
    return name, tuple(params)


def _window_bits(name: str, value: str | None) -> int:
    if value is None:
        raise _Declined(f"{name} needs a value")
    # RFC 7692 §7: decline if "The negotiation offer contains an extension parameter with an invalid value."
    if not _WINDOW_BITS_VALUE.fullmatch(value):
        raise _Declined(f"invalid {name} value {value!r}: must be 8..15 without leading zeros")
    return int(value)


def _accept_offer(params: Params, config: DeflateConfig) -> tuple[str, DeflateParams]:
    """Accept one offer or raise ``_Declined``; return the response header value and the agreement."""
    seen: set[str] = set()
    server_no_takeover = client_no_takeover = False
    server_bits: int | None = None
    client_bits: int | bool | None = None  # True: offered without a value
    for name, value in params:
        # RFC 7692 §7: decline if "The negotiation offer contains multiple extension parameters with the
        # same name."
        if name in seen:
            raise _Declined(f"duplicate parameter {name}")
        seen.add(name)
        if name in ("server_no_context_takeover", "client_no_context_takeover"):
            # RFC 7692 §7.1.1.1 and §7.1.1.2: "This extension parameter has no value." A value is invalid:
            # RFC 7692 §7: decline if "The negotiation offer contains an extension parameter with an invalid
            # value."
            if value is not None:
                raise _Declined(f"{name} takes no value, got {value!r}")
            if name == "server_no_context_takeover":
                server_no_takeover = True
            else:
                client_no_takeover = True
        elif name == "server_max_window_bits":
            server_bits = _window_bits(name, value)
            # RFC 7692 §7: decline if "The server doesn't support the offered configuration." zlib cannot
            # compress raw deflate with an 8-bit window, and the response may only state "the same or
            # smaller value as the offer" (§7.1.2.1).
            if server_bits < MIN_COMPRESS_WINDOW_BITS:
                raise _Declined("server_max_window_bits=8 is not supported by zlib's compressor")
        elif name == "client_max_window_bits":
            # RFC 7692 §7.1.2.2: "This parameter has no value or a decimal integer value without leading
            # zeroes between 8 to 15 inclusive".
            client_bits = True if value is None else _window_bits(name, value)
        else:
            # RFC 7692 §7: decline if "The negotiation offer contains an extension parameter not defined for
            # use in an offer."
            raise _Declined(f"unknown parameter {name}")
    response = [EXTENSION_NAME]
    # RFC 7692 §7.1.1.1: the server may include server_no_context_takeover even if the offer did not.
    server_no_takeover = server_no_takeover or config.server_no_context_takeover
    if server_no_takeover:
        response.append("server_no_context_takeover")
    # RFC 7692 §7.1.1.2: the server may answer an offered client_no_context_takeover (or ask for it on its
    # own); then it drops its inflate context between messages.
    client_no_takeover = client_no_takeover or config.client_no_context_takeover
    if client_no_takeover:
        response.append("client_no_context_takeover")
    window = config.window_bits
    if server_bits is not None:
        # RFC 7692 §7.1.2.1: "A server accepts an extension negotiation offer with this parameter by
        # including the "server_max_window_bits" extension parameter in the extension negotiation response
        # to send back to the client with the same or smaller value as the offer."
        window = min(server_bits, window)
        response.append(f"server_max_window_bits={window}")
    agreed_client_bits = MAX_WINDOW_BITS
    if client_bits is not None and config.client_window_bits is not None:
        # RFC 7692 §7.1.2.2: without the parameter in the offer, the response "MUST NOT include the
        # "client_max_window_bits" extension parameter"; with it, a value "equal to or smaller than the
        # received value" may be stated.
        agreed_client_bits = config.client_window_bits if client_bits is True else min(
            int(client_bits), config.client_window_bits)
        response.append(f"client_max_window_bits={agreed_client_bits}")
    elif isinstance(client_bits, int) and client_bits is not True:
        agreed_client_bits = client_bits
    agreement = DeflateParams(server_no_takeover, client_no_takeover, window, agreed_client_bits,
                              config.level, config.mem_level)
    return "; ".join(response), agreement


def negotiate(header_values: Iterable[str], config: DeflateConfig) -> tuple[str, DeflateParams] | None:
    """Choose the first acceptable ``permessage-deflate`` offer of a request.

    RFC 7692 §5: "The order of elements is important as it specifies the client's preference.  An element
    preceding another element has higher preference.  It is recommended that a server accepts PMCEs with
    higher preference if the server supports them." An invalid or unsupported offer is declined (§7) and
    the next one is considered. Other extensions are not supported: they are left out of the response.

    Args:
        header_values: Every ``Sec-WebSocket-Extensions`` line of the request.
        config: The server's own preferences.

    Returns:
        (the ``Sec-WebSocket-Extensions`` response value, the agreement), or None: answer without the header
        and do not compress.
    """
    for element in parse_extensions(header_values):
        if element is None or element[0] != EXTENSION_NAME:
            continue
        try:
            return _accept_offer(element[1], config)
        except _Declined:
            continue
    return None


def decline_reason(params: Params, config: DeflateConfig | None = None) -> str | None:
    """Why one offer's parameters would be declined, or None if they are acceptable (for tests and logs)."""
    try:
        _accept_offer(params, config or DeflateConfig())
    except _Declined as exc:
        return str(exc)
    return None


def _inflate_into(parts: list[bytes], decompressor: zlib._Decompress, data: bytes, room: int, *,
                  trailer: bool = False) -> int:
    """Inflate ``data`` into ``parts`` producing at most ``room`` bytes; return the room left.

    Raises:
        PayloadTooBig: More than ``room`` bytes come out; at most ``room + 1`` were made.
        InvalidCompressedData: Bytes follow the end of the deflate stream.
        zlib.error: ``data`` is not valid DEFLATE data.
    """
    if not data:
        return room
    while True:
        if decompressor.eof:
            # A block with BFINAL set ended the stream; only the trailer we append may follow it.
            if data and not trailer:
                raise InvalidCompressedData("data after the end of the deflate stream")
            break
        # Never more than one byte past the limit is produced, whatever the input, in bounded steps.
        ask = min(room + 1, max(_INFLATE_STEP, 2 * len(data)))
        part = decompressor.decompress(data, ask)
        if len(part) > room:
            raise PayloadTooBig("compressed message inflates past the message size limit")
        room -= len(part)
        parts.append(part)
        data = decompressor.unconsumed_tail
        if not data and len(part) < ask:
            break  # all input read and zlib holds no more output (it stopped short of ``ask``)
    if decompressor.eof and decompressor.unused_data and not trailer:
        raise InvalidCompressedData("data after the end of the deflate stream")
    return room


class PerMessageDeflate:
    """The message codec of an agreed permessage-deflate extension (server role).

    Incoming: ``inflate`` every frame of a compressed message (the first had RSV1 set) in order, with
    ``final=True`` for the last; it appends the trailer itself (RFC 7692 §7.2.2). Outgoing: ``deflate`` a
    whole message; the caller sends the result in one frame with RSV1 set.

    Args:
        params: The agreement from ``negotiate``.
    """

    __slots__ = ("_compressor", "_decompressor", "_flush_mode", "params")

    def __init__(self, params: DeflateParams) -> None:
        self.params = params
        self._decompressor: zlib._Decompress | None = None
        self._compressor: zlib._Compress | None = None
        # RFC 7692 §7.1.1.1: without context takeover the compressor starts each message empty;
        # Z_FULL_FLUSH ends the message like Z_SYNC_FLUSH and also resets the LZ77 dictionary.
        self._flush_mode = zlib.Z_FULL_FLUSH if params.server_no_context_takeover else zlib.Z_SYNC_FLUSH

    # -- incoming -------------------------------------------------------------------------------------

    def inflate(self, payload: bytes, *, final: bool, room: int) -> bytes:
        """Inflate one frame's payload of a compressed message.

        Args:
            payload: The frame's (unmasked) payload.
            final: True for the message's last frame.
            room: Decompressed bytes this frame may still produce within the message size limit.

        Raises:
            PayloadTooBig: The message inflates past ``room`` (1009); at most ``room + 1`` bytes were made.
            InvalidCompressedData: The payload is not valid DEFLATE data (1007).
        """
        decompressor = self._decompressor
        if decompressor is None:
            decompressor = self._decompressor = zlib.decompressobj(wbits=-MAX_WINDOW_BITS)
        parts: list[bytes] = []
        try:
            room = _inflate_into(parts, decompressor, payload, room)
            if final:
                _inflate_into(parts, decompressor, TRAILER, room, trailer=True)
        except zlib.error as exc:
            raise InvalidCompressedData(f"compressed message does not inflate: {exc}") from None
        if final and (self.params.client_no_context_takeover or decompressor.eof):
            # RFC 7692 §7.1.1.2: the client starts every message with an empty window; after a BFINAL
            # block the stream is over and the next message starts a new one.
            self._decompressor = None
        return parts[0] if len(parts) == 1 else b"".join(parts)

    # -- outgoing -------------------------------------------------------------------------------------

    def deflate(self, data: bytes) -> bytes:
        """Compress one whole message (RFC 7692 §7.2.1) and return the frame payload to send with RSV1."""
        compressor = self._compressor
        if compressor is None:
            params = self.params
            compressor = self._compressor = zlib.compressobj(
                params.level, zlib.DEFLATED, -params.server_max_window_bits, params.mem_level)
        out = compressor.compress(data) + compressor.flush(self._flush_mode)
        # RFC 7692 §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end." A sync or
        # full flush always ends with that empty stored block.
        if not out.endswith(TRAILER):  # pragma: no cover - zlib's flush guarantees it
            raise LocalProtocolError("zlib flush did not end with an empty stored block")
        return out[:-4]
