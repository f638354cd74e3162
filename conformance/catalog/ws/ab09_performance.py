"""Autobahn 9.x (Limits/Performance): large, fragmented, chopped and many small echoes, timed.

The 54 cases carry Autobahn|Testsuite's ids and parameters (``case9_*.py``): 9.1/9.2 one text/binary
frame of 64 KiB to 16 MiB; 9.3/9.4 a 4 MiB text/binary message in fragments of 64 octets to 4 MiB; 9.5/9.6
a 1 MiB text/binary frame written in TCP chops of 64 to 2048 octets; 9.7/9.8 1000 text/binary messages of
0 to 4096 octets, each sent once the previous echo came back. Autobahn's payload patterns are kept, and so
is its way of fragmenting (:func:`autobahn_fragments`): 4 MiB in 64-octet fragments is 65536 fragments and
an empty final one, and 9.3.9/9.4.9 (4 MiB fragments) send one unfragmented frame.

**Judging.** A case passes when the echo is exact: the same type, the same bytes, in order (Autobahn only
compares the length, a FIXME in its source), followed by the usual closing handshake; anything else fails.
The case then records *measurements* (:mod:`conformance.measure`): the round trip in seconds from the first
byte sent to the last byte of the echo (the primary number ``--baseline`` compares), MiB/s (the message
size over that time), and for 9.7/9.8 messages per second and the round-trip latency p50/p99 in ms. The
numbers are attached after the verdict and never change it; the only way time matters is the case
timeout (Autobahn's own, within 30-150 s): a target that does not answer at all is errored, as everywhere.
Frames are built before the clock starts (9.7/9.8 build each small frame in the loop, microseconds), so
the numbers time the target and the loopback, not the runner's framing.

**Level: STRICT** (not an RFC requirement). RFC 6455 §10.4 lets an implementation limit frame and message
sizes (it "SHOULD impose a limit"), so a server that refuses a 16 MiB message with 1009 breaks no rule;
these echoes are Autobahn's expectation of a general-purpose echo server, and the measurements are
information. They run with ``--strict`` (``rtconform run --strict --case '9.*'`` runs them alone), gate
only a strict run, and are left out of the default run, which stays as fast as before.

**Exclusive.** Each case runs alone, after the concurrent cases (:attr:`conformance.model.Case.exclusive`):
other cases' traffic would distort the numbers, and one 16 MiB echo at a time bounds the runner's memory.

**Memory.** The runner reads at most :data:`conformance.wire.wsconn.MAX_MESSAGE` (8 MiB) per message; a
case here reads with a client whose bound is the larger of that and its own message size (at most
16 MiB for 9.1.6/9.2.6: :data:`PERF_MAX_MESSAGE`). An echo longer than that bound is cut there and fails
(a longer echo within it fails the comparison); the bound is never lifted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from conformance.catalog.ws import _steps
from conformance.catalog.ws import verify as expect
from conformance.measure import Measurement, percentile
from conformance.model import STRICT, Outcome, Verdict, group
from conformance.wire.ws import Message, WsClient
from conformance.wire.wsconn import MAX_MESSAGE
from conformance.wire.wsframes import BINARY, CONT, TEXT, frame

__all__ = ["PERF_MAX_MESSAGE", "ROUND_TRIPS", "autobahn_fragments"]

PERF = group("ws", "10.4", "Limits and performance")

KIB, MIB = 2**10, 2**20
#: The largest message a case here sends and reads (9.1.6, 9.2.6).
PERF_MAX_MESSAGE = 16 * MIB
#: Messages sent one after the other in 9.7.x/9.8.x.
ROUND_TRIPS = 1000
#: The shortest case timeout here: Autobahn's 10 s leave no room on a loaded machine.
MIN_TIMEOUT = 30.0
#: The longest: the runner's default ``--max-case-timeout`` (a catalog case never asks for more, see
#: tests/conformance/test_run_timeouts.py); Autobahn's 240-1000 s for 9.5 and 9.7.5/9.7.6 were sized
#: for slow networks: a local round trip of 1 MiB or of 1000 messages takes about a second.
MAX_TIMEOUT = 150.0

QUOTE = ("Implementations that have implementation- and/or platform-specific limitations regarding the "
         "frame size or total message size after reassembly from multiple frames MUST protect themselves "
         "against exceeding those limits. ... Such an implementation SHOULD impose a limit on frame sizes "
         "and the total message size after reassembly from multiple frames.")
REQUIREMENT = ("Not an RFC requirement (§10.4 allows size limits): an echo server should send the same "
               "{what} back, byte for byte{order}, and answer the close; the time is recorded, never judged.")

# Autobahn's payload patterns (case9_1_1.py, case9_2_1.py, case9_3_1.py, case9_4_1.py, case9_7_X.py)
TEXT_PATTERN = b"BAsd7&jh23"
BINARY_PATTERN = b"\x00\xfe\x23\xfa\xf0"


def _size(n: int) -> str:
    """``64``, ``4kib``, ``16mib``: a size for a slug."""
    for unit, word in ((MIB, "mib"), (KIB, "kib")):
        if n >= unit and n % unit == 0:
            return f"{n // unit}{word}"
    return str(n)


def _shown(n: int) -> str:
    """``64 octets``, ``4 KiB``, ``16 MiB``: a size for a description."""
    words = _size(n).replace("kib", " KiB").replace("mib", " MiB")
    return words if " " in words else f"{words} octets"


def _repeat(pattern: bytes, n: int) -> bytes:
    return (pattern * (n // len(pattern) + 1))[:n]


def _timeout(waitsecs: float) -> float:
    """Autobahn's ``WAITSECS``, within [:data:`MIN_TIMEOUT`, :data:`MAX_TIMEOUT`]."""
    return min(max(waitsecs, MIN_TIMEOUT), MAX_TIMEOUT)


@contextlib.asynccontextmanager
async def _client_for(ws: WsClient, size: int) -> AsyncIterator[WsClient]:
    """A client like ``ws`` (same endpoint, deadline and transcript) that reads messages up to ``size``
    octets (never less than the runner's usual bound, never more than :data:`PERF_MAX_MESSAGE`)."""
    if size <= ws.max_message:
        yield ws
        return
    if size > PERF_MAX_MESSAGE:
        raise ValueError(f"{size} octets is over the performance cases' bound of {PERF_MAX_MESSAGE}")
    big = WsClient(ws.endpoint, deadline=ws.deadline, transcript=ws.transcript,
                   close_timeout=ws.close_timeout, max_message=max(size, MAX_MESSAGE))
    try:
        yield big
    finally:
        big.release()
        big.forget()


def _first_difference(sent: bytes, echoed: bytes) -> str:
    """Where an echo differs from what was sent, for ``actual`` (the event list shows only the start)."""
    if len(sent) != len(echoed):
        return f"the echo has {len(echoed)} octets, {len(sent)} were sent"
    step = 4096  # compare slices first: a 16 MiB echo is not walked octet by octet
    block = next(i for i in range(0, len(sent), step) if sent[i:i + step] != echoed[i:i + step])
    at = next(i for i in range(block, min(block + step, len(sent))) if sent[i] != echoed[i])
    return f"the echo differs from what was sent at octet {at} ({echoed[at]:#04x} instead of {sent[at]:#04x})"


def _explained(verdict: Verdict, ws: WsClient, expected: Message) -> Verdict:
    """A failed echo's verdict with the first wrong message located (which one, which octet), or the
    refusal named when the target closed with 1009 (message too big) instead of echoing."""
    if verdict.behavior is not Outcome.FAILED:
        return verdict
    if verdict.remote_close_code == 1009:
        why = ("the target refused the message with 1009 (message too big): a size limit, which RFC 6455 "
               "§10.4 allows; hence a STRICT failure")
        return dataclasses.replace(verdict, actual=f"{why}; {verdict.actual}")
    wrong = next(((n, e) for n, e in enumerate(ws.events) if e != expected), None)
    if wrong is None:
        return verdict
    n, event = wrong
    if not isinstance(event, Message):
        return verdict
    if event.binary != expected.binary:
        why = f"message {n + 1} came back as {'binary' if event.binary else 'text'}"
    else:
        why = f"message {n + 1}: {_first_difference(expected.data, event.data)}"
    return dataclasses.replace(verdict, actual=f"{why}; {verdict.actual}")


def _timed(verdict: Verdict, seconds: float, size: int, *extra: Measurement) -> Verdict:
    """``verdict`` with the measurements attached when the echo was right (a wrong echo measures nothing)."""
    if verdict.behavior is not Outcome.PASSED:
        return verdict
    seconds = max(seconds, 1e-9)
    rate = (Measurement("mib_per_s", size / MIB / seconds, "MiB/s", lower_is_better=False),) if size else ()
    numbers = (Measurement("seconds", seconds, "s"), *rate, *extra)
    return dataclasses.replace(verdict, measurements=numbers)


async def _echo_timed(ws: WsClient, wire: bytes, expected: Message, how: str, chop: int | None = None
                      ) -> Verdict:
    """Send the prepared bytes ``wire`` (in TCP writes of ``chop`` octets, yielding to the loop between
    them as Autobahn's reactor does), wait for the one echo, judge it, and attach the round-trip time."""
    start = ws.loop.time()
    if chop is None:
        await ws.send(wire, text=how)
    else:
        for offset in range(0, len(wire), chop):
            await ws.send(wire[offset:offset + chop], text=how if offset == 0 else "")
            await asyncio.sleep(0)
    await ws.wait(lambda: bool(ws.events) or not ws.is_open)
    seconds = ws.loop.time() - start
    verdict = _explained(await expect.echo(ws, [expected]), ws, expected)
    return _timed(verdict, seconds, len(expected.data))


def _whole(autobahn: str, binary: bool, size: int, waitsecs: float) -> None:
    kind = "binary" if binary else "text"

    @PERF.case(
        f"{kind}-message-{_size(size)}", level=STRICT, autobahn=autobahn, timeout=_timeout(waitsecs),
        exclusive=True,
        desc=f"Sends one {kind} frame of {_shown(size)} and times the echo",
        requirement=REQUIREMENT.format(what=f"{_shown(size)} {kind} message", order=""),
        quote=QUOTE,
    )
    async def run(ws: WsClient) -> Verdict:
        payload = _repeat(BINARY_PATTERN if binary else TEXT_PATTERN, size)
        async with _client_for(ws, size) as client:
            await _steps.opened(client)
            wire = frame(BINARY if binary else TEXT, payload)
            how = f"one {kind} frame of {size} octets"
            return await _echo_timed(client, wire, Message(payload, binary), how)


def autobahn_fragments(payload: bytes, size: int) -> list[bytes]:
    """The payloads of the frames Autobahn sends a message in with ``fragmentSize=size`` (its
    ``sendMessageHybi``): one frame when the message fits; otherwise ``size``-octet fragments, the last
    one shorter, and when the message length is a multiple of ``size`` an extra empty final fragment."""
    if len(payload) <= size:
        return [payload]
    pieces = [payload[i:i + size] for i in range(0, len(payload), size)]
    return [*pieces, b""] if len(payload) % size == 0 else pieces


def autobahn_fragment_count(length: int, size: int) -> int:
    """``len(autobahn_fragments(payload, size))`` for a payload of ``length`` octets, without building it."""
    if length <= size:
        return 1
    return -(-length // size) + (1 if length % size == 0 else 0)


def _fragmented(autobahn: str, binary: bool, fragment: int, fill: bytes) -> None:
    kind = "binary" if binary else "text"
    size = 4 * MIB
    count = autobahn_fragment_count(size, fragment)  # for the description: computed at import
    how = (f"in one frame (Autobahn does not fragment a message that fits its {_shown(fragment)} fragment "
           "size)" if count == 1 else
           f"in {count - 1} fragments of {_shown(fragment)} and an empty final one, as Autobahn sends it")

    @PERF.case(
        f"{kind}-4mib-in-{_size(fragment)}-fragments", level=STRICT, autobahn=autobahn, timeout=_timeout(100),
        exclusive=True,
        desc=f"Sends a {kind} message of 4 MiB {how}, times the echo",
        requirement=REQUIREMENT.format(what=f"4 MiB {kind} message", order=", reassembled"),
        quote=QUOTE,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        payload = fill * size
        pieces = autobahn_fragments(payload, fragment)
        first = BINARY if binary else TEXT
        wire = b"".join(frame(first if i == 0 else CONT, piece, fin=i == len(pieces) - 1)
                        for i, piece in enumerate(pieces))
        sent = f"{len(pieces)} frames of at most {fragment} octets"
        return await _echo_timed(ws, wire, Message(payload, binary), sent)


def _chopped(autobahn: str, binary: bool, chop: int) -> None:
    kind = "binary" if binary else "text"
    size = MIB

    @PERF.case(
        f"{kind}-1mib-in-{chop}-octet-chops", level=STRICT, autobahn=autobahn, timeout=_timeout(1000),
        exclusive=True,
        desc=f"Sends one {kind} frame of 1 MiB in TCP writes of {chop} octets, times the echo",
        requirement=REQUIREMENT.format(what=f"1 MiB {kind} message", order=""),
        quote=QUOTE,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        payload = _repeat(BINARY_PATTERN if binary else TEXT_PATTERN, size)
        wire = frame(BINARY if binary else TEXT, payload)
        how = f"one frame in {chop}-octet writes"
        return await _echo_timed(ws, wire, Message(payload, binary), how, chop)


@dataclass(frozen=True, slots=True)
class _RoundTrips:
    """What a 9.7/9.8 run saw: the time of each echo that came back right, and the total."""

    rtts: list[float]
    seconds: float


def _echo_count(ws: WsClient, n: int) -> Callable[[], bool]:
    """The wait condition: ``n`` events are in, or the connection left OPEN."""
    return lambda: len(ws.events) >= n or not ws.is_open


async def _round_trips(ws: WsClient, opcode: int, expected: Message) -> _RoundTrips:
    """Send :data:`ROUND_TRIPS` messages, each once the previous echo is in; stop at the first wrong or
    missing echo (the verdict then shows it)."""
    rtts: list[float] = []
    start = ws.loop.time()
    for i in range(ROUND_TRIPS):
        sent = ws.loop.time()
        await ws.send_frame(opcode, expected.data)
        await ws.wait(_echo_count(ws, i + 1))
        if len(ws.events) <= i or ws.events[i] != expected:
            break
        rtts.append(ws.loop.time() - sent)
    return _RoundTrips(rtts, ws.loop.time() - start)


def _many(autobahn: str, binary: bool, size: int, waitsecs: float) -> None:
    kind = "binary" if binary else "text"

    @PERF.case(
        f"{kind}-round-trips-{ROUND_TRIPS}x{size}", level=STRICT, autobahn=autobahn,
        timeout=_timeout(waitsecs), exclusive=True,
        desc=f"Sends {ROUND_TRIPS} {kind} messages of {size} octets, each after the previous echo, and "
             "times every round trip",
        requirement=REQUIREMENT.format(what=f"{ROUND_TRIPS} {kind} messages", order=", in order"),
        quote=QUOTE,
    )
    async def run(ws: WsClient) -> Verdict:
        await _steps.opened(ws)
        expected = Message((b"\xfe" if binary else b"*") * size, binary)
        seen = await _round_trips(ws, BINARY if binary else TEXT, expected)
        verdict = _explained(await expect.echo(ws, [expected] * ROUND_TRIPS), ws, expected)
        if len(seen.rtts) < ROUND_TRIPS:
            return verdict
        return _timed(verdict, seen.seconds, size * ROUND_TRIPS,
                      Measurement("msgs_per_s", ROUND_TRIPS / max(seen.seconds, 1e-9), "msg/s",
                                  lower_is_better=False),
                      Measurement("rtt_p50_ms", percentile(seen.rtts, 50) * 1000, "ms"),
                      Measurement("rtt_p99_ms", percentile(seen.rtts, 99) * 1000, "ms"))


# Autobahn's sizes and WAITSECS (case9_1_*.py, case9_2_*.py): 9.2.5 is 8 MiB (its description says 16M)
for _n, (_size_n, _wait) in enumerate(((64 * KIB, 10), (256 * KIB, 10), (MIB, 100), (4 * MIB, 100),
                                       (8 * MIB, 100), (16 * MIB, 100)), start=1):
    _whole(f"9.1.{_n}", False, _size_n, _wait)
for _n, (_size_n, _wait) in enumerate(((64 * KIB, 10), (256 * KIB, 10), (MIB, 10), (4 * MIB, 10),
                                       (8 * MIB, 100), (16 * MIB, 100)), start=1):
    _whole(f"9.2.{_n}", True, _size_n, _wait)

FRAGMENT_SIZES = (64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB)
for _n, _frag in enumerate(FRAGMENT_SIZES, start=1):
    _fragmented(f"9.3.{_n}", False, _frag, b"*")
for _n, _frag in enumerate(FRAGMENT_SIZES, start=1):
    # Autobahn fills 9.4.1 with 0xfe and 9.4.2-9.4.9 with "*" (case9_4_*.py)
    _fragmented(f"9.4.{_n}", True, _frag, b"\xfe" if _n == 1 else b"*")

CHOP_SIZES = (64, 128, 256, 512, 1024, 2048)
for _n, _chop in enumerate(CHOP_SIZES, start=1):
    _chopped(f"9.5.{_n}", False, _chop)
for _n, _chop in enumerate(CHOP_SIZES, start=1):
    _chopped(f"9.6.{_n}", True, _chop)

# case9_7_X.py: (payload length, 1000 messages, case timeout)
ROUND_TRIP_SIZES = ((0, 60), (16, 60), (64, 60), (256, 120), (1024, 240), (4096, 480))
for _n, (_size_n, _wait) in enumerate(ROUND_TRIP_SIZES, start=1):
    _many(f"9.7.{_n}", False, _size_n, _wait)
for _n, (_size_n, _wait) in enumerate(ROUND_TRIP_SIZES, start=1):
    _many(f"9.8.{_n}", True, _size_n, _wait)
