"""wss:// targets (custom CA, --insecure, and refusal without either) and IPv6 literal URLs."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

from conformance.cli import main


async def _echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


def _serve_in_thread(host: str, ssl_ctx: ssl.SSLContext | None) -> Iterator[int]:
    loop = asyncio.new_event_loop()
    ports: list[int] = []
    stop = loop.create_future()

    async def serve_forever() -> None:
        async with serve(_echo, host, 0, ssl=ssl_ctx, ping_interval=None) as server:
            ports.append(server.sockets[0].getsockname()[1])
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(serve_forever(),), daemon=True)
    thread.start()
    while not ports and thread.is_alive():
        threading.Event().wait(0.01)
    yield ports[0]
    loop.call_soon_threadsafe(stop.set_result, None)
    thread.join(5)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def wss_port(cert: tuple[Path, Path]) -> Iterator[int]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    yield from _serve_in_thread("127.0.0.1", ctx)


ARGS = ["--case", "1.1.1", "--case", "2.5", "--no-reports", "--quiet"]


def test_wss_with_custom_ca(wss_port: int, cert: tuple[Path, Path],
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", f"wss://127.0.0.1:{wss_port}", "--ca", str(cert[0]), *ARGS]) == 0
    assert capsys.readouterr().out == "result: 2 passed; exit 0: no gating failure\n"


def test_wss_insecure(wss_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", f"wss://127.0.0.1:{wss_port}", "--insecure", *ARGS]) == 0
    assert capsys.readouterr().out == "result: 2 passed; exit 0: no gating failure\n"


def test_wss_unverified_certificate_is_refused(wss_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", f"wss://127.0.0.1:{wss_port}", *ARGS]) == 3
    err = capsys.readouterr().err
    assert err.startswith("rtconform: the target could not be reached: TLS handshake failed: the "
                          f"certificate of 127.0.0.1:{wss_port} is not trusted (use --ca FILE or --insecure) "
                          "(ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]")
    assert err.count("\n") == 1


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback")
def test_ipv6_literal_url(capsys: pytest.CaptureFixture[str]) -> None:
    for port in _serve_in_thread("::1", None):
        assert main(["run", "--target", f"ws://[::1]:{port}/", *ARGS]) == 0
    assert capsys.readouterr().out == "result: 2 passed; exit 0: no gating failure\n"
