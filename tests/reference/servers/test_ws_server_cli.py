"""``python -m reference.servers ws``: arguments, the ``listening on`` line, signals and exit codes."""

from __future__ import annotations

import resource
import signal
import socket
import struct
import subprocess
import sys

import pytest
from raw_ws_client import CLOSE, TEXT, RawClient
from ws_server_harness import REPO, SpawnCli

from reference.servers.cli import build_parser, main
from reference.servers.ws_cli import settings_from


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: PROTOCOL"),
        (["gopher"], "invalid choice: 'gopher'"),
        (["ws", "--port", "http"], "not a port number: 'http'"),
        (["ws", "--port", "65536"], "must be between 0 and 65535, got '65536'"),
        (["ws", "--max-message-size", "0"], "must be greater than 0, got '0'"),
        (["ws", "--idle-timeout", "soon"], "not a number: 'soon'"),
        (["ws", "--bogus"], "unrecognized arguments: --bogus"),
        (["ws", "--keyfile", "k.pem"], "--keyfile needs --certfile"),
        (["ws", "--rate-burst", "10"], "--rate-burst needs --rate-limit"),
        (["ws", "--certfile", "/nonexistent/cert.pem"], "cannot load --certfile '/nonexistent/cert.pem'"),
    ],
)
def test_cli_rejects_a_bad_argument_with_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("python -m reference.servers")
    assert message in err


def test_cli_maps_every_option_to_the_settings() -> None:
    args = build_parser().parse_args(
        ["ws", "--host", "::1", "--port", "0", "--max-message-size", "16777216", "--keepalive-interval", "20",
         "--pong-timeout", "5", "--idle-timeout", "60", "--subprotocol", "a", "--subprotocol", "b",
         "--origin", "https://x.example", "--max-connections", "10", "--handshake-timeout", "3"]
    )
    settings = settings_from(args)
    assert (args.host, args.port) == ("::1", 0)
    assert settings.max_message_size == 16 * 2**20
    assert (settings.keepalive_interval, settings.pong_timeout, settings.idle_timeout) == (20, 5, 60)
    assert settings.subprotocols == ("a", "b")
    assert settings.origins == ("https://x.example",)
    assert (settings.max_connections, settings.handshake_timeout) == (10, 3)
    limits = settings_from(build_parser().parse_args(
        ["ws", "--connection-cap", "50", "--memory-budget", "1048576", "--write-timeout", "1.5",
         "--max-head-size", "4096"]))
    assert (limits.connection_cap, limits.memory_budget, limits.write_timeout) == (50, 2**20, 1.5)
    assert limits.max_head_size == 4096
    defaults = settings_from(build_parser().parse_args(["ws"]))
    assert defaults.connection_cap == min(resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 64, 10_000)
    assert (defaults.memory_budget, defaults.write_timeout) == (256 * 2**20, 10.0)
    assert defaults.max_message_size == 64 * 2**20
    assert defaults.max_head_size == 16 * 1024
    assert defaults.keepalive_interval is None
    assert defaults.origins is None


def test_cli_process_exits_2_with_one_line_on_a_bad_argument() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reference.servers", "ws", "--port", "-1"],
        cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "must be between 0 and 65535, got '-1'" in result.stderr


def test_cli_process_exits_1_with_one_line_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "reference.servers", "ws", "--port", str(port)],
            cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
        )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"cannot listen on ws://127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_process_on_a_signal_closes_peers_with_1001_and_exits_0(spawn_cli: SpawnCli,
                                                                     signum: signal.Signals) -> None:
    server = spawn_cli()
    assert server.url == f"ws://127.0.0.1:{server.port}"
    clients = [RawClient.connect(server.port) for _ in range(2)]
    clients[0].send_frame(TEXT, b"up")
    assert clients[0].read_frame().payload == b"up"
    server.proc.send_signal(signum)
    for client in clients:
        close = client.read_frame()
        assert (close.opcode, close.payload[:2]) == (CLOSE, struct.pack("!H", 1001))
        client.send_frame(CLOSE, close.payload[:2])
        assert client.read_eof()
        client.close()
    out, err = server.proc.communicate(timeout=10)
    assert server.proc.returncode == 0, err
    assert (out, err) == ("", "")
