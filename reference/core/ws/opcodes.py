"""Opcodes and close codes of RFC 6455, and which close codes may appear on the wire."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CloseCode", "Opcode", "is_valid_received_close_code"]


# RFC 6455, Section 5.2 - Base Framing Protocol (opcode) and Section 11.8 - Opcode Registry
class Opcode(IntEnum):
    """Frame opcodes (RFC 6455 §5.2); 0x3-0x7 and 0xB-0xF are reserved."""

    #: §5.4: a continuation frame of a fragmented message.
    CONT = 0x0
    #: §5.6: the payload is UTF-8 text.
    TEXT = 0x1
    #: §5.6: the payload is arbitrary binary data.
    BINARY = 0x2
    #: §5.5.1: the closing handshake.
    CLOSE = 0x8
    #: §5.5.2: a ping; the peer must answer with a pong.
    PING = 0x9
    #: §5.5.3: a pong.
    PONG = 0xA

    @property
    def is_control(self) -> bool:
        """True for CLOSE, PING and PONG (RFC 6455 §5.5: the MSB of the opcode is 1)."""
        return self >= 0x8


# RFC 6455, Section 7.4.1 - Defined Status Codes, and the IANA "WebSocket Close Code Number Registry"
class CloseCode(IntEnum):
    """Close codes defined by RFC 6455 §7.4.1 and registered with IANA."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    #: Reserved, no meaning defined; never on the wire.
    RESERVED = 1004
    #: §7.4.1: "MUST NOT be set as a status code in a Close control frame"; means "no code received".
    NO_STATUS_RCVD = 1005
    #: §7.4.1: "MUST NOT be set as a status code in a Close control frame"; means "closed abnormally".
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    #: §7.4.1: "MUST NOT be set as a status code in a Close control frame"; TLS handshake failure.
    TLS_HANDSHAKE = 1015


# RFC 6455, Section 7.4.2 - Status Code Ranges
#: Codes 1000-2999 that the IANA registry assigns and that may be sent in a Close frame: every ``CloseCode``
#: but the reserved one and the three that "MUST NOT be set as a status code in a Close control frame".
_WIRE_CODES_1000_2999 = frozenset(CloseCode) - {
    CloseCode.RESERVED, CloseCode.NO_STATUS_RCVD, CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE,
}


def is_valid_received_close_code(code: int) -> bool:
    """Tell whether a close code received in a Close frame is acceptable.

    RFC 6455 §7.4.2: "0-999: Status codes in the range 0-999 are not used." 1000-2999 are reserved for the
    protocol: only the registered codes count, minus 1004 (reserved) and 1005, 1006, 1015, which "MUST NOT
    be set as a status code in a Close control frame". "3000-3999 ... registered with IANA" and "4000-4999
    ... reserved for private use" are both valid; there is no range above 4999.

    Args:
        code: The 2-byte code from the Close frame's payload.

    Returns:
        True if the code may appear on the wire.
    """
    if 3000 <= code <= 4999:
        return True
    return code in _WIRE_CODES_1000_2999
