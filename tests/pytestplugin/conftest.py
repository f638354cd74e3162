"""Targets for the plugin's tests (the reference and lax servers as subprocesses, one each for the
session), and inner pytest sessions without plugin autoloading (the tests name the plugin with ``-p``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from target_servers import lax_server, reference_server

import conformance.app
import conformance.registry


@pytest.fixture(scope="session", autouse=True)
def _catalog_imported() -> None:
    """Import the catalog here, in the outer session: pytester restores ``sys.modules`` after each
    in-process run, and the inner runs must share the catalog's modules rather than import them anew."""
    conformance.registry.load()
    assert conformance.app.plan


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(scope="session")
def reference_url() -> Iterator[str]:
    with reference_server() as (host, port):
        yield f"ws://{host}:{port}"


@pytest.fixture(scope="session")
def lax_url() -> Iterator[str]:
    with lax_server() as (host, port):
        yield f"ws://{host}:{port}"
