"""Hostile load (RFC 6455 §10.4 "protect themselves"): slow handshakes, peers that never read, floods.

None of these has an RFC number, so every case is STRICT ("not an RFC requirement") and judges the target
against a declared promise (``handshake-timeout``, ``buffer-limit``) or an engineering rule stated in the
requirement: a server must not let one peer make it buffer without bound, slow down the others, or drop
and reorder messages under load (the slowloris, slow-consumer and flood failures every production
server guards against; issue 12). The backpressure and flood cases are ``exclusive``: they measure the
whole target (its buffering, other peers' latency), so nothing else runs meanwhile.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable

from conformance.catalog.ws import _steps
from conformance.catalog.ws.lifecycle import (
    DEFAULT_BUFFER_LIMIT,
    DEFAULT_FLOOD,
    UNDECLARED_WAIT,
    bound,
    fails_late,
    measured,
    promise,
    promise_int,
)
from conformance.catalog.ws.suite import CaseClient
from conformance.measure import Measurement
from conformance.model import STRICT, CaseFailed, Skip, Verdict, group
from conformance.resources import Curve
from conformance.wire.nonreader import NonReader, kernel_slack
from conformance.wire.ws import Message, WsClient
from conformance.wire.wsframes import BINARY, TEXT, frame
from conformance.wire.wshandshake import build_request, new_key

G = group("ws", "10.4", "Implementation-Specific Limits")

DOS_QUOTE = ("a malicious endpoint can try to exhaust its peer's memory or mount a denial-of-service attack "
             "by sending either a single big frame (e.g., of size 2**60) or by sending a long stream of "
             "small frames that are a part of a fragmented message")
#: Seconds between the bytes of a dribbled handshake.
DRIBBLE = 0.25
#: Seconds a non-reader's send must stay blocked to count as "the target stopped reading".
STALL = 1.0
#: Loopback kernel buffers the target's side may hold beyond its application (``tcp_rmem`` + ``tcp_wmem``).
KERNEL_SLACK = kernel_slack()
#: Size of the binary messages a non-reading peer sends (smaller when the declared limit is).
FLOOD_MESSAGE = 16 * 1024
#: Flood: the echoes must keep coming; this long without a new one ends the wait.
PROGRESS_WAIT = 2.0
#: Isolation: a second peer's round trip may grow to 2x its idle value plus this floor (seconds): the
#: scheduling of a loaded 2-core machine running other cases at once is not the target's fault.
RTT_FLOOR = 0.1


def _handshake_timeout(ws: WsClient) -> tuple[float | None, float]:
    declared = promise(ws.endpoint, "handshake-timeout")
    wait = bound(declared) if declared is not None else UNDECLARED_WAIT
    if ws.remaining() < wait + 1:
        raise Skip(f"needs {wait + 1:.1f} s, the case has {ws.remaining():.1f} s left: raise --timeout")
    return declared, wait


async def _still_served(ws: WsClient) -> str | None:
    """Why a fresh client is not served an echo right now, or None when it is."""
    client = WsClient(ws.endpoint, deadline=ws.deadline)
    try:
        await _steps.opened(client)
        await client.send_text("still served")
        await client.wait(lambda: bool(client.events) or client.tcp_closed, 2.0)
        if client.events[:1] != [Message(b"still served", False)]:
            return f"a new client got {client.events[:1] or client.close_info().describe()}"
        return None
    except CaseFailed as failed:
        return f"a new client was not served: {failed.actual}"
    finally:
        client.release()


async def _closed_within(ws: WsClient, declared: float | None, wait: float, start: float,
                         what: str) -> Verdict:
    await ws.wait(lambda: ws.tcp_closed or ws.response is not None, max(0.0, start + wait - ws.loop.time()))
    took = ws.loop.time() - start
    answer = f" with status {ws.response.status}" if ws.response is not None else ""
    seen = (f"closed{answer} after {took:.2f} s" if ws.tcp_closed or ws.response is not None
            else f"still open after {took:.2f} s")
    served = await _still_served(ws)
    if served is not None:
        raise CaseFailed(["new clients served meanwhile"], served)
    if declared is None:
        return measured(f"{what}: {seen}")
    if not ws.tcp_closed and ws.response is None:
        raise fails_late(f"{what} closed", f"{wait:.2f} s", seen)
    return Verdict(actual=f"{what}: {seen}; new clients served")


@G.case(
    "dribbled-handshake-timeout", level=STRICT, timeout=20,
    desc=f"Sends a valid opening handshake one byte every {DRIBBLE} s (slowloris); opens a normal "
         "connection meanwhile",
    requirement="Not an RFC requirement (the declared handshake-timeout): the target closes the "
                "connection (or answers 408) within the timeout, however slowly bytes keep arriving, and "
                "serves new clients meanwhile. Undeclared: what happens within 3 s is reported.",
    quote=DOS_QUOTE,
)
async def dribbled_handshake_timeout(ws: WsClient) -> Verdict:
    declared, wait = _handshake_timeout(ws)
    raw = build_request(ws.endpoint.resource, ws.endpoint.host_header, new_key())
    await ws.connect()
    start = ws.loop.time()
    for byte in raw[:-1]:  # never the last byte: the head is never complete
        await ws.send(bytes((byte,)))
        if await ws.wait(lambda: ws.tcp_closed, DRIBBLE) or ws.loop.time() - start >= wait:
            break
    return await _closed_within(ws, declared, wait, start, "dribbled handshake")


@G.case(
    "silent-connection-timeout", level=STRICT, timeout=20,
    desc="Sends nothing on a new TCP connection; opens a normal connection meanwhile",
    requirement="Not an RFC requirement (the declared handshake-timeout): the target closes a connection "
                "that sends no request within the timeout and serves new clients meanwhile. Undeclared: "
                "what happens within 3 s is reported.",
    quote=DOS_QUOTE,
)
async def silent_connection_timeout(ws: WsClient) -> Verdict:
    declared, wait = _handshake_timeout(ws)
    await ws.connect()
    start = ws.loop.time()
    return await _closed_within(ws, declared, wait, start, "silent connection")


async def _non_reader(ws: WsClient) -> NonReader:
    """A connection that did the opening handshake and will never read (small kernel buffers)."""
    if ws.endpoint.secure:
        raise Skip("the non-reading peer runs on ws:// targets only")
    peer = NonReader(ws.endpoint.host, ws.endpoint.port)
    await peer.connect(ws.remaining())
    await peer.send_all(build_request(ws.endpoint.resource, ws.endpoint.host_header, new_key(),
                                      headers=ws.endpoint.headers), ws.remaining())
    head = await peer.read_head(ws.remaining())
    ws.transcript.note("non-reading peer: " + head.split(b"\r\n", 1)[0].decode("latin-1", "replace"))
    if not head.startswith((b"HTTP/1.1 101", b"HTTP/1.0 101")):
        peer.close()
        raise CaseFailed(["101 for the non-reading peer"], head.split(b"\r\n", 1)[0].decode("latin-1"))
    return peer


def _messages(ws: WsClient) -> Callable[[], bytes]:
    """Binary messages the target echoes into the peer that never reads: 16 KiB each, or half the declared
    max-message-size if that is smaller (the flood must test buffering, not the size limit)."""
    limit = promise_int(ws.endpoint, "max-message-size")
    size = FLOOD_MESSAGE if limit is None else max(1, min(FLOOD_MESSAGE, limit // 2))
    return lambda: frame(BINARY, bytes(size))


@G.case(
    "non-reader-bounded", level=STRICT, exclusive=True, timeout=40,
    desc="Sends 16 KiB binary messages back to back on a connection that never reads the echoes (4 KiB "
         "socket buffers); counts the bytes the target accepted before its TCP window closed",
    requirement="Not an RFC requirement (a slow consumer must not exhaust the server; bound: the declared "
                "buffer-limit, default 64 MiB): where the target's memory is sampled (local and Docker "
                "targets), it grows by less than buffer-limit; the target stops reading the peer (its window "
                "closes for 1 s) or closes the connection before it has accepted buffer-limit bytes (plus "
                "the local kernel's largest TCP buffers). The peer answers no ping: a target whose keepalive "
                "drops it and then keeps draining its input counts the drained bytes too.",
    quote=DOS_QUOTE,
)
async def non_reader_bounded(ws: CaseClient) -> Verdict:
    limit = promise_int(ws.endpoint, "buffer-limit") or DEFAULT_BUFFER_LIMIT
    peer = await _non_reader(ws)
    try:
        async with Curve(ws.target_memory) as curve:
            flood = await peer.flood(_messages(ws), stall=STALL, limit=limit + KERNEL_SLACK,
                                     timeout=max(0.0, ws.remaining() - 1))
    finally:
        peer.close()
    accepted = flood.accepted if flood.accepted is not None else flood.written
    what = f"{flood.outcome} after {accepted / 2**20:.2f} MiB accepted in {flood.elapsed:.2f} s"
    ws.transcript.note(f"non-reading peer flooded: {what}; {curve}")
    if curve.available and curve.growth > limit:
        raise CaseFailed([f"target memory growth under buffer-limit ({limit / 2**20:.0f} MiB)"],
                         f"{what}; {curve}")
    numbers = (Measurement("accepted_mib", accepted / 2**20, "MiB"), *curve.measurements())
    if flood.outcome in ("stalled", "closed"):
        return Verdict(actual=what + (f" ({flood.error})" if flood.error else ""), measurements=numbers)
    if flood.outcome == "limit":
        bound_mib = (limit + KERNEL_SLACK) / 2**20
        raise CaseFailed([f"window or connection closed before {bound_mib:.0f} MiB (buffer-limit + kernel "
                          "buffers)"], what)
    return dataclasses.replace(Verdict.informational(f"still reading at the case deadline: {what}"),
                               measurements=numbers)


async def _rtt(client: WsClient, rounds: int = 5) -> float:
    """The median echo round trip of a small text message on an open client (seconds)."""
    times = []
    for i in range(rounds):
        want = len(client.events) + 1
        start = client.loop.time()
        await client.send_text(f"rtt {i}")
        if not await client.wait(lambda w=want: len(client.events) >= w, 5.0):  # type: ignore[misc]
            seen = f"no echo of message {i}; {client.close_info().describe()}"
            raise CaseFailed(["an echo within 5 s"], seen)
        times.append(client.loop.time() - start)
    return statistics.median(times)


@G.case(
    "non-reader-isolation", level=STRICT, exclusive=True, timeout=40,
    desc="Sends small messages on a well-behaved connection and times their echoes, idle and while "
         "another connection floods the target and never reads",
    requirement="Not an RFC requirement (one slow consumer must not slow the others): the well-behaved "
                "peer's median round trip stays within 2x its idle value (+ 100 ms; idle: the larger median "
                "of the round trips before the flood and after it, so that the machine's load drifting "
                "during the case is not taken for the target's).",
    quote=DOS_QUOTE,
)
async def non_reader_isolation(ws: CaseClient) -> Verdict:
    await _steps.opened(ws)
    idle = await _rtt(ws)
    peer = await _non_reader(ws)
    try:
        limit = (promise_int(ws.endpoint, "buffer-limit") or DEFAULT_BUFFER_LIMIT) + KERNEL_SLACK
        async with Curve(ws.target_memory) as curve:
            flood = await peer.flood(_messages(ws), stall=STALL, limit=limit,
                                     timeout=max(0.0, ws.remaining() / 3))
            loaded = await _rtt(ws)
    finally:
        peer.close()
    if loaded > 2 * idle + RTT_FLOOR:  # judged against the idle round trip after the flood as well
        idle = max(idle, await _rtt(ws))
    what = (f"round trip {idle * 1000:.1f} ms idle, {loaded * 1000:.1f} ms while a peer stalls "
            f"({flood.outcome}, {(flood.accepted or flood.written) / 2**20:.2f} MiB accepted)")
    if loaded > 2 * idle + RTT_FLOOR:
        raise CaseFailed([f"round trip within 2x idle + {RTT_FLOOR * 1000:.0f} ms"], what)
    return Verdict(actual=what, measurements=(Measurement("rtt_loaded_s", loaded, "s"),
                                              Measurement("rtt_idle_s", idle, "s"), *curve.measurements()))


def _progressed(client: WsClient) -> Callable[[], bool]:
    """A condition: a new event arrived since now, or the connection closed."""
    have = len(client.events)
    return lambda: len(client.events) > have or client.tcp_closed


@G.case(
    "flood-order-intact", level=STRICT, exclusive=True, timeout=60,
    desc="Sends flood-messages (default 20000) small text messages in one burst, reading the echoes",
    requirement="Not an RFC requirement (a flood must not corrupt the stream): the target echoes every "
                "message in order and unchanged (the rate is reported), or throttles, or closes with 1008 "
                "or 1013 after an intact prefix; it never reorders, alters or silently drops messages.",
    quote=DOS_QUOTE,
)
async def flood_order_intact(ws: CaseClient) -> Verdict:
    count = promise_int(ws.endpoint, "flood-messages") or DEFAULT_FLOOD
    client = WsClient(ws.endpoint, deadline=ws.deadline, transcript=None, max_events=count + 16)
    try:
        await _steps.opened(client)
        burst = b"".join(frame(TEXT, b"m%d" % i) for i in range(count))
        start = client.loop.time()
        async with Curve(ws.target_memory) as curve:
            await client.send(burst)
            while len(client.events) < count and not client.tcp_closed:  # until done, closed, or stuck
                if not await client.wait(_progressed(client), min(PROGRESS_WAIT, client.remaining())):
                    break
        took = client.loop.time() - start
        got = client.events
        ws.transcript.note(f"flood of {count} messages (connection not recorded): {len(got)} echoes in "
                           f"{took:.2f} s")
        bad = next((i for i, e in enumerate(got) if e != Message(b"m%d" % i, False)), None)
        what = f"{len(got)} of {count} echoed in {took:.2f} s ({len(got) / max(took, 1e-6):.0f} msg/s)"
        if bad is not None:
            raise CaseFailed(["every echo in order and unchanged"], f"echo {bad} is {got[bad]!r}; {what}")
        numbers = (Measurement("msgs_per_s", len(got) / max(took, 1e-6), "msg/s", lower_is_better=False),
                   *curve.measurements())
        if len(got) == count:
            return Verdict(actual=what, measurements=numbers)
        close = client.target_close
        if close is not None and close.code in (1008, 1013):
            return Verdict(actual=f"{what}, then close {close.code}", remote_close_code=close.code,
                           measurements=numbers)
        seen = f"{what}; {client.close_info().describe()}"
        raise CaseFailed(["every message echoed, or close 1008/1013"], seen)
    finally:
        client.release()


RATE_QUOTE = ("1008 indicates that an endpoint is terminating the connection because it has received a "
              "message that violates its policy. This is a generic status code that can be returned when "
              "there is no other more suitable status code (e.g., 1003 or 1009) or if there is a need to "
              "hide specific details about the policy.")
#: The most messages the rate case sends (burst + 4 x rate); a higher declared limit is not tried.
RATE_MESSAGES_CAP = 200_000
#: A throttling target may take this much longer than the rate allows (a loaded machine's scheduling).
RATE_SLACK = 1.5


def _rate(ws: WsClient) -> tuple[float, int]:
    rate = promise(ws.endpoint, "rate-limit")
    if rate is None:
        raise Skip("no rate-limit declared (--profile rate-limit=MSGS_PER_S[,rate-burst=N])")
    burst = promise_int(ws.endpoint, "rate-burst") or max(1, math.ceil(rate))
    return rate, burst


def _allowed(rate: float, burst: int, seconds: float) -> int:
    """The most messages a target keeping the limit takes in ``seconds`` (with slack for scheduling)."""
    return burst + math.ceil(rate * seconds * RATE_SLACK) + 1


@G.case(
    "rate-limit-enforced", level=STRICT, section="7.4.1", exclusive=True, timeout=30,
    desc="Sends rate-burst + 4 x rate-limit small text messages in one burst, reading the echoes",
    requirement="Not an RFC requirement (the declared rate-limit, messages per second, and rate-burst, "
                "default one second's worth): the target echoes the first rate-burst messages in order, "
                "then either closes with 1008 (or 1013) having taken no more than rate-burst + rate-limit "
                "x elapsed time (x 1.5) messages, or throttles (reads no faster than the limit) and echoes "
                "every message in order; it never reorders or silently drops messages.",
    quote=RATE_QUOTE,
)
async def rate_limit_enforced(ws: WsClient) -> Verdict:
    rate, burst = _rate(ws)
    # A target taking every message must take them at over rate x 4 / 1.5 per second to be seen: a quick
    # echo of a few thousand small messages.
    count = burst + 4 * math.ceil(rate)
    if count > RATE_MESSAGES_CAP:
        raise Skip(f"rate-limit {rate:g} with burst {burst} needs {count} messages, above the "
                   f"{RATE_MESSAGES_CAP} the runner sends")
    client = WsClient(ws.endpoint, deadline=ws.deadline, transcript=None, max_events=count + 16)
    try:
        await _steps.opened(client)
        start = client.loop.time()
        await client.send(b"".join(frame(TEXT, b"r%d" % i) for i in range(count)))
        while len(client.events) < count and not client.tcp_closed and client.target_close is None:
            have = len(client.events)
            if not await client.wait(lambda n=have: (len(client.events) > n or client.tcp_closed  # type: ignore[misc]
                                                     or client.target_close is not None),
                                     min(PROGRESS_WAIT, client.remaining())):
                break
        took = client.loop.time() - start
        got = [e for e in client.events if isinstance(e, Message)]
        ws.transcript.note(f"{count} messages sent in one burst (connection not recorded): {len(got)} echoes "
                           f"in {took:.2f} s; {client.close_info().describe()}")
        what = (f"{len(got)} of {count} echoed in {took:.2f} s (limit {rate:g}/s, burst {burst}: at most "
                f"{_allowed(rate, burst, took)} in that time)")
        bad = next((i for i, e in enumerate(got) if e != Message(b"r%d" % i, False)), None)
        if bad is not None:
            raise CaseFailed(["every echo in order and unchanged"], f"echo {bad} is {got[bad]!r}; {what}")
        if len(got) < min(burst, count):
            raise CaseFailed([f"the first {burst} messages (rate-burst) echoed"],
                             f"{what}; {client.close_info().describe()}")
        if len(got) > _allowed(rate, burst, took):
            raise CaseFailed(["no more than rate-burst + rate-limit x time messages taken"], what)
        close = client.target_close
        if len(got) == count:
            return Verdict(actual=f"throttled: {what}")
        if close is not None and close.code in (1008, 1013):
            return Verdict(actual=f"{what}, then close {close.code} {close.reason!r}",
                           remote_close_code=close.code)
        raise CaseFailed(["every message echoed (throttled), or close 1008/1013"],
                         f"{what}; {client.close_info().describe()}")
    finally:
        client.release()
