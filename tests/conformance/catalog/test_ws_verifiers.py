"""The catalog's own verifiers (``conformance.catalog.ws._steps``) against scripted servers: each RFC
allowance is accepted and each violation is failed with expected vs actual."""

from __future__ import annotations

import asyncio
import struct

from engine_fakes import accept, echo_loop, fake_server, read_frame, server_frame

from conformance.model import Outcome
from conformance.registry import load
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_case

WS = ("conformance.catalog.ws",)  # this catalog only: other catalogs are not ours to break on
CATALOG = {c.id: c for c in load(WS).cases}
SETTINGS = RunSettings(timeout=2.0, close_timeout=0.3)


def run(case_id: str, script, *, handshake: bool = True) -> CaseResult:  # type: ignore[no-untyped-def]
    async def main() -> CaseResult:
        async with fake_server(script, handshake=handshake) as endpoint:
            return await run_case(CATALOG[case_id], endpoint, SETTINGS)

    return asyncio.run(main())


def pong_only(wanted: set[bytes]):  # type: ignore[no-untyped-def]
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            op, data = await read_frame(reader)
            if op == 9 and data in wanted:
                writer.write(server_frame(10, data))
            elif op == 8:
                writer.write(server_frame(8, data))
                await writer.drain()
                return
    return script


def test_pong_for_the_last_ping_only_is_informational() -> None:
    result = run("ws/5.5.3/ten-pings", pong_only({b"payload-9"}))
    assert result.outcome is Outcome.INFORMATIONAL
    assert "allowed by §5.5.3" in " ".join(result.notes)


def test_no_pong_for_the_last_ping_fails() -> None:
    result = run("ws/5.5.3/ten-pings", pong_only({b"payload-3", b"payload-4"}))
    assert result.outcome is Outcome.FAILED
    assert "ordered subset" in " ".join(result.expected)


def test_all_ten_pongs_pass() -> None:
    assert run("ws/5.5.3/ten-pings-octet-chops", echo_loop).outcome is Outcome.PASSED


def test_empty_close_reply_to_a_1_byte_close_payload_is_non_strict() -> None:
    """§7.1.7: the status code in the failing endpoint's close frame is a SHOULD; Autobahn accepts it (OK)."""
    async def lax(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_frame(reader)
        writer.write(server_frame(8, b""))  # a normal close: does not signal the protocol error
        await writer.drain()

    result = run("ws/5.5.1/close-1-byte-payload", lax)
    assert (result.outcome, result.close_detail) == (Outcome.NON_STRICT, "OK")
    assert "no status code" in result.actual


def test_1000_reply_to_a_1_byte_close_payload_fails() -> None:
    async def normal(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_frame(reader)
        writer.write(server_frame(8, struct.pack("!H", 1000)))  # the malformed close went unnoticed
        await writer.drain()

    result = run("ws/5.5.1/close-1-byte-payload", normal)
    assert (result.outcome, result.close_detail) == (Outcome.FAILED, "WRONG CODE")


def test_1002_reply_or_drop_to_close_code_1015_passes() -> None:
    async def strict(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, data = await read_frame(reader)
        code = struct.unpack("!H", data[:2])[0]
        writer.write(server_frame(8, struct.pack("!H", 1002 if code == 1015 else code)))
        await writer.drain()

    assert run("ws/7.4.1/invalid-close-code-1015", strict).outcome is Outcome.PASSED
    assert run("ws/7.4.1/close-code-1012", echo_loop).outcome is Outcome.PASSED
    assert run("ws/7.4.1/invalid-close-code-1015", echo_loop).outcome is Outcome.FAILED


async def fail_fast_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Fails with 1007 as soon as the octets F4 90 (out of range) arrive inside one short text frame."""
    header = await reader.readexactly(6)  # 0x81 0x95 <4-byte mask>
    seen = b""
    while b"\xf4\x90" not in seen:
        octet = (await reader.readexactly(1))[0]
        seen += bytes([octet ^ header[2 + len(seen) % 4]])
    writer.write(server_frame(8, struct.pack("!H", 1007)))
    await writer.drain()


async def slow_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Judges UTF-8 only once the message is complete (3 frames), like the websockets library."""
    for _ in range(3):
        await read_frame(reader)
    writer.write(server_frame(8, struct.pack("!H", 1007)))
    await writer.drain()


async def early_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Fails on the valid first part already."""
    await read_frame(reader)
    writer.write(server_frame(8, struct.pack("!H", 1007)))
    await writer.drain()


def test_fail_fast_levels() -> None:
    assert run("ws/8.1/utf8-fail-fast-chops", fail_fast_server).outcome is Outcome.PASSED
    assert run("ws/8.1/utf8-out-of-range-chops", fail_fast_server).outcome is Outcome.PASSED
    slow = run("ws/8.1/utf8-fail-fast-frames", slow_server)
    assert slow.outcome is Outcome.FAILED
    assert "only after the whole message" in slow.actual
    assert not any("non-strict" in e for e in slow.expected), "a failing reaction is not listed as acceptable"
    late = run("ws/8.1/utf8-out-of-range-frames", slow_server)
    assert late.outcome is Outcome.PASSED
    assert any("not while" in n for n in late.notes)
    assert late.autobahn_behavior == "NON-STRICT"  # Autobahn 6.4.1's word for the same observation
    assert run("ws/8.1/utf8-out-of-range-frames", early_server).outcome is Outcome.FAILED


def test_rejected_handshake_needs_an_error_status() -> None:
    async def ok_anyway(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n")
        await writer.drain()

    failed = run("ws/4.2.1/method-post", ok_anyway, handshake=False)
    assert failed.outcome is Outcome.FAILED
    assert "status 101" in failed.actual
    assert run("ws/4.2.1/missing-key", refuse, handshake=False).outcome is Outcome.PASSED
    assert run("ws/4.4/unsupported-version-426", refuse, handshake=False).outcome is Outcome.PASSED
