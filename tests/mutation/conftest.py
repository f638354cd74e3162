"""Shared fixtures: one reference server and one ``websockets`` server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fixtures.servers import reference_server, websockets_server

from conformance.registry import Registry, load


@pytest.fixture(scope="session")
def reference() -> Iterator[tuple[str, int]]:
    with reference_server() as address:
        yield address


@pytest.fixture(scope="session")
def websockets_target() -> Iterator[tuple[str, int]]:
    with websockets_server() as address:
        yield address


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load()
