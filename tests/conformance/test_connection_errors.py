"""Connection errors name the exception and what happened, never an empty ``connection error: ``."""

from __future__ import annotations

import socket
import ssl

from conformance.connection_errors import describe
from conformance.wire.endpoint import ALL_SCHEMES, parse_address

WSS = parse_address("wss://127.0.0.1:9443/", ALL_SCHEMES)
V6 = parse_address("ws://[::1]:9001/", ALL_SCHEMES)


def test_an_exception_without_a_message_is_named() -> None:
    problem = describe(ConnectionResetError(), WSS)
    assert problem.message == "connection error: ConnectionResetError (no message)"
    assert not problem.unreachable


def test_refused_names_the_address_and_the_exception() -> None:
    problem = describe(ConnectionRefusedError(111, "Connection refused"), V6)
    assert problem.message == ("connection refused by [::1]:9001 "
                               "(ConnectionRefusedError: [Errno 111] Connection refused)")
    assert problem.unreachable


def test_tls_failures_before_any_data_are_a_failed_handshake() -> None:
    eof = describe(ssl.SSLEOFError(8, "EOF occurred in violation of protocol"), WSS)
    assert eof.message.startswith("TLS handshake failed: 127.0.0.1:9443 does not speak TLS "
                                  "(ssl.SSLEOFError: ")
    assert eof.unreachable
    cert = describe(ssl.SSLCertVerificationError(1, "certificate verify failed"), WSS)
    assert cert.message.startswith("TLS handshake failed: the certificate of 127.0.0.1:9443 is not trusted "
                                   "(use --ca FILE or --insecure) (ssl.SSLCertVerificationError: ")
    assert cert.unreachable


def test_a_tls_error_after_data_is_the_cases_own() -> None:
    problem = describe(ssl.SSLError(1, "bad record mac"), WSS, answered=True)
    assert problem.message == "TLS error: ssl.SSLError: bad record mac"
    assert not problem.unreachable


def test_an_unresolvable_host_is_unreachable() -> None:
    problem = describe(socket.gaierror(-2, "Name or service not known"), WSS)
    assert problem.message == ("cannot resolve '127.0.0.1' "
                               "(socket.gaierror: [Errno -2] Name or service not known)")
    assert problem.unreachable
