"""WebSocket echo load client on picows + uvloop (compiled framing and loop): bench_servers.py's client.

``python ws_load.py PORT --conns 64 --size 32 --type text --warmup 1 --window 3``: opens the connections,
keeps one message in flight on each (the next goes when the echo is back, checked for size and type),
prints ``WINDOW_START`` and ``WINDOW_END`` around the measured window (the orchestrator reads the server's
CPU time at each), then one JSON line: echoes in the window, its length, and this client's CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

import uvloop
from picows import WSCloseCode, WSListener, WSMsgType, ws_connect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--conns", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--type", choices=("text", "binary"), default="text")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--window", type=float, default=3.0)
    args = parser.parse_args()
    kind = WSMsgType.TEXT if args.type == "text" else WSMsgType.BINARY
    payload = (b"0123456789abcdef" * (args.size // 16 + 1))[: args.size]
    state = {"counting": False, "count": 0, "bad": 0}

    class Client(WSListener):  # type: ignore[misc]
        transport: Any = None

        def on_ws_connected(self, transport: Any) -> None:
            self.transport = transport

        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type is WSMsgType.CLOSE:
                return
            if frame.msg_type is not kind or frame.payload_size != args.size or not frame.fin:
                state["bad"] += 1
            if state["counting"]:
                state["count"] += 1
            transport.send(kind, payload)

    async def run() -> dict[str, Any]:
        url = f"ws://127.0.0.1:{args.port}/"
        clients = []
        for start in range(0, args.conns, 64):
            batch = min(64, args.conns - start)
            clients += await asyncio.gather(*(ws_connect(Client, url, max_frame_size=1 << 26,
                                                         enable_auto_ping=False) for _ in range(batch)))
        for transport, _ in clients:
            transport.send(kind, payload)
        await asyncio.sleep(args.warmup)
        print("WINDOW_START", flush=True)
        state["counting"] = True
        t0, cpu0 = time.perf_counter(), os.times()
        await asyncio.sleep(args.window)
        state["counting"] = False
        t1, cpu1 = time.perf_counter(), os.times()
        print("WINDOW_END", flush=True)
        for transport, _ in clients:
            transport.send_close(WSCloseCode.OK)
            transport.disconnect()
        cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        return {"messages": state["count"], "seconds": t1 - t0, "cpu_seconds": cpu, "bad": state["bad"]}

    result = uvloop.run(asyncio.wait_for(run(), args.warmup + args.window + 60))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
