"""Socket.IO in the comparison: the subscriber starts on long polling and upgrades to WebSocket, stays on
polling when a proxy strips ``Upgrade`` (the fallback), and with connection state recovery on the server gets
what was broadcast while it reconnected; without recovery the same resets show as lost messages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conformance.compare.findings import findings
from conformance.compare.impairment import parse_impairment
from conformance.compare.runner import run_protocol
from conformance.compare.workload import Server, Workload
from conformance.targets.process import ReferenceTarget


def _run(server_args: list[str], network: str, workload: Workload) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        target = ReferenceTarget(["sio", *server_args])
        await target.start()
        assert target.url is not None
        try:
            server = Server("sio", target.url, target.url)
            return await run_protocol(server, workload, parse_impairment(network))
        finally:
            await target.stop()

    return asyncio.run(main())


@pytest.mark.parametrize(("network", "upgraded", "failed"), [("rtt=10ms", 3, 0), ("strip-upgrade", 0, 3)])
def test_socketio_upgrades_or_falls_back_to_polling_and_delivers_everything(
        network: str, upgraded: int, failed: int) -> None:
    result = _run([], network, Workload(rate=20, subscribers=3, duration=1.0))
    m = result["messages"]
    assert (result["status"], m["lost"], m["duplicated"]) == ("ok", 0, 0), result
    assert m["delivered"] == m["expected"] == 60
    assert result["upgrade"] == {"upgraded": upgraded, "failed": failed}
    if failed:  # on polling each message costs a GET (measured: 27 requests per subscriber for 20 messages)
        assert result["requests"]["subscriber_per_message"] >= 1.0
        assert any(e.startswith("upgrade refused, staying on polling: status 400") for e in result["errors"])
        assert f"Socket.IO fell back: {failed} upgrades to WebSocket were refused" in " ".join(
            findings({"sio": result}))
    else:
        # the handshake's requests (measured: 7 per subscriber), then WebSocket frames
        assert result["requests"]["subscriber_per_message"] < 0.5


@pytest.mark.slow
@pytest.mark.parametrize("recovery", [True, False])
def test_resets_lose_nothing_only_with_connection_state_recovery(recovery: bool) -> None:
    args = ["--recovery-window", "30"] if recovery else []
    result = _run(args, "rtt=10ms,reset=0.7s", Workload(rate=20, subscribers=2, duration=2.0))
    m, rec = result["messages"], result["reconnections"]
    assert rec["resets_by_network"] >= 4
    assert m["expected"] == 80
    assert m["duplicated"] == 0
    if recovery:
        assert (m["lost"], m["delivered"]) == (0, 80), result
    else:  # each reset leaves the room empty for the reconnect delay and a new handshake: at 20/s, lost
        assert m["lost"] >= 4, result
        assert m["delivered"] == 80 - m["lost"]
