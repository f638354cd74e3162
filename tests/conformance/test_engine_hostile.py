"""The runner against scripted fake servers: every case ends with a verdict within its timeout, with
bounded memory, whatever the server does; verifiers accept every legal reaction and only those."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Awaitable, Callable

import pytest
from engine_fakes import echo_loop, fake_server, read_frame, server_frame

from conformance.model import MUST, Case, Outcome
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_case, run_cases

CATALOG = load().by_id
ECHO = CATALOG["ws/5.6/echo-text-empty"]        # text "" -> echo, then runner closes 1000
PING = CATALOG["ws/5.5.2/ping-empty"]           # ping -> pong, then runner closes
RSV1 = CATALOG["ws/5.2/rsv1-without-extension"]  # target must fail: close 1002 or TCP drop
SETTINGS = RunSettings(jobs=4, timeout=1.0, close_timeout=0.3)

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def run(case: Case, script: Script, *, handshake: bool = True,
        settings: RunSettings = SETTINGS) -> CaseResult:
    async def main() -> CaseResult:
        async with fake_server(script, handshake=handshake) as endpoint:
            return await run_case(case, endpoint, settings)

    t0 = time.monotonic()
    result = asyncio.run(main())
    assert time.monotonic() - t0 < settings.timeout + 0.5, "the case outlived its timeout"
    return result


async def forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


def test_silent_server_fails_the_handshake_within_the_timeout() -> None:
    result = run(ECHO, forever, handshake=False)
    assert result.outcome is Outcome.FAILED
    assert "no response head" in result.actual


def test_garbage_head_is_capped_and_fails() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            writer.write(b"\x00\xff garbage " * 1000)
            await writer.drain()

    result = run(ECHO, garbage, handshake=False)
    assert result.outcome is Outcome.FAILED
    assert "not an http status line" in result.actual or "over 16384 bytes" in result.actual


def test_huge_declared_length_is_refused_without_buffering() -> None:
    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_frame(reader)
        writer.write(b"\x82\x7f" + struct.pack("!Q", 2**63) + b"x" * 1000)
        await asyncio.sleep(3600)

    result = run(ECHO, huge)
    assert result.outcome is Outcome.FAILED
    assert str(2**63) in result.actual


def test_flooding_server_ends_with_a_verdict_and_bounded_events() -> None:
    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        chunk = server_frame(1, b"spam") * 2000
        while True:
            writer.write(chunk)
            await writer.drain()

    result = run(ECHO, flood)
    assert result.outcome is Outcome.FAILED
    assert "message(text, 4 bytes" in result.actual
    assert len(result.transcript) <= 2000


def test_endless_frame_ends_with_a_verdict() -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_frame(reader)
        writer.write(b"\x81\x7f" + struct.pack("!Q", 8 * 2**20))  # declares 8 MiB, trickles bytes
        while True:
            writer.write(b"a" * 100)
            await writer.drain()
            await asyncio.sleep(0.01)

    result = run(ECHO, endless)
    assert result.outcome is Outcome.FAILED
    assert result.behavior is Outcome.FAILED


def test_conforming_echo_passes() -> None:
    result = run(ECHO, echo_loop)
    assert (result.outcome, result.close_detail, result.remote_close_code) == (Outcome.PASSED, "OK", 1000)
    assert any(e.direction == "rx" and e.kind == "frame" for e in result.transcript)


def test_keepalive_ping_from_target_is_answered_and_not_counted() -> None:
    async def pinging(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(server_frame(9, b"keepalive"))
        op, data = await read_frame(reader)
        assert (op, data) == (10, b"keepalive")
        await echo_loop(reader, writer)

    assert run(PING, pinging).outcome is Outcome.PASSED


def test_wrong_code_in_the_reply_to_a_valid_close_is_non_strict() -> None:
    """RFC 6455 §5.5.1: the reply is a MUST, echoing the code only what an endpoint "typically" does."""
    async def wrong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await echo_loop(reader, writer, close_code=1001)

    result = run(ECHO, wrong)
    assert (result.behavior, result.close) == (Outcome.PASSED, Outcome.NON_STRICT)
    assert result.close_detail == "WRONG CODE"


def test_tcp_close_instead_of_close_reply_is_unclean() -> None:
    async def dropper(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        op, data = await read_frame(reader)
        writer.write(server_frame(op, data))
        await read_frame(reader)  # the runner's close: drop TCP without answering (§5.5.1 violation)

    result = run(ECHO, dropper)
    assert (result.close, result.close_detail) == (Outcome.FAILED, "UNCLEAN")


def test_target_leaving_tcp_open_after_closing_handshake_is_non_strict() -> None:
    async def lingering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        op, data = await read_frame(reader)
        writer.write(server_frame(op, data))
        await read_frame(reader)
        writer.write(server_frame(8, struct.pack("!H", 1000)))
        await asyncio.sleep(3600)

    result = run(ECHO, lingering)
    assert (result.outcome, result.close_detail) == (Outcome.NON_STRICT, "NON-STRICT")


def test_masked_server_frames_fail_the_behaviour() -> None:
    async def masking(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await echo_loop(reader, writer, masked=True)

    result = run(ECHO, masking)
    assert result.behavior is Outcome.FAILED
    assert "masked server frame" in result.actual


@pytest.mark.parametrize("reaction", ["close-1002", "drop", "reset"])
def test_fail_verifier_accepts_every_legal_reaction(reaction: str) -> None:
    async def failing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_frame(reader)
        if reaction == "close-1002":
            writer.write(server_frame(8, struct.pack("!H", 1002)))
            await writer.drain()
            await read_frame(reader)
        elif reaction == "reset":
            writer.transport.abort()

    assert run(RSV1, failing).outcome is Outcome.PASSED


def test_fail_verifier_rejects_a_wrong_code_and_a_target_that_stays_open() -> None:
    async def wrong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_frame(reader)
        writer.write(server_frame(8, struct.pack("!H", 1000)))
        await read_frame(reader)

    assert run(RSV1, wrong).close_detail == "WRONG CODE"
    result = run(RSV1, forever)
    assert result.outcome is Outcome.FAILED
    assert "did not fail the connection" in result.actual


def test_non_strict_list_and_checkpoint_markers() -> None:
    from conformance.catalog.ws import verify as expect
    from conformance.model import group
    from conformance.wire.ws import Timeout, WsClient

    g = group("ws", "8.1", "test")

    @g.case("fail-fast", level=MUST, desc="d", requirement="r", quote="q")
    async def fail_fast(ws: WsClient) -> object:
        await ws.open()
        await ws.send_text(b"a")
        await ws.checkpoint("A", 0.05)
        await ws.send_text(b"b")
        await ws.checkpoint("B", 0.2)
        return await expect.fail(ws, 1007, ok=[Timeout("A")], non_strict=[Timeout("A"), Timeout("B")])

    def failing_after(delay: float) -> Script:
        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_frame(reader)
            await read_frame(reader)
            await asyncio.sleep(delay)
            writer.write(server_frame(8, struct.pack("!H", 1007)))
            await read_frame(reader)
        return script

    assert run(g.cases[0], failing_after(0)).outcome is Outcome.PASSED       # fails fast
    assert run(g.cases[0], failing_after(0.4)).outcome is Outcome.NON_STRICT  # fails after marker B


def test_errors_and_timeouts_are_one_case_outcome_and_the_run_goes_on() -> None:
    from conformance.model import group

    g = group("ws", "9.9", "test")

    @g.case("boom", level=MUST, desc="d", requirement="r", quote="q")
    async def boom(ws: object) -> None:
        raise RuntimeError("bug in a case")

    @g.case("sleepy", level=MUST, desc="d", requirement="r", quote="q", timeout=0.2)
    async def sleepy(ws: object) -> None:
        await asyncio.sleep(10)

    async def main() -> list[CaseResult]:
        async with fake_server(echo_loop) as endpoint:
            results, timed_out = await run_cases([*g.cases, ECHO], endpoint, SETTINGS)
            assert not timed_out
            return results

    boom_r, sleepy_r, echo_r = asyncio.run(main())
    outcomes = [r.outcome for r in (boom_r, sleepy_r, echo_r)]
    assert outcomes == [Outcome.ERRORED, Outcome.ERRORED, Outcome.PASSED]
    assert "bug in a case" in boom_r.error
    assert "timed out after 0.2s" in sleepy_r.error


def test_refused_connection_is_errored() -> None:
    async def main() -> tuple[CaseResult, int]:
        async with fake_server(echo_loop) as endpoint:
            pass
        return await run_case(ECHO, endpoint, SETTINGS), endpoint.port

    result, port = asyncio.run(main())
    assert result.outcome is Outcome.ERRORED
    assert result.error.startswith(f"connection refused by 127.0.0.1:{port} (ConnectionRefusedError: ")


def test_run_timeout_cuts_the_run_and_reports_every_case() -> None:
    settings = RunSettings(jobs=1, timeout=1.0, run_timeout=0.3, close_timeout=0.3)

    async def main() -> tuple[list[CaseResult], bool]:
        async with fake_server(forever) as endpoint:
            return await run_cases([RSV1, ECHO, PING], endpoint, settings)

    t0 = time.monotonic()
    results, timed_out = asyncio.run(main())
    assert time.monotonic() - t0 < 1.0
    assert timed_out
    assert [r.outcome for r in results] == [Outcome.ERRORED] * 3
