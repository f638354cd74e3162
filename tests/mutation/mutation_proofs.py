"""The proofs: for each mutation, the cases that must go red and the controls that must stay green.

Every MUST case of the catalog must be red in some proof (``test_every_must_case_has_a_proof``), so a
new case comes with its proof. Selectors use the ``--case`` grammar; Autobahn ids are used where the
case has one. The UTF-8 verdicts come from Autobahn's own table (protocol-test-matrix §1.2), not from the
catalog, so a catalog mistake about which sequence is valid shows up here as a wrong colour.
"""

from __future__ import annotations

import mutations_client as client
import mutations_deflate as deflate
import mutations_handshake as handshake
import mutations_server as server
from mutation_harness import Proof

__all__ = ["CANNOT_FAIL", "PROOFS", "PROVEN_SPECS"]

#: the specs whose every MUST case must be proven red here (the proxy speaks WebSocket only so far)
PROVEN_SPECS = frozenset({"ws"})

# Autobahn 6.5-6.23: valid sequences (must be echoed) and invalid ones (must fail with 1007).
VALID_UTF8 = (
    "6.1", "6.2", "6.5", "6.6.2", "6.6.5", "6.6.7", "6.6.9", "6.6.11", "6.7", "6.9",
    "6.11.1", "6.11.2", "6.11.3", "6.11.4", "6.22", "6.23",
)  # fmt: skip
INVALID_UTF8 = (
    "6.3", "6.4", "6.6.1", "6.6.3", "6.6.4", "6.6.6", "6.6.8", "6.6.10", "6.8", "6.10", "6.11.5",
    "6.12", "6.13", "6.14", "6.15", "6.16", "6.17", "6.18", "6.19", "6.20", "6.21",
)  # fmt: skip
FAIL_FAST = ("ws/8.1/utf8-fail-fast-*",)
ECHOES = ("1", "10", "5.3", "5.4", "5.5", "7.1.1")
PING_IN_MESSAGE = ("5.6", "5.7", "5.8", "5.19", "5.20")
PONG_PAYLOAD = ("2.1", "2.2", "2.3", "2.4", "2.6", "2.9", "2.10", "2.11")
STRAY_CONTINUATION = tuple(f"5.{n}" for n in range(9, 19))
#: the cases where the target must fail the connection with 1002, and all where it must fail
PROTOCOL_ERRORS = ("2.5", "ws/5.2/rsv*", "ws/5.2/opcode-*", "5.1", "5.2", *STRAY_CONTINUATION)
MUST_FAIL = (*PROTOCOL_ERRORS, *INVALID_UTF8)
#: the Autobahn 9.x cases with a payload to corrupt: all but the empty round trips 9.7.1 and 9.8.1
PERFORMANCE = ("9.1", "9.2", "9.3", "9.4", "9.5", "9.6", *(f"9.{g}.{n}" for g in (7, 8) for n in range(2, 7)))
#: close frames the server must answer with a close frame carrying the code (or 1000)
VALID_CLOSE_CODES = ("7.7", "ws/7.4.1/close-code-101[234]")
INVALID_CLOSE_CODES = ("7.9", "ws/7.4.1/invalid-close-code-1015")
#: cases where the runner closes and the target must answer with a close frame (a TCP drop is not enough)
CLEAN_CLOSE = (
    "1.1.1",
    "2.1",
    "2.7",
    "7.1.1",
    "7.1.2",
    "7.3.1",
    "7.3.3",
    "7.3.4",
    "7.3.5",
    *VALID_CLOSE_CODES,
)

#: permessage-deflate proofs run in front of websockets with compression on (the reference server does not
#: speak it yet); it declares its max_size so the decompression bomb is judged
DEFLATE_PROFILE = (("max-message-size", str(2**25)),)
#: every compressed echo: Autobahn 12.x and 13.x
COMPRESSED_ECHOES = ("12", "13")
DECLINE = ("ws/rfc7692-7/",)

#: MUST cases no mutation can turn red, each with the reason. Each is a control in some proof below, so
#: the day it can go red that proof fails and the case must move to its ``red`` list.
CANNOT_FAIL: dict[str, str] = {}

PROOFS: tuple[Proof, ...] = (
    # -- opening handshake --------------------------------------------------------------------------
    Proof(handshake.RepairRequest, red=("ws/4.2.1",), select=("ws/4.2.2/valid-upgrade", "ws/4.4")),
    Proof(handshake.WrongAccept, red=("ws/4.2.2/valid-upgrade",), select=("ws/4.4", "ws/4.2.1/method-post")),
    Proof(handshake.DropUpgradeHeaders, red=("ws/4.2.2/valid-upgrade",), select=("ws/4.2.1/missing-key",)),
    Proof(
        handshake.AddSubprotocol,
        red=("ws/4.2.2/valid-upgrade", "ws/4.2.2/*subprotocol*"),
        select=("ws/4.4/unsupported-version-9",),
    ),
    Proof(
        handshake.SelectEveryOffered,
        red=("ws/4.2.2/subprotocol-from-offered",),
        select=("ws/4.2.2/no-subprotocol-when-none-offered", "ws/4.2.2/valid-upgrade"),
    ),
    Proof(
        handshake.DropVersionHeader,
        red=("ws/4.4",),
        select=("ws/4.2.1/method-post", "ws/4.2.2/valid-upgrade"),
        strict=True,
    ),
    Proof(handshake.ForceVersion13, red=("ws/4.4",), select=("ws/4.2.1/missing-key",), strict=True),
    Proof(
        handshake.RefuseWith400,
        red=("ws/4.4/unsupported-version-426",),
        select=("ws/4.4/unsupported-version-9", "ws/4.2.1/method-post"),
        strict=True,
    ),
    # -- masking and lengths ------------------------------------------------------------------------
    Proof(client.MaskClientFrames, red=("ws/5.1/unmasked-*",), select=("1.1.2", "2.1")),
    Proof(client.ClearLengthMsb, red=("ws/5.2/length-64-bit-msb-set",), select=("1.2.7",)),
    # -- client frames repaired: the server accepts what it must reject --------------------------------
    Proof(client.ClearRsv, red=("ws/5.2/rsv*",), select=("1.1.2", "2.1")),
    Proof(client.ReservedOpcodeToValid, red=("ws/5.2/opcode-*",), select=("1.1.2", "2.1")),
    Proof(client.TruncateControlPayload, red=("2.5", "7.3.6"), select=("2.4", "7.3.5")),
    Proof(client.JoinFragmentedControl, red=("5.1", "5.2"), select=("5.6", "5.3")),
    Proof(client.FixContinuations, red=STRAY_CONTINUATION, select=("5.3", "5.6", "5.19")),
    Proof(client.RepairUtf8, red=(*INVALID_UTF8, "7.5.1"), select=("6.2", "6.5", "6.6.11", "7.3.4")),
    Proof(client.FixCloseLength, red=("7.3.2",), select=("7.3.1", "7.3.3")),
    Proof(client.ValidCloseCode, red=INVALID_CLOSE_CODES, select=VALID_CLOSE_CODES),
    # (No proof turns 7.7.x red by a wrong code in the reply: §5.5.1 makes the reply a MUST and its code
    # only what an endpoint "typically" echoes, so the runner reports it non-strict; the reply itself is
    # proven by DropServerClose.)
    Proof(
        client.HoldTextUntilFin,
        red=(*FAIL_FAST, "ws/8.1/close-reason-fail-fast"),
        select=("6.4", "5.3", "5.6", "7.5.1"),
        strict=True,
    ),
    # -- server output spoiled: wrong echo, pong, order or close -------------------------------------
    Proof(server.CorruptEcho, red=(*ECHOES, *PING_IN_MESSAGE, *VALID_UTF8), select=("2.1", "6.3.1", "5.9")),
    Proof(server.SwapDataOpcode, red=("1",), select=("2.1", "2.5")),
    # Autobahn 9.x (STRICT): the echo is compared byte for byte, not only by length as Autobahn does;
    # the empty round trips have nothing to flip: an octet is added to them instead
    Proof(server.FlipMiddleOctet, red=PERFORMANCE, select=("9.7.1", "9.8.1"), strict=True),
    Proof(
        server.FillEmptyEcho, red=("9.7.1", "9.8.1", "1.1.1", "1.2.1"), select=("9.7.2", "1.1.2"), strict=True
    ),
    Proof(server.CorruptPong, red=(*PONG_PAYLOAD, *PING_IN_MESSAGE), select=("2.7", "2.8", "1.1.1")),
    # 2.7/2.8 are STRICT (a pong MAY be sent unsolicited); 2.9 reports the extra pong non-strict
    Proof(server.AnswerPongs, red=("2.7", "2.8"), select=("2.9", "2.1", "1.1.1"), strict=True),
    Proof(server.DelayPongs, red=PING_IN_MESSAGE, select=("1.1.1", "5.3")),
    Proof(server.close_code(1000), red=MUST_FAIL, select=("1.1.1", "2.1")),
    Proof(server.close_code(1002, 1007), red=INVALID_UTF8, select=("1.1.1", "2.5", "3.1")),
    Proof(server.close_code(1007, 1002), red=PROTOCOL_ERRORS, select=("1.1.1", "6.3.1")),
    # The informational cases (Autobahn 7.1.6, 7.13.x) still require some reaction to the runner's close.
    Proof(server.IgnoreClose, red=("7.1.6", "7.13.1", "7.13.2"), select=("7.1.6", "7.13")),
    Proof(server.DropServerClose, red=CLEAN_CLOSE, select=("2.5", "3.1", "6.3.1", "7.3.2", "7.9.1")),
    Proof(server.AnswerAfterClose, red=("7.1.3", "7.1.4", "7.1.5"), select=("7.1.1", "7.3.1")),
    Proof(server.AnswerEveryClose, red=("7.1.2",), select=("7.1.1", "7.3.1")),
    # -- server frames that break the framing rules (judged in every case) ---------------------------
    Proof(
        server.MaskServerFrames,
        red=("ws/5.1/server-frames-unmasked", "1.1.2", "2.5", "7.1.6", "7.13"),
        select=("7.1.6", "7.13"),
    ),
    Proof(server.NonMinimalLength, red=("ws/5.2/minimal-length-in-echoes", "1", "2.1")),
    Proof(
        server.KeepClientOpen, red=("ws/7.1.1/server-closes-tcp-first",), select=("1.1.1", "2.5"), strict=True
    ),
    Proof(server.ServerRsv, red=("1.1.2", "1.2.2"), select=("2.1",)),
    Proof(server.InvalidUtf8Echo, red=("1.1.2",), select=("1.2.2",)),
    Proof(server.DataAfterServerClose, red=("1.1.2", "2.5")),
    Proof(server.OneByteClose, red=("1.1.2",)),
    # -- permessage-deflate (RFC 7692), in front of websockets with compression on ---------------------
    Proof(
        deflate.AcceptEveryOffer,
        red=DECLINE,
        select=("ws/rfc7692-6.1/rsv1-on-ping",),
        upstream="deflate",
        profile=DEFLATE_PROFILE,
    ),
    Proof(
        deflate.ClearRsv1OnControlAndContinuation,
        red=("ws/rfc7692-6.1/",),
        select=("12.1.1", "12.1.11", "ws/rfc7692-7/first-offer-invalid-second-valid"),
        upstream="deflate",
        profile=DEFLATE_PROFILE,
    ),
    Proof(
        deflate.ClearRsv1,
        red=("ws/rfc7692-7.2.2/compressed-message-not-deflate", "ws/10.4/deflate-bomb", "12.2.1", "12.5.18"),
        select=("ws/rfc7692-6.1/rsv1-on-ping", "ws/rfc7692-7/offer-unknown-parameter"),
        upstream="deflate",
        profile=DEFLATE_PROFILE,
    ),
    Proof(
        deflate.CorruptCompressedEcho,
        red=(
            *COMPRESSED_ECHOES,
            "ws/rfc7692-7.2.2/client-context-takeover",
            "ws/rfc7692-7.2.1/server-no-context-takeover",
        ),
        select=("ws/rfc7692-6.1/", "ws/rfc7692-7/"),
        upstream="deflate",
        profile=DEFLATE_PROFILE,
    ),
    Proof(
        deflate.IgnoreServerNoContextTakeover,
        red=("ws/rfc7692-7.2.1/server-no-context-takeover",),
        select=("12.1.1", "13.1.18", "ws/rfc7692-7.2.2/client-context-takeover"),
        upstream="deflate",
        profile=DEFLATE_PROFILE,
    ),
    Proof(
        deflate.ForceClientNoContextTakeover,
        red=("ws/rfc7692-7.2.2/client-context-takeover",),
        select=("ws/rfc7692-6.1/", "ws/rfc7692-7/offer-unknown-parameter"),
        upstream="deflate",
        profile=DEFLATE_PROFILE,
    ),
)
