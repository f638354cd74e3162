"""The runner's own permessage-deflate (RFC 7692): offers, the server's answer, and the message codec.

Written for the runner alone (zlib from the standard library, nothing from ``reference``): a bug in the
reference server's extension must not be able to hide behind the same bug here.

* :func:`offer` writes one offer element (RFC 7692 §7.1); cases may also send any raw element text.
* :func:`parse_extensions` reads a ``Sec-WebSocket-Extensions`` value (RFC 6455 §9.1 grammar).
* :func:`negotiate` judges the server's answer against the offers and returns the :class:`Agreement`
  (or None: declined); an answer no offer allows raises :class:`NegotiationError`.
* :class:`PerMessageDeflate` is one connection's codec: the runner's compressor (the client's side of
  the agreement) and its inflater for the server's messages, which never produces more than ``limit``
  bytes whatever the input (a decompression bomb costs the runner at most ``limit`` bytes).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "EXTENSION",
    "TAIL",
    "Agreement",
    "InflateError",
    "InflateTooLarge",
    "NegotiationError",
    "PerMessageDeflate",
    "compress_raw",
    "negotiate",
    "offer",
    "parse_extensions",
]

EXTENSION = "permessage-deflate"
#: RFC 7692 §7.2.1: a compressed payload ends without the 4 octets a sync flush ends with; §7.2.2 step 1
#: puts them back: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the message."
TAIL = b"\x00\x00\xff\xff"
#: RFC 7692 §7: the four parameters an offer and a response may carry.
PARAMS = ("server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
          "client_max_window_bits")
#: zlib cannot compress with a 256-byte window ("Invalid initialization option"); 9 is its smallest.
MIN_ZLIB_COMPRESS_BITS = 9

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: RFC 7692 §7.1.2.1: "a decimal integer value without leading zeroes between 8 to 15, inclusive"
_WINDOW_BITS = re.compile(r"[89]|1[0-5]")

Param = tuple[str, "str | None"]


class NegotiationError(ValueError):
    """The server's ``Sec-WebSocket-Extensions`` answer is not a valid answer to the runner's offers."""


class InflateError(ValueError):
    """A compressed message from the server does not inflate (not DEFLATE, or a window it may not use)."""


class InflateTooLarge(ValueError):
    """A compressed message from the server inflates past the runner's limit (inflating stopped there)."""

    def __init__(self, limit: int, compressed: int) -> None:
        super().__init__(f"compressed message of {compressed} bytes inflates past the runner's limit of "
                         f"{limit} bytes")
        self.limit = limit
        self.compressed = compressed


def offer(*, server_no_context_takeover: bool = False, client_no_context_takeover: bool = False,
          server_max_window_bits: int | None = None, client_max_window_bits: int | bool = False) -> str:
    """One permessage-deflate offer element; ``client_max_window_bits=True`` offers it without a value."""
    parts = [EXTENSION]
    if client_no_context_takeover:
        parts.append("client_no_context_takeover")
    if client_max_window_bits is True:
        parts.append("client_max_window_bits")
    elif client_max_window_bits:
        parts.append(f"client_max_window_bits={client_max_window_bits}")
    if server_no_context_takeover:
        parts.append("server_no_context_takeover")
    if server_max_window_bits is not None:
        parts.append(f"server_max_window_bits={server_max_window_bits}")
    return "; ".join(parts)


def parse_extensions(value: str) -> list[tuple[str, list[Param]]]:
    """Split a ``Sec-WebSocket-Extensions`` value into (name, [(param, value or None)]) elements.

    RFC 6455 §9.1: ``extension-list = 1#extension``, ``extension = extension-token *( ";" extension-param )``,
    ``extension-param = token [ "=" (token | quoted-string) ]``; a quoted value is unquoted here.

    Raises:
        ValueError: the value does not follow that grammar (the message shows the offending part).
    """
    elements: list[tuple[str, list[Param]]] = []
    for element in _split_outside_quotes(value, ","):
        if not element.strip():
            continue
        name, *params = _split_outside_quotes(element, ";")
        name = name.strip()
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"extension name {name!r} is not a token")
        parsed: list[Param] = []
        for param in params:
            key, sep, raw = (p.strip() for p in param.partition("="))
            if not _TOKEN.fullmatch(key):
                raise ValueError(f"extension parameter {param.strip()!r} is not a token")
            if not sep:
                parsed.append((key, None))
                continue
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            if not _TOKEN.fullmatch(raw):
                raise ValueError(f"value of {key!r} is not a token: {raw!r}")
            parsed.append((key, raw))
        elements.append((name, parsed))
    return elements


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


@dataclass(frozen=True, slots=True)
class Agreement:
    """The "agreed parameters" of RFC 7692 §7, as the server's answer sets them.

    Attributes:
        server_no_context_takeover: the server starts every message with an empty window (§7.2.1).
        client_no_context_takeover: the runner must compress every message with an empty window.
        server_max_window_bits: the largest window the server compresses with (15 when not given).
        client_max_window_bits: the largest window the runner may compress with (15 when not given).
        response: the accepted element as the server wrote it.
        remark: how the answer departs from what the RFC describes without a requirement keyword ("").
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15
    response: str = EXTENSION
    remark: str = ""


def _params(params: Sequence[Param], where: str) -> dict[str, str | None]:
    """The parameters of one element as a dict; RFC 7692 §7: unknown, duplicated or invalid ones raise."""
    seen: dict[str, str | None] = {}
    for name, value in params:
        key = name.lower()
        if key not in PARAMS:
            raise NegotiationError(f"{where} has parameter {key!r}, which permessage-deflate does not define")
        if key in seen:
            raise NegotiationError(f"{where} has parameter {key!r} twice")
        no_value = key.endswith("context_takeover")
        if no_value and value is not None:
            raise NegotiationError(f"{where} gives {key!r} a value ({value!r}); it has none")
        if not no_value and value is not None and not _WINDOW_BITS.fullmatch(value):
            raise NegotiationError(f"{where} has {key}={value!r}, not a window size of 8 to 15")
        if key == "server_max_window_bits" and value is None:
            raise NegotiationError(f"{where} has server_max_window_bits without a value")
        seen[key] = value
    return seen


def _answers(offered: dict[str, str | None], answer: dict[str, str | None]) -> tuple[str, str]:
    """(why ``answer`` cannot be the answer to ``offered``, a remark where it answers it otherwise than the
    RFC describes without a requirement keyword); "" for none."""
    # §7.1.1.1: "A server accepting an extension negotiation offer with this parameter MUST include the
    # "server_no_context_takeover" extension parameter in the extension negotiation response"
    if "server_no_context_takeover" in offered and "server_no_context_takeover" not in answer:
        return "server_no_context_takeover offered but not in the answer (§7.1.1.1)", ""
    remark = ""
    want = offered.get("server_max_window_bits")
    if want is not None:
        got = answer.get("server_max_window_bits")
        # §7.1.2.1: "A server accepts an extension negotiation offer with this parameter by including the
        # "server_max_window_bits" extension parameter in the extension negotiation response to send back
        # to the client with the same or smaller value as the offer." (no requirement keyword)
        if got is None:
            remark = (f"server_max_window_bits={want} offered, the answer leaves it out (§7.1.2.1 describes "
                      "accepting it as including it with the same or a smaller value)")
        elif int(got) > int(want):
            return f"server_max_window_bits={want} offered, answered {got} (§7.1.2.1: same or smaller)", ""
    # §7.1.2.2: an offer without client_max_window_bits: the response "MUST NOT include" it
    if "client_max_window_bits" in answer:
        if "client_max_window_bits" not in offered:
            return "client_max_window_bits in the answer though not offered (§7.1.2.2)", ""
        if answer["client_max_window_bits"] is None:
            return "client_max_window_bits without a value in the answer (§7.1.2.2)", ""
        limit = offered["client_max_window_bits"]
        if limit is not None and int(answer["client_max_window_bits"] or 15) > int(limit):
            return f"client_max_window_bits={answer['client_max_window_bits']} above the offered {limit}", ""
    return "", remark


def negotiate(offers: Sequence[str], answer: str | None) -> Agreement | None:
    """The agreement the server's ``Sec-WebSocket-Extensions`` ``answer`` makes, None if it declined.

    The answer must accept permessage-deflate at most once, with valid parameters, and be a valid answer
    to at least one well-formed offer (an offer the RFC makes the server decline never counts).

    Raises:
        NegotiationError: anything else (the message says what is wrong).
    """
    if answer is None:
        return None
    try:
        elements = parse_extensions(answer)
    except ValueError as exc:
        raise NegotiationError(f"the extensions header {answer!r} is malformed: {exc}") from None
    offered_names: set[str] = set()
    for raw in offers:
        try:
            offered_names.update(name.lower() for name, _ in parse_extensions(raw))
        except ValueError:
            continue
    others = [name for name, _ in elements if name.lower() not in offered_names]
    if others:
        # RFC 6455 §9.1: "the server MUST NOT respond with any extension not requested by the client"
        raise NegotiationError(f"the server answered with extension(s) never offered: {others}")
    accepted = [(name, params) for name, params in elements if name.lower() == EXTENSION]
    if not accepted:
        return None
    if len(accepted) > 1:
        raise NegotiationError(f"permessage-deflate accepted {len(accepted)} times: {answer!r}")
    chosen = _params(accepted[0][1], "the answer")
    problems = []
    for raw in offers:
        try:
            (name, params), = parse_extensions(raw)
            if name.lower() != EXTENSION:
                continue
            offered = _params(params, "the offer")
        except (ValueError, NegotiationError):
            continue  # an offer the server must decline cannot be what it accepted
        problem, remark = _answers(offered, chosen)
        if not problem:
            return Agreement(
                server_no_context_takeover="server_no_context_takeover" in chosen,
                client_no_context_takeover="client_no_context_takeover" in chosen,
                server_max_window_bits=int(chosen.get("server_max_window_bits") or 15),
                client_max_window_bits=int(chosen.get("client_max_window_bits") or 15),
                response=answer, remark=remark)
        problems.append(problem)
    raise NegotiationError(f"the answer {answer!r} accepts none of the valid offers"
                           + (f": {'; '.join(problems)}" if problems else " (there was none)"))


def compress_raw(data: bytes, window_bits: int = 15, level: int = 6) -> bytes:
    """``data`` as one compressed message payload with a fresh window (§7.2.1: the trailing 4 octets
    removed); for cases that build their own compressed frames."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -max(window_bits, MIN_ZLIB_COMPRESS_BITS))
    return _strip_tail(comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH))


def _strip_tail(out: bytes) -> bytes:
    # §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
    return out[:-4] if out.endswith(TAIL) else out


class PerMessageDeflate:
    """One connection's permessage-deflate codec, from the runner's (the client's) side.

    The runner compresses with the client's parameters and inflates with the server's: a server message
    that uses a longer window than ``server_max_window_bits`` allows, or the previous message's window
    after ``server_no_context_takeover`` was agreed, does not inflate (:class:`InflateError`).

    Args:
        agreement: what the server's answer agreed.
        level: the zlib compression level for the runner's messages.
    """

    def __init__(self, agreement: Agreement, level: int = 6) -> None:
        self.agreement = agreement
        self.level = level
        #: zlib compresses with 9 bits at least; with an agreed 8 the runner sends its messages uncompressed
        self.can_compress = agreement.client_max_window_bits >= MIN_ZLIB_COMPRESS_BITS
        self._compressor: zlib._Compress | None = None
        self._inflater: zlib._Decompress | None = None

    def compress(self, data: bytes) -> bytes:
        """``data`` as the payload of one compressed message (§7.2.1), keeping the window between
        messages unless ``client_no_context_takeover`` was agreed."""
        if self._compressor is None or self.agreement.client_no_context_takeover:
            bits = max(self.agreement.client_max_window_bits, MIN_ZLIB_COMPRESS_BITS)
            self._compressor = zlib.compressobj(self.level, zlib.DEFLATED, -bits)
        return _strip_tail(self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH))

    def inflate(self, payload: bytes, limit: int) -> bytes:
        """The server's compressed message ``payload`` inflated (§7.2.2), at most ``limit`` bytes.

        Raises:
            InflateError: the payload is not valid DEFLATE data for the agreed window.
            InflateTooLarge: it inflates past ``limit`` (nothing past ``limit + 1`` bytes was produced).
        """
        # §7.2.2: "If the "agreed parameters" contain the "server_no_context_takeover" extension parameter,
        # the client MAY decompress each new message with an empty LZ77 sliding window." The runner does:
        # a server that still refers back to the previous message is caught here.
        if self._inflater is None or self.agreement.server_no_context_takeover:
            self._inflater = zlib.decompressobj(-self.agreement.server_max_window_bits)
        inflater = self._inflater
        try:
            out = self._decompress(inflater, payload + TAIL, limit + 1)
        except zlib.error as exc:
            self._inflater = None
            raise InflateError(f"compressed message does not inflate: {exc}") from None
        if len(out) > limit:
            self._inflater = None
            raise InflateTooLarge(limit, len(payload))
        if inflater.eof:  # a final block ended the stream: nothing can refer back to it
            self._inflater = None
        return out

    def _decompress(self, inflater: zlib._Decompress, data: bytes, limit: int) -> bytes:
        """At most ``limit`` bytes of ``data`` inflated. zlib checks a distance only against its window
        plus what the current call produced, so with an agreed window below 15 bits the output is taken
        in pieces of one window: a distance past two windows fails ("invalid distance too far back")."""
        bits = self.agreement.server_max_window_bits
        if bits >= 15:
            return inflater.decompress(data, limit)
        piece, parts, size, rest = 1 << bits, [], 0, data
        while size < limit:
            want = min(piece, limit - size)
            out = inflater.decompress(rest, want)
            parts.append(out)
            size += len(out)
            rest = inflater.unconsumed_tail
            if len(out) < want:  # all the input is inflated
                break
        return b"".join(parts)
