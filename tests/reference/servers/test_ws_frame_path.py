"""The reference ws server gives the same answers on every frame path and event loop, and says which it runs.

``RTCONFORM_NO_SPEEDUPS=1`` makes the server run as an install without the compiled speedups would (the
pure-Python frame path); ``--loop`` picks asyncio's loop or uvloop. The same client conversation, ending
in a protocol error, must get byte-identical answers from each.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest
from raw_ws_client import BINARY, PING, TEXT, RawClient
from ws_server_harness import REPO

from reference.core.ws.speedups import DISABLE_ENV
from reference.servers import ws_cli
from reference.servers.cli import main

LISTENING = re.compile(r"listening on ws://127\.0\.0\.1:(\d+)")
CONT = 0x0
LOOPS = ["asyncio"] + (["uvloop"] if importlib.util.find_spec("uvloop") else [])


def _env(pure: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != DISABLE_ENV}
    if pure:
        env[DISABLE_ENV] = "1"
    return env


def conversation(port: int) -> list[tuple[bool, int, bytes]]:
    """The frames the server sends back for a fixed conversation that ends in a reserved opcode.

    Each step waits for its answer before the next is sent, so the answers do not depend on how the
    server's reads happen to be chunked (a pong is queued while input is read, an echo after it).
    """
    client = RawClient.connect(port)
    answers: list[tuple[bool, int, bytes]] = []

    def step(opcode: int, payload: bytes, *, fin: bool = True, answers_expected: int = 1) -> None:
        client.send_frame(opcode, payload, fin=fin)
        for _ in range(answers_expected):
            frame = client.read_frame()
            answers.append((frame.fin, frame.opcode, frame.payload))

    step(TEXT, "κόσμε 32 bytes of text......".encode())
    step(BINARY, bytes(range(256)) * 300)  # 76,800 bytes: the 64-bit length form
    step(TEXT, b"frag", fin=False, answers_expected=0)
    step(PING, b"in between")
    step(CONT, b"mented")
    step(BINARY, b"x" * 200)  # the 16-bit length form
    client.sock.sendall(b"\x83\x80" + b"\x00" * 4)  # reserved opcode 0x3: fail with 1002
    frame = client.read_frame()
    answers.append((frame.fin, frame.opcode, frame.payload))
    assert client.read_eof()
    client.sock.close()
    return answers


@pytest.mark.slow  # four server start-ups (about 1.5 s each on a loaded 2-core machine)
def test_pure_python_and_accelerated_paths_answer_the_same_on_every_loop() -> None:
    configs = [(pure, loop) for pure in (False, True) for loop in LOOPS]
    procs = {config: subprocess.Popen(  # started together: the start-ups overlap
        [sys.executable, "-m", "reference.servers", "ws", "--port", "0", "--loop", config[1]],
        cwd=REPO, env=_env(config[0]), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for config in configs}
    answers = {}
    try:
        for config, proc in procs.items():
            assert proc.stdout is not None
            match = LISTENING.search(proc.stdout.readline())
            assert match is not None, config
            answers[config] = conversation(int(match[1]))
    finally:
        for proc in procs.values():
            proc.kill()
            proc.communicate()
    reference = answers[(True, "asyncio")]
    assert [opcode for _, opcode, _ in reference] == [TEXT, BINARY, 0xA, TEXT, BINARY, 0x8]
    assert reference[2][2] == b"in between"
    assert reference[3][2] == b"fragmented"
    assert reference[-1][2][:2] == b"\x03\xea"  # 1002 for the reserved opcode
    for config, answer in answers.items():
        assert answer == reference, config


@pytest.mark.parametrize("path", ["C speedups (reference.core.ws._speedups)",
                                  "pure Python (C speedups not built)"])
def test_help_says_which_frame_path_is_active(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str], path: str) -> None:
    monkeypatch.setattr(ws_cli, "FRAME_PATH", path)
    with pytest.raises(SystemExit):
        main(["ws", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"frame path: {path};" in text
    assert "uvloop: installed" in text or "uvloop: not installed" in text
