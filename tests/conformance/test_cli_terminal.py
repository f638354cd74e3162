"""What a user sees in the terminal, from real ``rtconform`` processes: the failure listing (gating first,
expected failures with their reason, "... and N more" pointing at index.html), the result line above
exit 0, progress on a terminal (rich, the running case) and in CI (a bounded line every few seconds), the
messages for an empty selection and an http:// URL of a WebSocket server, and ``--help``'s exit codes."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_fakes import keep_tcp_open, threaded_server

from conformance.catalog.ws.verify import show_events
from conformance.exitcodes import MEANINGS, ExitCode
from conformance.reporting.progress import Progress
from conformance.wire.ws import Pong, Timeout

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from target_servers import lax_server  # tests/fixtures, put on sys.path above

REPO = Path(__file__).resolve().parents[2]
RTCONFORM = [sys.executable, "-m", "conformance"]
SLOW_CASE = "ws/7.1.1/server-closes-tcp-first"  # waits --close-timeout for a TCP close that never comes


def rtconform(*args: str, cwd: Path = REPO, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RTCONFORM, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          check=False, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def lax() -> Iterator[str]:
    """The server that validates nothing: every §4.2.1 case fails."""
    with lax_server() as (host, port):
        yield f"ws://{host}:{port}"


@pytest.fixture(scope="module")
def tcp_left_open() -> Iterator[str]:
    with threaded_server(keep_tcp_open) as port:
        yield f"ws://127.0.0.1:{port}"


def heads(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith(("FAIL ", "ERROR ", "XFAIL "))]


def test_failures_are_listed_gating_first_expected_ones_with_their_reason(lax: str, tmp_path: Path) -> None:
    expect = tmp_path / "known.toml"
    expect.write_text('[cases]\n"ws/4.2.1/http-1-0" = "accepts HTTP/1.0 (issue 7)"\n'
                      '"ws/4.2.1/missing-host" = "no Host check"\n', encoding="utf-8")
    proc = rtconform("run", "--target", lax, "--case", "ws/4.2.1", "--close-timeout", "0.3",
                     "--expect", str(expect), "--max-failures", "3", "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == ExitCode.FAILED, proc.stderr
    listed = heads(proc.stdout)
    assert len(listed) == 3
    assert all(h.startswith("FAIL ws/4.2.1/") and "[MUST, gating]" in h for h in listed), listed
    folder = tmp_path / "r" / lax.removeprefix("ws://").replace(":", "_")
    assert f"... and 9 more failed/errored cases (see {folder}/index.html; -v lists them all)" in proc.stdout
    assert "result: 12 failed (10 gating, 2 expected); exit 1: does not conform: 10 MUST cases failed" \
        in proc.stdout

    everything = rtconform("run", "--target", lax, "--case", "ws/4.2.1", "--close-timeout", "0.3",
                           "--expect", str(expect), "-v", "--no-reports")
    listed = heads(everything.stdout)
    assert len(listed) == 12
    assert [h.split(" [")[0] for h in listed[-2:]] == ["XFAIL ws/4.2.1/missing-host",
                                                       "XFAIL ws/4.2.1/http-1-0"]
    assert "  expected failure (" + str(expect) + "): accepts HTTP/1.0 (issue 7)" in everything.stdout
    # the status set of http-1-0 reads as ranges, not 101 codes
    assert "an http error response (status 400-499 or 505), no upgrade" in everything.stdout
    assert "more failed/errored" not in everything.stdout


def test_only_expected_failures_exit_0_and_the_quiet_line_says_so(lax: str, tmp_path: Path) -> None:
    expect = tmp_path / "known.toml"
    expect.write_text('[cases]\n"ws/4.2.1/http-1-0" = "a"\n"ws/4.2.1/missing-host" = "b"\n', encoding="utf-8")
    proc = rtconform("run", "--target", lax, "--case", "ws/4.2.1/http-1-0", "--case", "ws/4.2.1/missing-host",
                     "--expect", str(expect), "-q", "--no-reports")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert proc.stdout == "result: 2 failed (all expected); exit 0: no gating failure\n"


def test_progress_on_a_terminal_shows_the_running_case(tcp_left_open: str) -> None:
    main, sub = pty.openpty()
    proc = subprocess.Popen([*RTCONFORM, "run", "--target", tcp_left_open, "--case", SLOW_CASE, "--strict",
                             "--timeout", "8", "--close-timeout", "3", "--no-reports"],
                            stdin=sub, stdout=sub, stderr=sub, cwd=REPO, env={**os.environ, "COLUMNS": "150"})
    os.close(sub)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the pty closes when the process exits
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    assert proc.wait(timeout=60) == ExitCode.FAILED
    text = out.decode(errors="replace")
    # while the case runs, the display names it with its running time (not the last case that finished)
    assert f"waiting on: {SLOW_CASE} (" in text
    assert "0/1" in text
    assert "result: 1 failed; exit 1" in text


def test_progress_without_a_terminal_prints_a_bounded_line_every_few_seconds(tcp_left_open: str) -> None:
    proc = rtconform("run", "--target", tcp_left_open, "--case", SLOW_CASE, "--strict", "--timeout", "16",
                     "--close-timeout", "6.5", "--no-reports")
    assert proc.returncode == ExitCode.FAILED, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("progress: ")]
    assert 1 <= len(lines) <= 2, proc.stdout  # one line per 5 s of a ~6.5 s run
    assert lines[0].startswith(f"progress: 0/1 done, 0 failed/errored; waiting on: {SLOW_CASE} (")
    quiet = rtconform("run", "--target", tcp_left_open, "--case", "ws/5.6/echo-text-empty", "-q",
                      "--no-reports")
    assert "progress" not in quiet.stdout


def test_progress_lines_follow_a_clock_not_the_cases() -> None:
    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    class Out:
        text = ""

        def write(self, s: str) -> int:
            self.text += s
            return len(s)

        def flush(self) -> None:
            pass

    from conformance.registry import load

    case = load().by_id[SLOW_CASE]
    clock, out = Clock(), Out()
    progress = Progress(out, mode="lines", total=3, clock=clock)  # type: ignore[arg-type]
    progress.started(case)
    for t in (1.0, 2.0, 4.9):
        clock.now = t
        progress.tick()
    assert out.text == ""
    clock.now = 5.0
    progress.tick()
    assert out.text == f"progress: 0/3 done, 0 failed/errored; waiting on: {SLOW_CASE} (5s)\n"
    clock.now = 6.0
    progress.tick()
    assert out.text.count("\n") == 1


def test_an_empty_selection_says_what_matched_and_what_excluded() -> None:
    proc = rtconform("run", "--suite", "ws", "--exclude", "ws", "--no-reports")
    assert proc.returncode == ExitCode.USAGE
    assert "--case" not in proc.stderr
    assert proc.stderr.startswith("rtconform: error: --exclude ws excludes all ")
    assert proc.stderr.endswith(" cases of suite ws: nothing left to run\n")
    nothing = rtconform("run", "--case", "ws/99", "--no-reports")
    assert nothing.stderr == ("rtconform: error: no case matches --case ws/99 (MUST cases only; add --strict "
                              "for every level)\n")


def test_an_http_url_of_a_websocket_server_suggests_ws(websockets_url: str) -> None:
    # websockets answers a plain GET with 426 Upgrade Required
    port = websockets_url.rsplit(":", 1)[1]
    proc = rtconform("run", "--target", f"http://127.0.0.1:{port}/", "--no-reports")
    assert proc.returncode == ExitCode.USAGE
    assert proc.stderr == (f"rtconform: error: cannot tell which suite tests 'http://127.0.0.1:{port}/'; it "
                           f"answered 426 Upgrade Required: it is a WebSocket server; use --target "
                           f"ws://127.0.0.1:{port}/\n")


def test_an_http_url_of_a_server_that_upgrades_without_426_suggests_ws(lax: str) -> None:
    # the lax server answers any request with 101: the hint's handshake is accepted
    port = lax.rsplit(":", 1)[1]
    proc = rtconform("run", "--target", f"http://127.0.0.1:{port}/x", "--no-reports")
    assert proc.returncode == ExitCode.USAGE
    assert proc.stderr.endswith("it accepted a WebSocket opening handshake: it is a WebSocket server; use "
                                f"--target ws://127.0.0.1:{port}/x\n"), proc.stderr


def test_help_lists_the_exit_codes_from_one_place() -> None:
    for argv in (["--help"], ["run", "--help"]):
        out = rtconform(*argv).stdout
        assert "exit codes:" in out
        for code in ExitCode:
            assert f"  {int(code):<4} " in out
        assert "the target conforms" in out
    assert set(MEANINGS) == set(ExitCode)


def test_event_lists_read_as_sentences() -> None:
    assert show_events([]) == "no message from the target"
    both = show_events([Timeout("A"), Timeout("B")])
    assert both == "nothing from the target, still open at checkpoints A and B"
    pong = show_events([Pong(b"x"), Timeout("A")])
    assert pong == "from the target: pong(b'x'), then still open at checkpoint A"
