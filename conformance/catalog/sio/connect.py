"""Connection to a namespace: socket.io-protocol test-suite #17-#23, and the CONNECT_ERROR payload (SIO-2).

The testee answers a CONNECT with its sid, then emits ``auth`` with the CONNECT's payload (``{}`` without
one); ``/refused`` refuses every CONNECT and any other unknown namespace is refused too
(docs/testee-contract.md). The unknown namespace is sent as ``0/random,``: the README's format ends a
namespace with a comma (the test suite sent ``40/random``, which the npm parser also reads).
"""

from __future__ import annotations

import asyncio
from typing import Any

from conformance.catalog.eio.context import SLACK
from conformance.catalog.sio.context import SioContext
from conformance.catalog.sio.matrix import both
from conformance.model import MUST, STRICT, CaseFailed, Skip, Verdict, group
from conformance.wire.sio import SioPacket, SioType

G = group("sio", "connection-to-a-namespace", "Connection to a namespace")

RESPOND = ("The server MUST respond with either: ... a `CONNECT` packet if the connection is successful, "
           "with the session ID in the payload ... or a `CONNECT_ERROR` packet if the connection is not "
           "allowed")
CONNECT_FIRST = ("If the server does not receive a `CONNECT` packet first, then it MUST close the connection "
                 "immediately.")
WITH_PAYLOAD = "The client can send a payload for authentication/authorization purposes."
#: The npm server's default connectTimeout, for a target whose profile names none.
DEFAULT_CONNECT_TIMEOUT_MS = 45_000


async def connect_and_auth(ctx: SioContext, transport: str, nsp: str, auth: Any) -> Verdict:
    """CONNECT ``nsp`` with ``auth``: a CONNECT with a sid, then the testee's ``auth`` event carrying it."""
    client = await ctx.client(transport)
    await client.send(SioPacket(SioType.CONNECT, nsp, auth))
    answer = await ctx.expect(client, f"CONNECT {nsp} with a sid")
    sid = answer.data.get("sid") if isinstance(answer.data, dict) else None
    if answer.type is not SioType.CONNECT or answer.nsp != nsp or not isinstance(sid, str) or not sid:
        raise CaseFailed([f"CONNECT {nsp} {{\"sid\": ...}}"], str(answer))
    extra = sorted(set(answer.data) - {"sid"})
    event = await ctx.expect(client, f"the 'auth' event on {nsp}")
    want = ["auth", {} if auth is None else auth]
    if (event.type, event.nsp, event.data) != (SioType.EVENT, nsp, want):
        raise CaseFailed([f"EVENT {nsp} {want}"], f"CONNECT {answer}, then {event}")
    notes = (f"the CONNECT payload has keys besides sid: {extra}",) if extra else ()
    return Verdict(actual=f"CONNECT {answer}, then {event}", notes=notes)


@both(G, "main-namespace", level=MUST, origin="sio-suite #17",
      desc="Sends CONNECT '0' (the main namespace, no payload)",
      requirement="The server MUST answer CONNECT with a sid in its payload; the testee then emits "
                  "'auth' with {}.",
      quote=RESPOND)
async def main_namespace(ctx: SioContext, transport: str) -> Verdict:
    return await connect_and_auth(ctx, transport, "/", None)


@both(G, "main-namespace-payload", level=STRICT, origin="sio-suite #18",
      desc="Sends CONNECT '0{\"token\":\"123\"}'",
      requirement="The server answers CONNECT with a sid and hands the payload to the namespace (the "
                  "testee's 'auth' event carries {\"token\":\"123\"}).",
      quote=WITH_PAYLOAD)
async def main_namespace_payload(ctx: SioContext, transport: str) -> Verdict:
    return await connect_and_auth(ctx, transport, "/", {"token": "123"})


@both(G, "custom-namespace", level=MUST, origin="sio-suite #19",
      desc="Sends CONNECT '0/custom,'",
      requirement="The server MUST answer CONNECT /custom with a sid; the testee then emits 'auth' with {} "
                  "on /custom.",
      quote=RESPOND)
async def custom_namespace(ctx: SioContext, transport: str) -> Verdict:
    return await connect_and_auth(ctx, transport, "/custom", None)


@both(G, "custom-namespace-payload", level=STRICT, origin="sio-suite #20",
      desc="Sends CONNECT '0/custom,{\"token\":\"abc\"}'",
      requirement="The server answers CONNECT /custom with a sid and hands the payload to the namespace "
                  "('auth' carries {\"token\":\"abc\"}).",
      quote=WITH_PAYLOAD)
async def custom_namespace_payload(ctx: SioContext, transport: str) -> Verdict:
    return await connect_and_auth(ctx, transport, "/custom", {"token": "abc"})


async def refused(ctx: SioContext, transport: str, nsp: str) -> SioPacket:
    """CONNECT ``nsp``: the target's answer, which must be a CONNECT_ERROR for ``nsp``."""
    client = await ctx.client(transport)
    await client.send(SioPacket(SioType.CONNECT, nsp))
    answer = await ctx.expect(client, f"CONNECT_ERROR {nsp}")
    if answer.type is not SioType.CONNECT_ERROR or answer.nsp != nsp:
        raise CaseFailed([f"CONNECT_ERROR {nsp}"], str(answer))
    return answer


@both(G, "unknown-namespace", level=MUST, origin="sio-suite #21",
      desc="Sends CONNECT '0/random,' (a namespace the testee does not have)",
      requirement="The server MUST answer CONNECT_ERROR for /random (the test suite also wanted the npm "
                  "server's payload {\"message\":\"Invalid namespace\"}; its form is SIO-2's subject).",
      quote=RESPOND)
async def unknown_namespace(ctx: SioContext, transport: str) -> Verdict:
    answer = await refused(ctx, transport, "/random")
    return Verdict(actual=str(answer))


@both(G, "connect-error-object", level=STRICT, origin="SIO-2",
      desc="Sends CONNECT '0/refused,' (refused by the testee) and CONNECT '0/random,' (unknown)",
      requirement="Each CONNECT_ERROR's payload is an object with a string 'message', as v5 made it (v4 "
                  "sent a plain string).",
      quote="the payload `CONNECT_ERROR` packet is now an object instead of a plain string")
async def connect_error_object(ctx: SioContext, transport: str) -> Verdict:
    seen: list[str] = []
    for nsp in ("/refused", "/random"):
        answer = await refused(ctx, transport, nsp)
        data = answer.data
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            raise CaseFailed(["a payload {\"message\": \"...\"}"], f"{', '.join([*seen, str(answer)])}")
        seen.append(str(answer))
    return Verdict(actual=", ".join(seen))


@both(G, "invalid-handshake-closes", level=MUST, origin="sio-suite #22",
      desc="Sends 'abc' (no Socket.IO packet type) as the first message of a session, then CONNECT '0'",
      requirement="The server MUST close the connection at once: the first packet is not a CONNECT, so the "
                  "CONNECT after it is never answered.",
      quote=CONNECT_FIRST)
async def invalid_handshake(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.client(transport)
    await client.send_raw("abc", "0")  # the CONNECT tells a close for this packet from a connect timeout
    while (packet := await ctx.receive(client, 3.0)) is not None:
        if packet.type is SioType.CONNECT:
            raise CaseFailed(["the session closed, the CONNECT after 'abc' unanswered"], f"answered {packet}")
    if not await ctx.closed(client, 1.0):
        raise CaseFailed(["the session closed"], f"after 3 s: {ctx.state(client)}")
    return Verdict(actual=ctx.state(client))


@both(G, "no-handshake-closes", level=STRICT, origin="sio-suite #23", timeout=100,
      desc="Opens a session and sends no CONNECT",
      requirement="The server closes the session after its connect timeout (--profile connect-timeout=MS; "
                  "without it, 45000, the npm server's default), within that time + 1 s, as the test suite "
                  "expects (the README's requirement is about a first packet that is not CONNECT; it sets "
                  "no time for a client that sends nothing).",
      quote=CONNECT_FIRST)
async def no_handshake(ctx: SioContext, transport: str) -> Verdict:
    limit = (ctx.number("connect-timeout") or DEFAULT_CONNECT_TIMEOUT_MS) / 1000 + SLACK
    if limit + SLACK > ctx.left():
        raise Skip(f"a connect timeout of {limit - SLACK:g} s does not fit the case's {ctx.left():.0f} s "
                   f"(raise --timeout, or name it with --profile connect-timeout=MS)")
    loop = asyncio.get_running_loop()
    start = loop.time()
    client = await ctx.client(transport)
    if not await ctx.closed(client, limit):
        raise CaseFailed([f"the session closed within {limit:g} s"], ctx.state(client))
    return Verdict(actual=f"{ctx.state(client)} after {loop.time() - start:.2f} s")
