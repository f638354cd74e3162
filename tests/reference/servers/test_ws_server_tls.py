"""wss://: the server behind TLS, with a throwaway self-signed certificate made by the test."""

from __future__ import annotations

import datetime
import shutil
import signal
import ssl
import struct
import subprocess
import time
from pathlib import Path

import pytest
from raw_ws_client import BINARY, CLOSE, TEXT, RawClient, close_payload
from ws_server_harness import SpawnCli, StartServer

from reference.servers.ws import WsSettings, make_ssl_context


def _cert_with_cryptography(cert: Path, key: Path) -> bool:
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return False
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    return True


def _cert_with_openssl(cert: Path, key: Path) -> bool:
    if shutil.which("openssl") is None:
        return False
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True, timeout=30,
    )
    return True


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """(certfile, keyfile) of a fresh self-signed certificate for ``localhost``."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    if not (_cert_with_cryptography(cert, key) or _cert_with_openssl(cert, key)):
        pytest.skip("cannot make a test certificate: neither the cryptography package nor openssl is here")
    return cert, key


def client_context(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = True
    return context


def test_server_speaks_websocket_over_tls(start_server: StartServer, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = start_server(tls=make_ssl_context(str(cert), str(key)))
    assert server.url.startswith("wss://127.0.0.1:")
    client = RawClient.connect(server.port, tls=client_context(cert))
    client.send_frame(TEXT, b"over tls")
    client.send_frame(BINARY, bytes(200_000))
    assert client.read_frame().payload == b"over tls"
    assert client.read_frame().payload == bytes(200_000)
    client.send_frame(CLOSE, close_payload(1000))
    assert client.read_frame().opcode == CLOSE
    assert client.read_eof()
    client.close()


def test_server_survives_a_client_that_does_not_speak_tls(start_server: StartServer,
                                                          certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = start_server(tls=make_ssl_context(str(cert), str(key)))
    plain = RawClient.open(server.port)
    plain.sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert plain.read_eof()  # the TLS handshake fails and the server drops the connection
    plain.close()
    client = RawClient.connect(server.port, tls=client_context(cert))
    client.close()


def test_server_drops_a_client_that_never_starts_tls(start_server: StartServer,
                                                      certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = start_server(WsSettings(handshake_timeout=0.2), tls=make_ssl_context(str(cert), str(key)))
    idle = RawClient.open(server.port)
    started = time.monotonic()
    assert idle.read_eof()
    assert 0.15 < time.monotonic() - started < 3
    idle.close()


def test_cli_serves_wss_with_certfile_and_keyfile(spawn_cli: SpawnCli,
                                                  certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = spawn_cli("--certfile", str(cert), "--keyfile", str(key))
    assert server.url == f"wss://127.0.0.1:{server.port}"
    client = RawClient.connect(server.port, tls=client_context(cert))
    client.send_frame(TEXT, b"hello")
    assert client.read_frame().payload == b"hello"
    server.proc.send_signal(signal.SIGTERM)
    close = client.read_frame()
    assert (close.opcode, close.payload[:2]) == (CLOSE, struct.pack("!H", 1001))
    client.send_frame(CLOSE, close.payload[:2])
    assert client.read_eof()
    client.close()
    _, err = server.proc.communicate(timeout=10)
    assert server.proc.returncode == 0, err
