"""Autobahn 9.x (``conformance.catalog.ws.ab09_performance``): the catalog entries and real runs.

A sample runs against the reference server and the ``websockets`` library (the small sizes of each kind
plus the 16 MiB message, to keep the suite fast); the mutation proof ``flip-middle-octet``
(tests/mutation/mutation_proofs.py) shows the same cases going red on a wrong echo.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from conformance.catalog.ws.ab09_performance import (
    PERF_MAX_MESSAGE,
    autobahn_fragment_count,
    autobahn_fragments,
)
from conformance.model import STRICT, Outcome
from conformance.registry import Registry, load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import parse_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))
from target_servers import reference_server  # tests/fixtures, put on sys.path above

#: Autobahn's group 9 (case9_*.py): 6 + 6 + 9 + 9 + 6 + 6 + 6 + 6 cases
AUTOBAHN_9 = [f"9.{g}.{n}" for g, count in ((1, 6), (2, 6), (3, 9), (4, 9), (5, 6), (6, 6), (7, 6), (8, 6))
              for n in range(1, count + 1)]
SAMPLE = ("9.1.1", "9.1.2", "9.1.6", "9.2.1", "9.2.2", "9.3.9", "9.4.8", "9.5.6", "9.6.6", "9.7.2", "9.8.6")
SETTINGS = RunSettings(jobs=4, timeout=60.0, close_timeout=2.0)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load(("conformance.catalog.ws",))


def perf_cases(registry: Registry) -> list[str]:
    return [c.autobahn or "" for c in registry.cases if (c.autobahn or "").startswith("9.")]


def test_every_autobahn_9_case_is_there_with_its_id(registry: Registry) -> None:
    assert perf_cases(registry) == AUTOBAHN_9


def test_performance_cases_are_strict_exclusive_and_not_in_the_default_run(registry: Registry) -> None:
    cases = registry.select(("9",), strict=True)
    assert len(cases) == 54
    assert {c.level for c in cases} == {STRICT}
    assert all(c.exclusive for c in cases)
    assert not [c for c in registry.select(("ws",)) if c in cases]


def test_the_parameters_are_autobahns(registry: Registry) -> None:
    by_ab = {c.autobahn: c for c in registry.select(("9",), strict=True)}
    assert "16 MiB" in by_ab["9.1.6"].desc
    assert "binary" in by_ab["9.2.6"].desc
    assert "8 MiB" in by_ab["9.2.5"].desc  # Autobahn's description says 16M; its size is 8 MiB
    assert "65536 fragments of 64 octets and an empty final one" in by_ab["9.3.1"].desc
    assert "4 MiB in one frame" in by_ab["9.4.9"].desc
    assert "TCP writes of 64 octets" in by_ab["9.5.1"].desc
    assert "2048 octets" in by_ab["9.6.6"].desc
    assert "1000 text messages of 0 octets" in by_ab["9.7.1"].desc
    assert "1000 binary messages of 4096 octets" in by_ab["9.8.6"].desc
    assert PERF_MAX_MESSAGE == 16 * 2**20


def test_fragments_are_cut_as_autobahn_cuts_them() -> None:
    """autobahn 0.10.9 ``sendMessageHybi``: an exact multiple gets an empty final fragment (so 4 MiB in
    1 KiB fragments is 4097 frames: websockets' limit of 4096 fragments refuses it, as in Autobahn's run)."""
    assert autobahn_fragments(b"abcdef", 2) == [b"ab", b"cd", b"ef", b""]
    assert autobahn_fragments(b"abcde", 2) == [b"ab", b"cd", b"e"]
    assert autobahn_fragments(b"abcd", 4) == [b"abcd"]
    assert len(autobahn_fragments(b"*" * 4 * 2**20, 1024)) == 4097
    for length in range(12):  # the count the descriptions use, computed without the payload
        for size in range(1, 6):
            assert autobahn_fragment_count(length, size) == len(autobahn_fragments(b"*" * length, size))


def run_sample(registry: Registry, url: str) -> dict[str, CaseResult]:
    cases = registry.select(SAMPLE, strict=True)
    assert len(cases) == len(SAMPLE)
    results, timed_out = asyncio.run(run_cases(cases, parse_url(url), SETTINGS))
    assert not timed_out
    return {r.autobahn or r.id: r for r in results}


def check_passed_with_numbers(results: dict[str, CaseResult]) -> None:
    bad = {i: f"{r.outcome.value}: {r.actual or r.error}"[:300] for i, r in results.items()
           if r.outcome is not Outcome.PASSED}
    assert bad == {}
    for ab, result in results.items():
        names = [m.name for m in result.measurements]
        assert names[0] == "seconds", ab
        assert result.measurements[0].value > 0, ab
        assert "mib_per_s" in names, ab
        if ab.startswith(("9.7.", "9.8.")):
            numbers = {m.name: m.value for m in result.measurements}
            assert {"msgs_per_s", "rtt_p50_ms", "rtt_p99_ms"} <= numbers.keys()
            assert 0 < numbers["rtt_p50_ms"] <= numbers["rtt_p99_ms"]


@pytest.fixture(scope="module")
def reference() -> Iterator[tuple[str, int]]:
    with reference_server() as address:
        yield address


def test_sample_passes_against_the_reference_server(registry: Registry, reference: tuple[str, int]) -> None:
    check_passed_with_numbers(run_sample(registry, f"ws://{reference[0]}:{reference[1]}/"))


def test_sample_passes_against_websockets(registry: Registry, websockets_url: str) -> None:
    check_passed_with_numbers(run_sample(registry, websockets_url))


def test_websockets_refuses_4_mib_in_64_octet_fragments_as_autobahn_sees_it(
        registry: Registry, websockets_url: str) -> None:
    """websockets 17 closes with 1009 "too many fragments" on 65536 fragments (Autobahn 9.3.1: FAILED,
    remote close 1009): the case fails on the missing echo, with no measurements. Earlier releases (16.1.1,
    what Python 3.10 installs here) echo the message: the case passes."""
    (result,) = asyncio.run(run_cases(registry.select(("9.3.1",), strict=True), parse_url(websockets_url),
                                      SETTINGS))[0]
    if int(websockets.__version__.split(".")[0]) < 17:
        assert result.outcome is Outcome.PASSED
        return
    assert result.outcome is Outcome.FAILED
    assert result.remote_close_code == 1009
    assert result.actual.startswith("the target refused the message with 1009")
    assert result.measurements == ()


def test_an_echo_over_the_bound_fails_and_is_never_held(registry: Registry) -> None:
    """A target that echoes one octet more than the 16 MiB it got: the runner stops reading at its bound
    (16 MiB for 9.1.6) and the case fails; it is never an error and never unbounded."""

    async def main() -> CaseResult:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            from conformance.wire.wsframes import BINARY, TEXT, FrameReader, frame
            from conformance.wire.wshandshake import accept_key
            head = await reader.readuntil(b"\r\n\r\n")
            key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                       if line.lower().startswith(b"sec-websocket-key:"))
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: " + accept_key(key.decode()).encode() + b"\r\n\r\n")
            frames = FrameReader(PERF_MAX_MESSAGE)
            while not (got := frames.feed(await reader.read(2**20))):
                pass
            opcode = TEXT if got[0].opcode == TEXT else BINARY
            writer.write(frame(opcode, got[0].payload + b"*", mask=False))
            await writer.drain()
            await reader.read(1)
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            (result,), _ = await run_cases(registry.select(("9.1.6",), strict=True),
                                           parse_url(f"ws://127.0.0.1:{port}/"), SETTINGS)
        return result

    result = asyncio.run(main())
    assert result.outcome is Outcome.FAILED, result.error
    assert "limit of 16777216" in result.actual
