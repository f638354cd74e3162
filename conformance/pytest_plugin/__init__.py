"""rtconform's pytest plugin (entry point ``pytest11``: ``rtconform``), loaded in every pytest session.

``pytest --rtconform-target URL [--rtconform-suite ws] [-k ...]`` makes every selected case a pytest item
(:mod:`.items`); the fixtures ``rtconform_ws_server``, ``rtconform_sse_server`` and
``rtconform_poll_server`` give a user's own tests a reference server (:mod:`.servers`). Without
``--rtconform-target`` the plugin adds its options, registers its markers and defines the fixtures,
nothing else: it imports no catalog, collects nothing and runs nothing (the session plugin with the
hooks, :class:`.session.RunPlugin`, is registered only with the option).

How the cases run, and why: the items do not each run their case. After collection and deselection
(``-k``, ``-m``, ``--lf``), the cases of the remaining items run once, together, through
:func:`conformance.app.execute`, the function ``rtconform run`` calls, with the options ``rtconform run``
would get (:func:`conformance.app.plan`): the same runner, concurrency (``--rtconform-jobs``), case
timeouts and derived run timeout, exclusive cases after every other one with nothing else running, and
the same halt when the target cannot be reached. Each item then reports its case's result, judged by
``rtconform run``'s rule (:meth:`conformance.review.Review.status`). So an item's verdict is the case's
verdict in ``rtconform run`` with the same selection. One case per item, run when the item runs, would
have been simpler, but it would run ~300 cases one after the other (a run takes minutes instead of
seconds) and would judge exclusive cases and the halt differently.

What that costs: every case runs before the first item reports, so ``-x``/``--maxfail`` stop the
reporting, not the run (select fewer cases with ``-k`` or ``--rtconform-case`` to run fewer). Under
pytest-xdist (``-n N``) a worker does not know in advance which items it will get, so there each item
runs its case alone when it runs (:class:`.session.OneAtATime`): cases run N at a time (one per
worker), run timeouts are per case, the halt is per worker, and exclusive cases are skipped with a reason
when N > 1 (other workers' cases would disturb their measurement).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.pytest_plugin.options import MARKERS, TARGET, add_options

__all__ = ["rtconform_poll_server", "rtconform_sse_server", "rtconform_ws_server"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    if getattr(config.option, TARGET, None):
        from conformance.pytest_plugin.options import run_options
        from conformance.pytest_plugin.session import RunPlugin

        config.pluginmanager.register(RunPlugin(config, run_options(config)), "rtconform-run")


def _server(spec: str) -> Iterator[str]:
    from conformance.pytest_plugin.servers import ReferenceServer

    server = ReferenceServer(spec)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rtconform_ws_server() -> Iterator[str]:
    """rtconform's reference WebSocket echo server (RFC 6455) on a free port: its ``ws://`` URL."""
    yield from _server("ws")


@pytest.fixture(scope="session")
def rtconform_sse_server() -> Iterator[str]:
    """rtconform's reference Server-Sent Events server on a free port: its ``http://`` URL."""
    yield from _server("sse")


@pytest.fixture(scope="session")
def rtconform_poll_server() -> Iterator[str]:
    """rtconform's reference long-polling server on a free port: its ``http://`` URL."""
    yield from _server("poll")
