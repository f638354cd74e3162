"""The client-mode launcher: one run per URL, stdout as bounded lines, the client stopped on exit."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.clients.process import (
    CUT_MARK,
    MAX_LINE,
    MAX_OUTPUT,
    LaunchError,
    command_launcher,
    expand_command,
)

PY = sys.executable


def _run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_the_url_replaces_its_placeholder_or_is_appended() -> None:
    assert expand_command("client --url={url} -v", "ws://h:1/x") == ["client", "--url=ws://h:1/x", "-v"]
    assert expand_command(["node", "c.js"], "ws://h:1/x") == ["node", "c.js", "ws://h:1/x"]
    assert expand_command("c 'a b'", "u") == ["c", "a b", "u"]  # shell-split, never run by a shell
    with pytest.raises(LaunchError):
        expand_command("", "u")


def test_lines_then_end_of_output_then_the_exit_status() -> None:
    script = "import sys; print(sys.argv[1]); print('two\\r'); sys.stdout.write('last'); sys.exit(3)"

    async def main() -> None:
        async with command_launcher([PY, "-c", script])("ws://127.0.0.1:9/c") as client:
            assert await client.readline(5) == b"ws://127.0.0.1:9/c"
            assert await client.readline(5) == b"two"
            assert await client.readline(5) == b"last"
            assert await client.readline(5) is None
            assert await client.wait(5) == 3
    _run(main())


def test_output_is_bounded_whatever_the_client_prints() -> None:
    script = (f"import sys; sys.stdout.write('x' * {MAX_LINE * 3} + '\\n');"
              f"sys.stdout.write(('y' * 1000 + '\\n') * {MAX_OUTPUT // 1000 * 2}); sys.stdout.flush()")

    async def main() -> None:
        async with command_launcher([PY, "-c", script])("u") as client:
            first = await client.readline(5)
            assert first == b"x" * MAX_LINE + CUT_MARK
            kept = len(first)
            while (line := await client.readline(5)) is not None:
                kept += len(line)
            assert kept <= MAX_OUTPUT
            assert await client.wait(5) == 0
    _run(main())


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")
def test_a_client_still_running_is_stopped_with_what_it_started() -> None:
    script = ("import subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', "
              "'import time; time.sleep(60)']); print(c.pid, flush=True); time.sleep(60)")

    async def main() -> int:
        async with command_launcher([PY, "-c", script])("u") as client:
            line = await client.readline(10)
            assert line is not None
            assert await client.wait(0.2) is None
            return int(line)
    child = _run(main())
    assert _gone(child)


def _gone(pid: int) -> bool:
    """No such process, or only its zombie (a container's init may not reap orphans)."""
    for _ in range(40):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_a_missing_command_is_a_launch_error_with_its_name() -> None:
    async def main() -> None:
        async with command_launcher("/nonexistent/client")("u"):
            pass
    with pytest.raises(LaunchError, match="/nonexistent/client"):
        _run(main())


def test_stderr_keeps_its_tail() -> None:
    script = "import sys; sys.stderr.write('a' * 10000 + 'END'); sys.exit(1)"

    async def main() -> None:
        async with command_launcher([PY, "-c", script])("u") as client:
            assert await client.wait(5) == 1
            await asyncio.sleep(0.1)
            assert client.stderr_tail().endswith("aEND")
            assert len(client.stderr_tail()) <= 4096
    _run(main())
