"""``reference/servers``: shared plumbing below, one leaf per protocol above; leaves never import
each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVERS = Path(__file__).resolve().parents[3] / "reference" / "servers"

#: Modules each protocol-neutral or per-protocol module may import from ``reference.servers``.
ALLOWED: dict[str, set[str]] = {
    "stop_signals": set(),
    "rate_limited_log": set(),
    "listener": {"rate_limited_log"},
    "lingering_close": set(),
    "http_server": {"stop_signals", "listener", "lingering_close", "memory_budget"},
    "pubsub": {"http_server"},
    "sse": {"http_server", "pubsub", "memory_budget"},
    "poll": {"http_server", "pubsub", "memory_budget"},
    "pubsub_cli": set(),
    "sse_cli": {"http_server", "pubsub_cli", "sse"},
    "poll_cli": {"http_server", "pubsub_cli", "poll"},
    "ws_upgrade": set(),
    "memory_budget": set(),
    "ws_settings": {"ws_upgrade", "listener", "memory_budget"},
    "ws_pump": {"ws_settings", "ws_upgrade", "lingering_close", "memory_budget"},
    "ws": {"stop_signals", "ws_pump", "ws_settings", "listener", "memory_budget"},
    "ws_cli": {"ws", "ws_settings", "listener", "memory_budget"},
    "eio_ws": {"http_server"},
    "eio": {"http_server", "eio_ws"},
    "eio_cli": {"eio", "http_server", "pubsub_cli"},
    "sio": {"eio"},  # Socket.IO runs on the Engine.IO server
    "sio_cli": {"sio", "eio_cli", "http_server", "pubsub_cli"},
    "cli": {"poll_cli", "sse_cli", "ws_cli", "eio_cli", "sio_cli"},
    "__main__": {"cli"},
    "__init__": set(),
}


def _server_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "reference.servers":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("reference.servers."):
                found.add(node.module.removeprefix("reference.servers."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("reference.servers.") for a in node.names
                      if a.name.startswith("reference.servers.")}
    return found


def test_every_module_is_in_the_map() -> None:
    assert {p.stem for p in SERVERS.glob("*.py")} == set(ALLOWED)


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_module_imports_only_what_its_layer_allows(name: str) -> None:
    extra = _server_imports(SERVERS / f"{name}.py") - ALLOWED[name]
    assert not extra, f"reference/servers/{name}.py imports {sorted(extra)}"
