"""Targets the runner starts itself: a user's command (``--cmd``) or the embedded reference servers.

The reference server of each selected suite (the suite's ``reference`` argv) is started through its CLI
(``python -m reference.servers ws --host 127.0.0.1 --port 0``), never imported: the runner stays an
independent oracle. Its first stdout line says ``listening on ws://127.0.0.1:PORT``; the address it gives
carries the suite's ``reference_profile``. Output of started targets is kept (the last 64 KiB) for the
report. Stopping sends SIGTERM to the process group, then SIGKILL after 3 s.

Process groups and those signals are POSIX: on Linux and macOS only. Elsewhere (Windows) starting a
target fails at once with :data:`UNSUPPORTED`, a message that says what works instead.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import re
import shlex
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

from conformance.results import TargetInfo
from conformance.targets.base import TargetError, TargetSpec, wait_accepting
from conformance.wire.endpoint import ALL_SCHEMES, Address, parse_address

__all__ = ["UNSUPPORTED", "CommandTarget", "ManagedProcess", "ReferenceSet", "ReferenceTarget",
           "can_start_processes"]

OUTPUT_TAIL = 64 * 1024
STOP_GRACE = 3.0
_LISTENING = re.compile(r"listening on (\S+)")
#: Why a target cannot be started here (no process groups: Windows).
UNSUPPORTED = ("starting a target (--cmd, or the embedded reference servers when no --target is given) needs "
               "Linux or macOS: it stops the target's whole process group (os.killpg, SIGKILL), which this "
               "system lacks; run rtconform in WSL 2, or start the server yourself and pass --target URL")


def can_start_processes() -> bool:
    """This system has the process groups and signals a started target needs (Linux, macOS)."""
    return hasattr(os, "killpg") and hasattr(signal, "SIGKILL")


class ManagedProcess:
    """A child process in its own session, its merged output drained into a bounded tail."""

    def __init__(self, argv: Sequence[str] | str, *, on_line: Callable[[str], None] | None = None) -> None:
        self.argv = argv
        self.on_line = on_line
        self.proc: asyncio.subprocess.Process | None = None
        self._tail: collections.deque[bytes] = collections.deque()
        self._tail_size = 0
        self._drain: asyncio.Task[None] | None = None

    @property
    def command(self) -> str:
        """The command line, for reports."""
        return self.argv if isinstance(self.argv, str) else shlex.join(self.argv)

    @property
    def alive(self) -> bool:
        """Started and not exited."""
        return self.proc is not None and self.proc.returncode is None

    def output(self) -> str:
        """The last 64 KiB of stdout and stderr."""
        return b"".join(self._tail).decode("utf-8", "replace")

    async def start(self) -> None:
        """Start the process.

        Raises:
            TargetError: the command could not be started (the message shows it), or this system cannot
                stop a process group (:data:`UNSUPPORTED`).
        """
        if not can_start_processes():
            raise TargetError(UNSUPPORTED)
        kw: dict[str, object] = {"stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.STDOUT,
                                 "stdin": asyncio.subprocess.DEVNULL, "start_new_session": True}
        try:
            if isinstance(self.argv, str):
                self.proc = await asyncio.create_subprocess_shell(self.argv, **kw)  # type: ignore[arg-type]
            else:
                self.proc = await asyncio.create_subprocess_exec(*self.argv, **kw)  # type: ignore[arg-type]
        except OSError as exc:
            raise TargetError(f"cannot start {self.command!r}: {exc}") from None
        self._drain = asyncio.ensure_future(self._read_output())

    async def _read_output(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self._tail.append(line)
            self._tail_size += len(line)
            while self._tail_size > OUTPUT_TAIL and len(self._tail) > 1:
                self._tail_size -= len(self._tail.popleft())
            if self.on_line is not None:
                self.on_line(line.decode("utf-8", "replace"))

    async def stop(self) -> int | None:
        """SIGTERM the process group, SIGKILL after 3 s; returns the exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.returncode is None:
            self._signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE)
            except asyncio.TimeoutError:
                self._signal(signal.SIGKILL)
                await proc.wait()
        if self._drain is not None:
            try:
                await asyncio.wait_for(self._drain, 1.0)
            except (asyncio.TimeoutError, ValueError, OSError):
                self._drain.cancel()
        return proc.returncode

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


class CommandTarget:
    """``--cmd "..."``: start a shell command, wait until ``--target``'s port accepts connections."""

    def __init__(self, spec: TargetSpec) -> None:
        if spec.address is None or not spec.command:
            raise TargetError("--cmd needs --target to say where the started server listens")
        self.address = spec.address
        self.timeout = spec.start_timeout
        self.process = ManagedProcess(spec.command)

    async def start(self) -> Address:
        """Start the command; raises :class:`TargetError` if it exits or does not listen in time."""
        await self.process.start()
        try:
            await wait_accepting(self.address, self.timeout, lambda: self.process.alive)
        except TargetError as exc:
            await self.process.stop()
            tail = self.process.output().strip().splitlines()[-1:] or [""]
            raise TargetError(f"{exc}; last output: {tail[0][:200]!r}") from None
        return self.address

    async def stop(self) -> TargetInfo:
        """Stop the command; its output goes into the report."""
        code = await self.process.stop()
        return TargetInfo("command", self.address.name, self.address.url, self.process.command,
                          self.process.output(), code)


class ReferenceTarget:
    """One embedded reference server, as a subprocess through its CLI.

    Args:
        args: the argv after ``python -m reference.servers`` (a suite's ``reference``).
        profile: what that server promises (the suite's ``reference_profile``), given with its address.
        start_timeout: seconds to wait for its "listening on" line.
    """

    def __init__(self, args: Sequence[str], profile: tuple[tuple[str, str], ...] = (),
                 start_timeout: float = 15.0) -> None:
        self.timeout = start_timeout
        self.url: str | None = None
        self.profile = profile
        self._ready: asyncio.Future[str] | None = None
        argv = [sys.executable, "-m", "reference.servers", *args, "--host", "127.0.0.1", "--port", "0"]
        self.process = ManagedProcess(argv, on_line=self._line)

    def _line(self, line: str) -> None:
        match = _LISTENING.search(line)
        if match and self._ready is not None and not self._ready.done():
            self._ready.set_result(match.group(1))

    async def start(self) -> Address:
        """Start the server and read its URL from the "listening on" line."""
        self._ready = asyncio.get_running_loop().create_future()
        await self.process.start()
        assert self.process.proc is not None
        exited: asyncio.Future[object] = asyncio.ensure_future(self.process.proc.wait())
        ready: asyncio.Future[object] = self._ready  # type: ignore[assignment]
        done, _ = await asyncio.wait({ready, exited}, timeout=self.timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        if ready not in done:
            await self.process.stop()
            tail = self.process.output().strip()[-300:]
            raise TargetError(f"the reference server did not start ({self.process.command}): {tail!r}")
        self.url = self._ready.result()
        try:
            return replace(parse_address(self.url, ALL_SCHEMES), profile=self.profile)
        except ValueError as exc:
            await self.process.stop()
            raise TargetError(f"the reference server printed a bad url: {exc}") from None

    async def stop(self) -> TargetInfo:
        """Stop the server; its output goes into the report."""
        code = await self.process.stop()
        return TargetInfo("reference", "reference", self.url or "", self.process.command,
                          self.process.output(), code)


class ReferenceSet:
    """The embedded reference servers of the selected suites (``TargetSpec.suites``), one process each.

    The address it gives carries one address per suite (:meth:`Address.for_suite`), so one run and one
    report cover them all. With a single suite it is exactly that suite's :class:`ReferenceTarget`.
    """

    def __init__(self, spec: TargetSpec) -> None:
        self.targets = [(s.spec, ReferenceTarget(s.reference, s.reference_profile, spec.start_timeout))
                        for s in spec.suites if s.reference]
        if not self.targets:
            raise TargetError(f"no embedded reference server for {[s.spec for s in spec.suites]!r}")

    async def start(self) -> Address:
        """Start every server; stop those already started if one fails."""
        started: list[tuple[str, Address]] = []
        try:
            for protocol, target in self.targets:
                started.append((protocol, await target.start()))
        except TargetError:
            for _, target in self.targets[:len(started)]:
                await target.stop()
            raise
        if len(started) == 1:
            return started[0][1]
        return replace(started[0][1], suites=tuple(started))

    async def stop(self) -> TargetInfo:
        """Stop every server; one TargetInfo describing them all."""
        infos = [await target.stop() for _, target in self.targets]
        if len(infos) == 1:
            return infos[0]
        codes = [i.returncode for i in infos if i.returncode is not None]
        return TargetInfo("reference", "reference", " ".join(i.url for i in infos),
                          "; ".join(i.command for i in infos), "".join(i.output for i in infos),
                          max(codes, key=abs) if codes else None)

