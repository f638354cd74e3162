"""Autobahn 7.x (Close Handling) plus the close codes registered after Autobahn froze its lists.

RFC 6455 §5.5.1 (Close), §7.1 (closing), §7.4 (status codes) and the IANA registry: 1012-1014 are
registered codes a server should accept like 1011 (not in RFC 6455, so STRICT; Autobahn lists them
nowhere); 1015, like 1005 and 1006, MUST NOT appear in a close frame, so receiving it is a protocol error.
§5.5.1 makes the reply to a close a MUST and its code only what an endpoint "typically" echoes: another
code in the reply to a valid close is non-strict (Autobahn fails it: index.json says so). Where Autobahn
accepts a reply without a status code to a malformed close frame, the runner reports it non-strict
(§7.1.7: the code is a SHOULD), see ``_steps.code_required``.
"""

from __future__ import annotations

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.catalog.ws.verify import text
from conformance.model import MUST, STRICT, Verdict, group
from conformance.wire.ws import WsClient
from conformance.wire.wsframes import CLOSE, CONT, PING, TEXT, close_payload

CLOSING = group("ws", "5.5.1", "Close")

QUOTE_ANSWER = "If an endpoint receives a Close frame and did not previously send a Close frame, the " \
               "endpoint MUST send a Close frame in response."
QUOTE_AFTER = ("An endpoint MAY delay sending a Close frame until its current message is sent (for "
               "instance, if the majority of a fragmented message is already sent, an endpoint MAY send the "
               "remaining fragments before sending a Close frame).")
QUOTE_BODY = "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer (in " \
             "network byte order) representing a status code with value /code/ defined in Section 7.4."
QUOTE_VALIDATE = "Incoming data MUST always be validated by both clients and servers."
#: what the close cases say about the code of the target's close frame
ANY_CODE = " (another code in the reply is non-strict: an endpoint \"typically echos\" the code, §5.5.1)"
NO_CODE = " (a close frame without a status code is non-strict: §7.1.7 makes the code a SHOULD)"
HELLO = b"Hello World!"


@CLOSING.case(
    "close-after-echo", level=MUST, autobahn="7.1.1",
    desc="Sends a text message; once it is echoed, closes with 1000",
    requirement="The server MUST echo the message, then answer the close with a close frame (1000).",
    quote=QUOTE_ANSWER,
)
async def close_after_echo(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.send_text(HELLO)
    return await expect.echo(ws, [text(HELLO.decode())])


def _after_close(slug: str, autobahn: str, what: str, frames: list[tuple[int, bytes, bool]],
                 before: tuple[int, bytes, bool] | None = None) -> None:
    @CLOSING.case(
        slug, level=MUST, autobahn=autobahn,
        desc=f"Sends {'a text fragment (FIN=0), then ' if before else ''}a close 1000, then {what}",
        requirement="The server MUST answer the close with a close frame (1000) and ignore everything sent "
                    "after it (no pong, no echo)" + ANY_CODE + ".",
        quote=QUOTE_ANSWER,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        if before is not None:
            await ws.send_frame(before[0], before[1], fin=before[2])
        await ws.close(1000)
        await _steps.send_frames(ws, frames)
        return await expect.conversation(ws, [], close=expect.RUNNER_CLOSES)


_after_close("close-twice", "7.1.2", "a second close frame (empty)", [(CLOSE, b"", True)])
_after_close("ping-after-close", "7.1.3", "a ping", [(PING, b"", True)])
_after_close("text-after-close", "7.1.4", "a text message", [(TEXT, HELLO, True)])
_after_close("close-between-fragments", "7.1.5", "the final text fragment", [(CONT, b"fragment2", True)],
             before=(TEXT, b"fragment1", False))


@CLOSING.case(
    "close-after-256k-text", level=MUST, autobahn="7.1.6",
    desc="Sends a 256 KiB text message, a small text message, a close 1000 and a ping in one go",
    requirement="The server MUST react to the close (a close frame or TCP close); whether the small "
                "message is echoed before the close reply depends on when it processes the close: "
                "recorded, not judged.",
    quote=QUOTE_ANSWER + " ... " + QUOTE_AFTER,
)
async def close_after_256k_text(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    big = (b"BAsd7&jh23" * 26215)[:256 * 1024]
    await ws.send_text(big)
    await ws.send_text(HELLO)
    await ws.close(1000)
    await ws.ping(b"")
    return await expect.informational(ws)


LENGTHS = group("ws", "5.5.1", "Close frame payload")


def _close_payload(slug: str, autobahn: str, payload: bytes, what: str, *, valid: bool,
                   section: str = "5.5.1", quote: str = QUOTE_BODY) -> None:
    @LENGTHS.case(
        slug, level=MUST, autobahn=autobahn, section=section,
        desc=f"Sends a close frame with {what}",
        requirement=("The server MUST answer with a close frame (1000, or no code for an empty close)"
                     + ANY_CODE if valid else
                     "The server MUST fail the connection: close 1002 (with that code) or TCP close"
                     + NO_CODE)
        + ".",
        quote=QUOTE_ANSWER if valid and quote is QUOTE_BODY else quote,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await ws.close(payload=payload)
        if valid:
            return await expect.conversation(ws, [], close=expect.runner_closes(1000, code=None))
        verdict = await expect.conversation(ws, [], close=expect.runner_closes(1002, code=None, clean=False))
        return _steps.code_required(verdict, ws, [1002])


_close_payload("close-empty-payload", "7.3.1", b"", "an empty payload (no status code)", valid=True)
_close_payload("close-1-byte-payload", "7.3.2", b"a", "a 1-octet payload (half a status code)", valid=False,
               quote=QUOTE_BODY + " ... " + QUOTE_VALIDATE)
_close_payload("close-code-only", "7.3.3", close_payload(1000), "status code 1000 and no reason", valid=True)
_close_payload("close-code-and-reason", "7.3.4", close_payload(1000, "Hello World!"),
               "status code 1000 and a reason", valid=True)
_close_payload("close-reason-123-bytes", "7.3.5", close_payload(1000, "*" * 123),
               "status code 1000 and a 123-octet reason (125 octets, the maximum)", valid=True)
_close_payload("close-payload-126-bytes", "7.3.6", close_payload(1000, "*" * 124),
               "status code 1000 and a 124-octet reason (126 octets, over the control frame limit)",
               valid=False, section="5.5",
               quote="All control frames MUST have a payload length of 125 bytes or less and MUST NOT be "
                     "fragmented.")


@LENGTHS.case(
    "close-reason-invalid-utf8", level=MUST, autobahn="7.5.1",
    desc="Sends a close frame with code 1000 and a reason that is not UTF-8 (contains ED A0 80)",
    requirement="The server MUST fail the connection: close 1002 or 1007 (with that code) or TCP close"
                + NO_CODE + ".",
    quote="the body ... MAY contain UTF-8-encoded data with value /reason/ ... When an endpoint is to "
          "interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 "
          "stream, that endpoint MUST _Fail the WebSocket Connection_.",
)
async def close_reason_invalid_utf8(ws: WsClient) -> Verdict:
    await _steps.opened(ws)
    await ws.close(1000, bytes.fromhex("cebae1bdb9cf83cebcceb5eda080") + b"edited")
    rule = expect.runner_closes(1002, 1007, code=None, clean=False)
    verdict = await expect.conversation(ws, [], close=rule)
    return _steps.code_required(verdict, ws, [1002, 1007])


CODES = group("ws", "7.4.1", "Defined Status Codes")

QUOTE_ECHO = "If an endpoint receives a Close frame and did not previously send a Close frame, the " \
             "endpoint MUST send a Close frame in response.  (When sending a Close frame in response, the " \
             "endpoint typically echos the status code it received.)"
QUOTE_RANGE = {
    1: "Status codes in the range 1000-2999 are reserved for definition by this protocol, its future "
       "revisions, and extensions specified in a permanent and readily available public specification.",
    3: "Status codes in the range 3000-3999 are reserved for use by libraries, frameworks, and applications.",
    4: "Status codes in the range 4000-4999 are reserved for private use and thus can't be registered.",
}
QUOTE_BAD = {
    0: "Status codes in the range 0-999 are not used." + " ... " + QUOTE_VALIDATE,
    1004: "Reserved.  The specific meaning might be defined in the future." + " ... " + QUOTE_VALIDATE,
    1005: "1005 is a reserved value and MUST NOT be set as a status code in a Close control frame by an "
          "endpoint. ... " + QUOTE_VALIDATE,
    1006: "1006 is a reserved value and MUST NOT be set as a status code in a Close control frame by an "
          "endpoint. ... " + QUOTE_VALIDATE,
    1015: "1015 is a reserved value and MUST NOT be set as a status code in a Close control frame by an "
          "endpoint. ... " + QUOTE_VALIDATE,
    1016: "Status codes in the range 1000-2999 are reserved for definition by this protocol, its future "
          "revisions, and extensions specified in a permanent and readily available public specification. "
          "... " + QUOTE_VALIDATE,
}


NEW_CODE = " (registered with IANA after RFC 6455; Autobahn never sends it)"


def _bad_quote(code: int) -> str:
    return QUOTE_BAD[0] if code < 1000 else QUOTE_BAD.get(code, QUOTE_BAD[1016])

def _valid_code(code: int, autobahn: str | None) -> None:
    registry_only = code in (1012, 1013, 1014)
    @CODES.case(
        f"close-code-{code}", level=STRICT if registry_only else MUST, autobahn=autobahn,
        section="7.4.2" if code >= 3000 else "7.4.1",
        desc=f"Sends a close frame with the valid status code {code}" + (NEW_CODE if registry_only else ""),
        requirement=(f"Not an RFC 6455 requirement ({code} is in the IANA registry, not in §7.4.1): the "
                     f"server answers with a close frame carrying {code} or 1000; refusing the code (a "
                     "close 1002) is an allowed failure reaction, reported non-strict."
                     if registry_only else
                     f"The server MUST answer with a close frame carrying {code} or 1000" + ANY_CODE + "."),
        quote=QUOTE_ECHO + " ... " + QUOTE_RANGE[code // 1000 if code >= 3000 else 1],
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await ws.close(code)
        return await expect.conversation(ws, [], close=expect.runner_closes(1000, code, code=code))


def _invalid_code(code: int, autobahn: str | None) -> None:
    @CODES.case(
        f"invalid-close-code-{code}", level=MUST, autobahn=autobahn,
        section="7.4.2" if code >= 1016 else "7.4.1",
        desc=f"Sends a close frame with the invalid status code {code}"
             + (" (never valid on the wire, as 1005/1006; Autobahn never sends it)" if code == 1015 else ""),
        requirement="The server MUST fail the connection: close 1002 (with that code) or TCP close" + NO_CODE
                    + ".",
        quote=_bad_quote(code),
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await ws.close(code)
        verdict = await expect.conversation(ws, [], close=expect.runner_closes(1002, code=code, clean=False))
        return _steps.code_required(verdict, ws, [1002])


for _n, _code in enumerate((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999),
                           start=1):
    _valid_code(_code, f"7.7.{_n}")
for _code in (1012, 1013, 1014):
    _valid_code(_code, None)
for _n, _code in enumerate((0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999), start=1):
    _invalid_code(_code, f"7.9.{_n}")
_invalid_code(1015, None)

UNDEFINED = group("ws", "7.4.2", "Reserved Status Code Ranges")


def _undefined_code(code: int, autobahn: str) -> None:
    @UNDEFINED.case(
        f"close-code-{code}", level=MUST, autobahn=autobahn,
        desc=f"Sends a close frame with status code {code} (outside every range the RFC defines)",
        requirement="The server MUST react to the close (a close frame or TCP close); the RFC defines "
                    "no status codes above 4999, so answering 1000, echoing the code or failing with 1002 "
                    "are recorded, not judged.",
        quote=QUOTE_ANSWER + " ... " + QUOTE_RANGE[4],
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        await ws.close(code)
        return await _steps.informational_close(ws, code)


_undefined_code(5000, "7.13.1")
_undefined_code(65535, "7.13.2")
