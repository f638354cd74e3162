"""Shared fixtures: the target servers (one process each for the whole session) and the catalog runs.

``tests/fixtures`` (the proxy, its codec, the mutations, the target launchers) is put on ``sys.path``
here. It is deliberately not a package under ``tests/``: putting ``tests/`` itself on ``sys.path`` would
let the namespace directories ``tests/conformance`` and ``tests/reference`` shadow the real packages.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from mutating_proxy import Mutation, Transparent
from mutation_harness import CLEAN_EXCLUDE, Results, direct, proxied, run_together
from target_servers import THIRD_PARTY, TargetUnavailable, lax_server, reference_server, websockets_server

from conformance.registry import Registry, load


@pytest.fixture(scope="session")
def reference() -> Iterator[tuple[str, int]]:
    with reference_server() as address:
        yield address


@pytest.fixture(scope="session")
def deflate_upstream() -> Iterator[tuple[str, int]]:
    """A server speaking permessage-deflate for the compression proofs (websockets, compression on)."""
    with websockets_server(deflate=True) as address:
        yield address


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load()


@pytest.fixture(scope="session")
def third_party() -> Iterator[dict[str, tuple[str, int] | str]]:
    """name -> address of a running third-party server, or the reason it could not be started."""
    with contextlib.ExitStack() as stack:
        targets: dict[str, tuple[str, int] | str] = {}
        for name, launch in THIRD_PARTY.items():
            try:
                targets[name] = stack.enter_context(launch())
            except (TargetUnavailable, RuntimeError) as exc:
                targets[name] = str(exc)
        yield targets


@pytest.fixture(scope="session")
def catalog_runs(
    reference: tuple[str, int], third_party: dict[str, tuple[str, int] | str], registry: Registry
) -> Iterator[dict[str, Results]]:
    """The whole ``ws`` catalog against every clean target and the lax server, all runs at once:
    ``reference``, ``identity``/``transparent`` (reference through the proxy), each started third-party
    server under its name, and ``lax``. Every run leaves out Autobahn's 216 compressed echoes (12.x/13.x,
    ``CLEAN_EXCLUDE``): at 160 cases at once their compression work holds the event loop long enough to
    starve the octet-chop cases of the other runs. They pass against the reference server in
    ``tests/conformance/catalog/test_ws_catalog_runs.py``; the proxy's handling of compressed frames is
    shown by the permessage-deflate proofs."""
    cases = registry.select(("ws",), CLEAN_EXCLUDE)
    with lax_server() as lax:
        runs: dict[str, Coroutine[Any, Any, Results]] = {
            "reference": direct(reference, registry, exclude=CLEAN_EXCLUDE),
            "identity": proxied(reference, Mutation, cases),
            "transparent": proxied(reference, Transparent, cases),
            "lax": direct(lax, registry, exclude=CLEAN_EXCLUDE),
        }
        runs.update(
            {
                n: direct(a, registry, exclude=CLEAN_EXCLUDE)
                for n, a in third_party.items()
                if not isinstance(a, str)
            }
        )
        yield run_together(runs)
