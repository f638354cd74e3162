"""Fixtures for the reference server tests; the harness classes live in ``ws_server_harness.py``."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import pytest
from ws_server_harness import CliServer, ServerThread

from reference.servers.ws import WsSettings


@pytest.fixture
def start_server() -> Iterator[Callable[..., ServerThread]]:
    """``start_server(settings=None, tls=None) -> ServerThread``; every server is stopped afterwards."""
    started: list[ServerThread] = []

    def start(settings: WsSettings | None = None, tls: ssl.SSLContext | None = None) -> ServerThread:
        handle = ServerThread(settings or WsSettings(), tls)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


@pytest.fixture
def spawn_cli() -> Iterator[Callable[..., CliServer]]:
    """``spawn_cli(*extra_args) -> CliServer``; every process is killed afterwards if still running."""
    spawned: list[CliServer] = []

    def spawn(*args: str) -> CliServer:
        server = CliServer(*args)
        spawned.append(server)
        return server

    yield spawn
    for server in spawned:
        server.kill()
