"""Stopping a reference server on SIGINT/SIGTERM: with the loop's signal handlers (Linux, macOS), and
with the plain signal module where the loop has none (Windows' proactor loop), handlers put back after."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from reference.servers.stop_signals import wait_for_stop_signal

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1 to signal itself")


def _wait_for_usr1(without_loop_handlers: bool) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        if without_loop_handlers:
            def unsupported(*args: object) -> None:
                raise NotImplementedError

            loop.add_signal_handler = unsupported  # type: ignore[method-assign]
        loop.call_later(0.05, os.kill, os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(wait_for_stop_signal([signal.SIGUSR1]), 10)

    asyncio.run(main())


@pytest.mark.parametrize("without_loop_handlers", [False, True], ids=["loop-handlers", "signal-module"])
def test_a_stop_signal_ends_the_wait_and_the_old_handler_is_back_after_the_fallback(
    without_loop_handlers: bool
) -> None:
    seen: list[int] = []

    def recorder(signum: int, frame: object) -> None:
        seen.append(signum)

    before = signal.signal(signal.SIGUSR1, recorder)
    try:
        _wait_for_usr1(without_loop_handlers)
        assert seen == [], "the signal went to the server's handler"
        if without_loop_handlers:
            assert signal.getsignal(signal.SIGUSR1) is recorder, "the previous handler is back"
    finally:
        signal.signal(signal.SIGUSR1, before)
