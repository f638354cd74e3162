"""Shared fixtures: one reference server and one ``websockets`` server for the whole session.

``tests/fixtures`` (the proxy, its codec, the mutations, the target launchers) is put on ``sys.path``
here. It is deliberately not a package under ``tests/``: putting ``tests/`` itself on ``sys.path`` would
let the namespace directories ``tests/conformance`` and ``tests/reference`` shadow the real packages.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from target_servers import reference_server, websockets_server

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
