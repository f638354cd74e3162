"""Waiting for the signals that stop a server (SIGINT, SIGTERM), shared by every reference server.

The event loop's ``add_signal_handler`` is POSIX-only (Linux, macOS); where the loop lacks it (Windows'
proactor loop raises NotImplementedError) the handlers are installed with :func:`signal.signal` and wake
the loop with ``call_soon_threadsafe``, and the previous handlers are put back afterwards.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from types import FrameType
from typing import Any

__all__ = ["STOP_SIGNALS", "wait_for_stop_signal"]

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


async def wait_for_stop_signal(signals: Sequence[signal.Signals] = STOP_SIGNALS) -> None:
    """Return once one of ``signals`` arrives; the handlers are removed again before returning."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    previous: dict[signal.Signals, Any] = {}
    on_loop: list[signal.Signals] = []

    def woken(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(stop.set)

    try:
        for signum in signals:
            try:
                loop.add_signal_handler(signum, stop.set)
                on_loop.append(signum)
            except NotImplementedError:  # no loop signal handlers here: the plain signal module
                previous[signum] = signal.signal(signum, woken)
        await stop.wait()
    finally:
        for signum in on_loop:
            loop.remove_signal_handler(signum)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
