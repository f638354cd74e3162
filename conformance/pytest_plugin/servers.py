"""Reference servers for a user's own tests: each on a free loopback port, for the whole session.

Started the way ``rtconform run`` starts its embedded target (:class:`~conformance.targets.process.
ReferenceTarget`: ``python -m reference.servers SUITE --host 127.0.0.1 --port 0`` as a child process,
never imported, with the suite's own flags), on an event loop in a thread that keeps draining the
server's output until the session ends.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from conformance.registry import suites
from conformance.suites import find
from conformance.targets.process import ReferenceTarget

__all__ = ["ReferenceServer"]

T = TypeVar("T")
#: Seconds to wait for the server to say where it listens, and to stop.
START_TIMEOUT = 30.0


class ReferenceServer:
    """One reference server of suite ``spec`` ("ws", "sse", "poll"): :meth:`start` gives its URL."""

    def __init__(self, spec: str) -> None:
        suite = find(suites(), spec)
        if suite is None or not suite.reference:
            raise LookupError(f"no reference server for suite {spec!r}")
        self.target = ReferenceTarget(suite.reference, suite.reference_profile, START_TIMEOUT)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"rtconform-{spec}-server",
                                       daemon=True)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(START_TIMEOUT + 10)

    def start(self) -> str:
        """Start the server; its URL (``ws://127.0.0.1:PORT``, ``http://127.0.0.1:PORT/...``).

        Raises:
            TargetError: it did not start (the message has the end of its output).
        """
        self.thread.start()
        try:
            address = self._call(self.target.start())
        except BaseException:
            self._end()
            raise
        return address.url

    def output(self) -> str:
        """What the server printed (the last 64 KiB)."""
        return self.target.process.output()

    def stop(self) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL) and the thread; the server's exit status."""
        try:
            return self._call(self.target.stop()).returncode
        finally:
            self._end()

    def _end(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(START_TIMEOUT)
        self.loop.close()
