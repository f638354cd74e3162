"""Keepalive and dead peers: the target pings an idle peer, and drops one that stopped answering or vanished.

RFC 6455 §5.5.2 allows a ping as a keepalive but sets no period and no timeout, so these cases judge the
target against its declared ``keepalive-interval``/``pong-timeout``/``idle-timeout`` (STRICT: "not an RFC
requirement"; the engineering source is every production server's keepalive option: websockets'
``ping_interval``/``ping_timeout``, ws' heartbeat example, aiohttp's ``heartbeat``). Undeclared, they
measure and report informationally. The half-open peer is made by the runner's relay
(:mod:`conformance.wire.relay`): the network vanishes, no FIN and no RST reach the target.
"""

from __future__ import annotations

import contextlib
import itertools

from conformance.catalog.ws import _steps
from conformance.catalog.ws.lifecycle import UNDECLARED_WAIT, bound, fails_late, measured, promise, seconds
from conformance.model import STRICT, CaseFailed, Skip, Verdict, group
from conformance.wire.relay import Relay
from conformance.wire.ws import WsClient
from conformance.wire.wsframes import PING, PONG

G = group("ws", "5.5.2", "Ping: keepalive and dead peers")

KEEPALIVE_QUOTE = ("NOTE: A Ping frame may serve either as a keepalive or as a means to verify that the "
                   "remote endpoint is still responsive.")


def _pings(ws: WsClient) -> int:
    return sum(1 for f in ws.frames if f.opcode == PING)


def _need(ws: WsClient, seconds: float) -> None:
    if ws.remaining() < seconds:
        raise Skip(f"needs {seconds:.1f} s, the case has {ws.remaining():.1f} s left: raise --timeout")


def _dead_peer_bound(ws: WsClient) -> float | None:
    interval = promise(ws.endpoint, "keepalive-interval")
    timeout = promise(ws.endpoint, "pong-timeout")
    return None if interval is None or timeout is None else bound(interval + timeout)


@G.case(
    "keepalive-pings-idle-peer", level=STRICT, timeout=15,
    desc="Sends nothing after the opening handshake but pongs to the target's pings; times the pings",
    requirement="Not an RFC requirement (the target's declared keepalive-interval): the target pings a "
                "silent peer within the interval, and again within the interval after each pong; the "
                "measured period and jitter are reported. Undeclared: the period is reported.",
    quote=KEEPALIVE_QUOTE,
)
async def keepalive_pings_idle_peer(ws: WsClient) -> Verdict:
    interval = promise(ws.endpoint, "keepalive-interval")
    wait = bound(interval) if interval is not None else UNDECLARED_WAIT
    _need(ws, 2 * wait)
    await _steps.opened(ws)
    times = [ws.loop.time()]
    for _ in range(2):
        seen = _pings(ws)
        if not await ws.wait(lambda n=seen: _pings(ws) > n, wait):  # type: ignore[misc]
            break
        times.append(ws.loop.time())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    shown = ", ".join(f"{g:.2f} s" for g in gaps) or "none"
    what = f"{len(gaps)} ping(s) in {ws.loop.time() - times[0]:.2f} s of silence; gaps {shown}"
    period = seconds("ping_period_s", sum(gaps) / len(gaps) if gaps else None)
    if interval is None:
        return measured(what, *period)
    if len(gaps) < 2:
        raise fails_late("a ping every keepalive-interval", f"{wait:.2f} s", what)
    jitter = max(abs(g - interval) for g in gaps)
    return Verdict(actual=f"{what}; jitter {jitter:.2f} s against {interval:g} s", measurements=period)


@G.case(
    "keepalive-drops-silent-peer", level=STRICT, timeout=15,
    desc="Sends nothing after the opening handshake, not even pongs to the target's pings",
    requirement="Not an RFC requirement (the declared keepalive-interval and pong-timeout): the target "
                "closes the connection within interval + pong-timeout. Undeclared: the time is reported.",
    quote=KEEPALIVE_QUOTE,
)
async def keepalive_drops_silent_peer(ws: WsClient) -> Verdict:
    limit = _dead_peer_bound(ws)
    wait = limit if limit is not None else UNDECLARED_WAIT
    _need(ws, wait)
    ws.conn.answer_pings = False
    await _steps.opened(ws)
    start = ws.loop.time()
    dropped = await ws.wait(lambda: ws.tcp_closed or ws.target_close is not None, wait)
    took = ws.loop.time() - start
    what = (f"dropped after {took:.2f} s ({_pings(ws)} ping(s) unanswered)" if dropped
            else f"still open after {took:.2f} s ({_pings(ws)} ping(s) unanswered)")
    drop = seconds("drop_s", took if dropped else None)
    if limit is None:
        return measured(what, *drop)
    if not dropped:
        raise fails_late("the silent peer dropped", f"{limit:.2f} s", what)
    return Verdict(actual=what, measurements=drop)


@G.case(
    "keepalive-drops-half-open-peer", level=STRICT, timeout=15,
    desc="Sends the opening handshake through the runner's relay, then blackholes the relay: from the "
         "target's side the peer is half-open (no FIN, no RST, no byte ever again)",
    requirement="Not an RFC requirement (the declared keepalive-interval and pong-timeout): the target "
                "closes its end of the half-open connection within interval + pong-timeout (seen from the "
                "relay's socket state). Undeclared: the time is reported.",
    quote=KEEPALIVE_QUOTE,
)
async def keepalive_drops_half_open_peer(ws: WsClient) -> Verdict:
    limit = _dead_peer_bound(ws)
    wait = limit if limit is not None else UNDECLARED_WAIT
    _need(ws, wait + 1)
    if ws.endpoint.secure:
        raise Skip("the relay cases run on ws:// targets only")
    async with Relay(ws.endpoint.host, ws.endpoint.port) as relay:
        near = ws.endpoint.with_options(url=f"ws://{relay.host}:{relay.port}/", host=relay.host,
                                        port=relay.port)
        client = WsClient(near, deadline=ws.deadline, transcript=ws.transcript)
        try:
            await _steps.opened(client, host=ws.endpoint.host_header)
            conn = relay.connections[0]
            relay.blackhole()
            start = ws.loop.time()
            gone = await conn.wait_target_gone(wait)
            took = ws.loop.time() - start
        finally:
            client.release()
    if conn.target_gone() is None:
        raise Skip("the relay cannot read TCP states here (TCP_INFO is Linux only)")
    what = (f"target closed its end {took:.2f} s after the network vanished" if gone
            else f"target still holds the half-open connection after {took:.2f} s")
    drop = seconds("drop_s", took if gone else None)
    if limit is None:
        return measured(what, *drop)
    if not gone:
        raise fails_late("the half-open peer dropped", f"{limit:.2f} s", what)
    return Verdict(actual=what, measurements=drop)


@G.case(
    "idle-timeout-closes-silent-peer", level=STRICT, section="7.1.2", timeout=15,
    desc="Sends nothing after the opening handshake (no pong either)",
    requirement="Not an RFC requirement (the declared idle-timeout, as proxies and servers offer it): the "
                "target starts the closing handshake within the idle timeout, with a close frame whose "
                "code says why (1000, 1001 or 1008), not a bare TCP drop. Undeclared: what happens within "
                "3 s is reported.",
    quote="To _Start the WebSocket Closing Handshake_ with a status code (Section 7.4) /code/ and an "
          "optional close reason (Section 7.1.6) /reason/, an endpoint MUST send a Close control frame",
)
async def idle_timeout_closes_silent_peer(ws: WsClient) -> Verdict:
    idle = promise(ws.endpoint, "idle-timeout")
    dead = _dead_peer_bound(ws)
    if idle is not None and dead is not None and dead < idle:
        raise Skip("the declared keepalive drops a silent peer before its idle timeout")
    wait = bound(idle) if idle is not None else UNDECLARED_WAIT
    _need(ws, wait)
    ws.conn.answer_pings = False
    await _steps.opened(ws)
    start = ws.loop.time()
    await ws.wait(lambda: ws.tcp_closed or ws.target_close is not None, wait)
    took = ws.loop.time() - start
    close = ws.target_close
    what = (f"close frame {close.code} after {took:.2f} s" if close is not None
            else f"tcp closed without a close frame after {took:.2f} s" if ws.tcp_closed
            else f"still open after {took:.2f} s")
    if idle is None:
        return measured(what)
    if close is None or close.code not in (1000, 1001, 1008):
        raise fails_late("a close frame 1000, 1001 or 1008", f"{wait:.2f} s", what)
    return Verdict(actual=what, remote_close_code=close.code)


UNSOLICITED_QUOTE = ("A Pong frame sent in response to a Ping frame must have identical \"Application data\" "
                     "as found in the message body of the Ping frame being replied to. ... A Pong frame MAY "
                     "be sent unsolicited. This serves as a unidirectional heartbeat. A response to an "
                     "unsolicited Pong frame is not expected.")
#: The data of the runner's unsolicited pongs (never a keepalive ping's: see _unsolicited_data).
UNSOLICITED = b"rtconform unsolicited pong"
#: Unsolicited pongs sent per pong-timeout while the target's ping is unanswered.
PONGS_PER_TIMEOUT = 4
#: The most unsolicited pongs one case sends (1.5 x pong-timeout + 0.5 s at four per pong-timeout: 6 + 2/t).
MAX_UNSOLICITED = 32


def _unsolicited_data(ping: bytes) -> bytes:
    """Pong data that differs from the ping's (so it answers no ping)."""
    return UNSOLICITED if ping != UNSOLICITED else UNSOLICITED + b"!"


@G.case(
    "unsolicited-pong-not-liveness", level=STRICT, section="5.5.3", timeout=15,
    desc="Sends unsolicited pongs (data that is not the ping's) four times per pong-timeout from the moment "
         "the target's keepalive ping arrives, and never answers that ping",
    requirement="Not an RFC requirement (the declared keepalive-interval and pong-timeout): an unsolicited "
                "pong is a heartbeat that expects no answer, not the answer to the target's ping (that "
                "carries the ping's data); the target still drops the peer within pong-timeout of its "
                "unanswered ping (a reader that hung while a heartbeat timer still sends pongs is a dead "
                "peer). Undeclared: what happens within 3 s of the ping is reported.",
    quote=UNSOLICITED_QUOTE,
)
async def unsolicited_pong_not_liveness(ws: WsClient) -> Verdict:
    interval = promise(ws.endpoint, "keepalive-interval")
    timeout = promise(ws.endpoint, "pong-timeout")
    ping_wait = bound(interval) if interval is not None else UNDECLARED_WAIT
    drop_wait = bound(timeout) if timeout is not None else UNDECLARED_WAIT
    _need(ws, ping_wait + drop_wait)
    ws.conn.answer_pings = False
    await _steps.opened(ws)
    if not await ws.wait(lambda: _pings(ws) > 0, ping_wait):
        if interval is None:
            return measured(f"no keepalive ping within {ping_wait:g} s: nothing to judge")
        raise CaseFailed([f"a keepalive ping within {ping_wait:.2f} s"], ws.close_info().describe())
    ping = next(f.payload for f in ws.frames if f.opcode == PING)
    data = _unsolicited_data(ping)
    pinged = ws.loop.time()
    step = (timeout if timeout is not None else 1.0) / PONGS_PER_TIMEOUT
    sent = 0

    def gone() -> bool:
        return ws.tcp_closed or ws.target_close is not None

    end = min(pinged + drop_wait, ws.soft_deadline)
    for _ in range(MAX_UNSOLICITED):  # one pong per step until dropped or the end; bounded either way
        if gone() or ws.loop.time() >= end:
            break
        with contextlib.suppress(OSError):  # the target may close while the pong is written
            await ws.send_frame(PONG, data)
            sent += 1
        await ws.wait(gone, min(step, max(0.0, end - ws.loop.time())))
    took = ws.loop.time() - pinged
    what = (f"dropped {took:.2f} s after its ping ({ping[:16]!r}) despite {sent} unsolicited pong(s)"
            if gone() else f"still open {took:.2f} s after its unanswered ping, kept alive by {sent} "
                           "unsolicited pong(s)")
    drop = seconds("drop_s", took if gone() else None)
    if timeout is None or interval is None:
        return measured(what, *drop)
    if not gone():
        raise fails_late("the peer dropped despite unsolicited pongs", f"{drop_wait:.2f} s of the ping",
                         what)
    close = ws.target_close
    return Verdict(actual=what, remote_close_code=close.code if close is not None else None,
                   measurements=drop)
