"""Frame parsing benchmark: rtconform's sans-IO core against websockets and wsproto, in one run.

Run it as a script (``python tests/bench/bench_frames.py``, or ``tox -e bench``); it is importable too
(``run_benchmarks()``), and pytest does not collect it (the file name does not match ``test_*.py``).

Every library parses the same bytes, server side (masked client frames), from one buffer:

* 10,000 masked 16-byte text frames (parse + unmask; per-frame overhead),
* 1,000 masked 4 KiB binary frames,
* one masked 16 MiB binary frame (unmask throughput),
* one masked 16 MiB text frame of mixed-script text: parse + unmask + UTF-8 validation.

The peers are driven through their own sans-IO parsers: ``websockets.frames.Frame.parse`` over a
``websockets.streams.StreamReader`` (as its fuzz harness does; its C ``apply_mask`` is used when built)
and ``wsproto.frame_protocol.FrameProtocol``. wsproto decodes text frames as part of parsing; websockets
and rtconform decode text only in the UTF-8 row. Each cell is the median of several runs, and the
ratios compare numbers taken in this same run, since absolute speeds move between runs on shared machines.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from reference.core.ws import frames as rt_frames
from reference.core.ws.frames import Frame, FrameParser, serialize_frame
from reference.core.ws.mask import C_APPLY_MASK, py_apply_mask
from reference.core.ws.opcodes import Opcode
from reference.core.ws.protocol import Connection, TextMessage
from reference.core.ws.utf8 import decode_utf8

KEY = b"\x37\xfa\x21\x3d"
MIB = 2**20


@dataclass(frozen=True, slots=True)
class Workload:
    """One input: ``count`` frames of ``size`` payload bytes, all in ``data``."""

    name: str
    unit: str  # "frames/s" or "MB/s"
    data: bytes
    count: int
    size: int
    text: bool
    repeats: int


def mixed_text(size: int) -> bytes:
    """About ``size`` bytes of UTF-8 mixing ASCII, Latin, Greek, CJK and emoji, cut on a character."""
    sample = "Hello, wörld! κόσμε 你好世界 😀 The quick brown fox jumps over the lazy dog. "
    text = sample * (size // len(sample.encode()) + 1)
    return text.encode()[:size].decode("utf-8", "ignore").encode()


def make_workloads(scale: float = 1.0) -> list[Workload]:
    """Build the four inputs; ``scale`` < 1 shrinks them for a quick smoke run."""
    small, mid, big = int(10_000 * scale) or 1, int(1_000 * scale) or 1, int(16 * MIB * scale) or 1
    text16 = mixed_text(big)
    return [
        Workload(f"{small:,} x 16 B masked text", "frames/s",
                 serialize_frame(Frame(Opcode.TEXT, b"0123456789abcdef"), KEY) * small, small, 16, False, 7),
        Workload(f"{mid:,} x 4 KiB masked binary", "MB/s",
                 serialize_frame(Frame(Opcode.BINARY, os.urandom(4096)), KEY) * mid, mid, 4096, False, 7),
        Workload(f"1 x {big / MIB:.3g} MiB masked binary", "MB/s",
                 serialize_frame(Frame(Opcode.BINARY, os.urandom(big)), KEY), 1, big, False, 5),
        Workload(f"1 x {len(text16) / MIB:.3g} MiB text (parse+unmask+UTF-8)", "MB/s",
                 serialize_frame(Frame(Opcode.TEXT, text16), KEY), 1, len(text16), True, 5),
    ]


# Parsers under test: each parses all frames of a workload and returns the last payload's length.


def parse_rtconform(w: Workload) -> int:
    """rtconform FrameParser (C mask when built); text decoded with decode_utf8."""
    parser = FrameParser(mask=True, max_size=None)
    last = b""
    count = 0
    for frame in parser.feed(w.data):
        last = frame.payload
        count += 1
    if w.text:
        return check(w, count, len(decode_utf8(last).encode()))
    return check(w, count, len(last))


def parse_rtconform_pure(w: Workload) -> int:
    """rtconform FrameParser with the pure-Python mask fallback."""
    saved = rt_frames.apply_mask
    rt_frames.apply_mask = py_apply_mask
    try:
        return parse_rtconform(w)
    finally:
        rt_frames.apply_mask = saved


def parse_rtconform_connection(w: Workload) -> int:
    """rtconform Connection: parse, reassemble, validate, events (the whole receive path)."""
    conn = Connection(max_message_size=64 * MIB)
    conn.receive_data(w.data)
    events = conn.events_received()
    last = events[-1]
    size = len(last.text.encode()) if isinstance(last, TextMessage) else len(last.data)  # type: ignore[union-attr]
    return check(w, len(events), size)


def parse_websockets(w: Workload) -> int:
    """websockets.frames.Frame.parse over a StreamReader, as in websockets' fuzz harness."""
    from websockets.frames import Frame as WsFrame
    from websockets.streams import StreamReader

    reader = StreamReader()
    reader.feed_data(w.data)
    reader.feed_eof()
    read_exact = reader.read_exact
    parse = WsFrame.parse
    frame = None
    for _ in range(w.count):
        parser = parse(read_exact, mask=True, max_size=None, extensions=None)
        try:
            next(parser)
        except StopIteration as exc:
            frame = exc.value
        else:
            raise AssertionError("websockets parser needs more data")
    assert frame is not None
    if w.text:
        return check(w, w.count, len(frame.data.decode("utf-8").encode()))
    return check(w, w.count, len(frame.data))


def parse_wsproto(w: Workload) -> int:
    """wsproto.frame_protocol.FrameProtocol, server side (it decodes text frames itself)."""
    from wsproto.frame_protocol import FrameProtocol

    protocol = FrameProtocol(client=False, extensions=[])
    protocol.receive_bytes(w.data)
    frames = list(protocol.received_frames())
    payload = frames[-1].payload
    return check(w, len(frames), len(payload.encode()) if isinstance(payload, str) else len(payload))


def check(w: Workload, count: int, size: int) -> int:
    """Refuse to time a parser that did not parse everything."""
    if (count, size) != (w.count, w.size):
        raise AssertionError(f"{w.name}: parsed {count} frames, last {size} bytes")
    return size


PARSERS: dict[str, Callable[[Workload], int]] = {
    "rtconform": parse_rtconform,
    "rtconform (pure Python mask)": parse_rtconform_pure,
    "rtconform Connection (events)": parse_rtconform_connection,
    "websockets": parse_websockets,
    "wsproto": parse_wsproto,
}


def median_seconds(parse: Callable[[Workload], int], w: Workload) -> float:
    """Median wall time of ``w.repeats`` runs (one warm-up run first; GC paused while timing)."""
    parse(w)
    times = []
    for _ in range(w.repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            parse(w)
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return statistics.median(times)


def rate(w: Workload, seconds: float) -> float:
    return w.count / seconds if w.unit == "frames/s" else w.count * w.size / seconds / 1e6


Results = dict[str, tuple[str, dict[str, float]]]


def run_benchmarks(scale: float = 1.0) -> Results:
    """Time every parser on every workload; return ``{workload: (unit, {parser: rate})}``."""
    results: Results = {}
    for w in make_workloads(scale):
        rates = {name: rate(w, median_seconds(parse, w)) for name, parse in PARSERS.items()}
        results[w.name] = (w.unit, rates)
    return results


def format_table(results: Results) -> str:
    """Render rates and the ratios rtconform / peer as a Markdown table."""
    names = list(PARSERS)
    header = ["workload", *names, "vs websockets", "vs wsproto"]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for workload, (unit, rates) in results.items():
        cells = [f"{rates[n] / 1e3:,.0f}k" if unit == "frames/s" else f"{rates[n]:,.0f}" for n in names]
        ours = rates["rtconform"]
        ratios = [f"{ours / rates['websockets']:.2f}x", f"{ours / rates['wsproto']:.2f}x"]
        lines.append(f"| {workload} ({unit}) | " + " | ".join([*cells, *ratios]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the inputs (0.01: smoke run)")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, C mask speedup: {'yes' if C_APPLY_MASK else 'no'}")
    print(format_table(run_benchmarks(args.scale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
