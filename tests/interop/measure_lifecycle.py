"""Run the connection-lifecycle cases against third-party servers and print verdicts and numbers.

``PYTHONPATH=. python tests/interop/measure_lifecycle.py [NAME...]`` (not a pytest test: it takes about a
minute). Each server is configured with its own keepalive and message limit
(``tests/fixtures/lifecycle_servers.py``; npm ws has no built-in keepalive and runs as the plain echo
fixture with ``maxPayload`` 32 MiB), and the cases are judged against what that configuration promises.
The reference server runs with the same promises through its CLI flags. Servers run one at a time, so
the exclusive cases' numbers are not disturbed by another server's load.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from lifecycle_servers import INTERVAL, MAX_SIZE, PROFILES, TIMEOUT
from target_servers import TargetUnavailable, node_ws_server, spawn_server

from conformance.catalog.ws import LIFECYCLE_MODULES
from conformance.registry import load
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ConnectOptions, Endpoint, parse_address

Launcher = Callable[[], contextlib.AbstractContextManager[tuple[str, int]]]


def _fixture(kind: str) -> Launcher:
    script = Path(__file__).resolve().parents[1] / "fixtures" / "lifecycle_servers.py"
    return lambda: spawn_server([sys.executable, str(script), kind])


@contextlib.contextmanager
def _reference() -> Iterator[tuple[str, int]]:
    argv = [sys.executable, "-m", "reference.servers", "ws", "--host", "127.0.0.1", "--port", "0",
            "--keepalive-interval", str(INTERVAL), "--pong-timeout", str(TIMEOUT), "--max-message-size",
            str(MAX_SIZE), "--handshake-timeout", "2", "--max-connections", "64"]
    with spawn_server(argv) as address:
        yield address


TARGETS: dict[str, tuple[Launcher, dict[str, str]]] = {
    "reference": (_reference, {**PROFILES["websockets"], "handshake-timeout": "2", "max-connections": "64"}),
    **{kind: (_fixture(kind), profile) for kind, profile in PROFILES.items()},
    "ws": (node_ws_server, {"max-message-size": str(2**25)}),
}


async def _measure(address: tuple[str, int], profile: dict[str, str]) -> list[tuple[str, str, str]]:
    cases = [c for c in load(("conformance.catalog.ws",)).cases if c.run.__module__ in LIFECYCLE_MODULES]
    endpoint = Endpoint(parse_address(f"ws://{address[0]}:{address[1]}/"),
                        ConnectOptions(profile=tuple(profile.items())))
    results, _ = await run_cases(cases, endpoint, RunSettings(jobs=8, timeout=20.0))
    return [(r.id, r.outcome.value, r.actual or r.error) for r in results]


def main(names: list[str]) -> None:
    for name in names or list(TARGETS):
        launch, profile = TARGETS[name]
        try:
            with launch() as address:
                rows = asyncio.run(_measure(address, profile))
        except (TargetUnavailable, RuntimeError) as exc:
            print(f"## {name}: not available: {exc}\n")
            continue
        print(f"## {name} (profile: {', '.join(f'{k}={v}' for k, v in profile.items())})")
        for case_id, outcome, actual in rows:
            print(f"{case_id} [{outcome}] {actual.splitlines()[0] if actual else ''}")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
