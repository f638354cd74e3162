"""Waiting for the signals that stop a server (SIGINT, SIGTERM), shared by every reference server."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

__all__ = ["STOP_SIGNALS", "wait_for_stop_signal"]

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


async def wait_for_stop_signal(signals: Sequence[signal.Signals] = STOP_SIGNALS) -> None:
    """Return once one of ``signals`` arrives; the handlers are removed again before returning."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
