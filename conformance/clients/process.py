"""The client under test, as client mode sees it: something started with one case URL, that prints lines.

Client mode (issue 15) turns the roles round: rtconform plays the server side of each case, and the client
under test is started once per case with the case's URL. Both contracts talk through the client's standard
output: a WebSocket testee exits when closed (the Autobahn client contract), an EventSource testee prints
one JSON line per event it dispatches. :class:`ClientProcess` is that view; :data:`Launch` starts one.

:func:`command_launcher` runs a command line with ``{url}`` replaced (or the URL appended). What the client
prints is bounded by construction: a line longer than :data:`MAX_LINE` is cut (and marked cut), and after
:data:`MAX_OUTPUT` bytes the rest of its output is read and dropped, so a hostile client cannot grow the
runner's memory. Leaving the launch context kills the client if it is still running, and reaps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["MAX_LINE", "MAX_OUTPUT", "ClientProcess", "Launch", "LaunchError", "command_launcher",
           "expand_command"]

#: Longest stdout line kept, in bytes; a longer one is cut there and ends with :data:`CUT_MARK`.
MAX_LINE = 64 * 1024
#: Stdout bytes kept per client run; later output is read (so the client never blocks) and dropped.
MAX_OUTPUT = 1024 * 1024
#: Appended to a line cut at :data:`MAX_LINE`.
CUT_MARK = b"\xe2\x80\xa6[cut]"
#: Stderr bytes kept per run (shown when a client fails to start or dies).
MAX_STDERR = 4096
#: How long a client gets to exit after SIGTERM before SIGKILL.
TERM_GRACE = 1.0


class LaunchError(Exception):
    """The client command could not be started (not found, not executable)."""


class ClientProcess(Protocol):
    """One run of the client under test against one case URL."""

    async def readline(self, timeout: float) -> bytes | None:
        """The next stdout line without its line end, or None at end of output or after ``timeout``."""
        ...

    async def wait(self, timeout: float) -> int | None:
        """The exit status once the client has exited, or None if it still runs after ``timeout``."""
        ...

    def stderr_tail(self) -> str:
        """The last :data:`MAX_STDERR` bytes the client wrote to stderr, decoded leniently."""
        ...


#: Starts the client under test with a case URL; leaving the context stops it.
Launch = Callable[[str], contextlib.AbstractAsyncContextManager[ClientProcess]]


def expand_command(command: str | Sequence[str], url: str) -> list[str]:
    """argv for one case: ``{url}`` in any argument is replaced by the URL, else the URL is appended.

    A string is split as a POSIX shell would split it (no shell runs: the URL is never interpreted)."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if not argv:
        raise LaunchError("the client command is empty")
    if any("{url}" in arg for arg in argv):
        return [arg.replace("{url}", url) for arg in argv]
    return [*argv, url]


@dataclass
class _Output:
    """Bounded stdout lines, fed by one reader task."""

    lines: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    kept: int = 0

    async def pump(self, stream: asyncio.StreamReader) -> None:
        partial = bytearray()  # at most MAX_LINE + 1 bytes: one more says "cut"
        while chunk := await stream.read(65536):
            parts = chunk.split(b"\n")
            for i, part in enumerate(parts):
                partial += part[:max(MAX_LINE + 1 - len(partial), 0)]
                if i < len(parts) - 1:  # a line end followed this part
                    self._emit(bytes(partial))
                    partial.clear()
        if partial:
            self._emit(bytes(partial))
        self.lines.put_nowait(None)

    def _emit(self, raw: bytes) -> None:
        line = raw.removesuffix(b"\r")
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE] + CUT_MARK
        if self.kept + len(line) > MAX_OUTPUT:
            return
        self.kept += len(line)
        self.lines.put_nowait(line)


@dataclass
class _Stderr:
    tail: bytearray = field(default_factory=bytearray)

    async def pump(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.tail += chunk
            del self.tail[:-MAX_STDERR]


class _Running:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        assert process.stderr is not None
        self.process = process
        self._out = _Output()
        self._err = _Stderr()
        self._ended = False
        self.tasks = [asyncio.ensure_future(self._out.pump(process.stdout)),
                      asyncio.ensure_future(self._err.pump(process.stderr))]

    async def readline(self, timeout: float) -> bytes | None:
        if self._ended:
            return None
        try:
            line = await asyncio.wait_for(self._out.lines.get(), max(timeout, 0.0))
        except asyncio.TimeoutError:
            return None
        if line is None:
            self._ended = True
        return line

    async def wait(self, timeout: float) -> int | None:
        try:
            return await asyncio.wait_for(asyncio.shield(self.process.wait()), max(timeout, 0.0))
        except asyncio.TimeoutError:
            return None

    def stderr_tail(self) -> str:
        return bytes(self._err.tail).decode("utf-8", "replace")

    async def stop(self) -> None:
        if self.process.returncode is None:
            _signal_group(self.process, signal.SIGTERM)
            if await self.wait(TERM_GRACE) is None:
                _signal_group(self.process, signal.SIGKILL)
                await self.process.wait()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def _signal_group(process: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    """Signals the client and whatever it started (it leads its own process group on POSIX)."""
    with contextlib.suppress(ProcessLookupError):
        if sys.platform != "win32":
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)


def command_launcher(command: str | Sequence[str], *, env: dict[str, str] | None = None,
                     cwd: str | None = None) -> Launch:
    """A :data:`Launch` that runs ``command`` (see :func:`expand_command`) with stdin closed."""

    @contextlib.asynccontextmanager
    async def launch(url: str) -> AsyncIterator[ClientProcess]:
        argv = expand_command(command, url)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env, cwd=cwd, start_new_session=sys.platform != "win32")
        except OSError as exc:
            raise LaunchError(f"cannot start the client {argv[0]!r}: {exc.strerror or exc}") from exc
        running = _Running(process)
        try:
            yield running
        finally:
            await asyncio.shield(running.stop())

    return launch
