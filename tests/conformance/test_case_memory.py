"""Issue 12: a case can read the target's memory where the runner samples its resources: the sampled
target's probe reaches the case through ``run_cases(memory=...)``, ``CaseEnv.memory`` and
``HttpContext.memory`` (``CaseClient.target_memory`` for WebSocket cases), and a ``Curve`` records it as
measurements; without sampling the case gets None and reports no memory."""

from __future__ import annotations

import asyncio

from conformance.registry import load
from conformance.resources import Sampler
from conformance.runner import RunSettings, run_cases
from conformance.targets.sampling import SampledTarget, memory_probe
from conformance.wire.endpoint import ALL_SCHEMES, parse_url
from reference.servers.sse import SseServer

PROFILE = (("churn-count", "5"),)


def test_memory_probe_reads_the_sampled_targets_memory() -> None:
    target = SampledTarget(object())  # type: ignore[arg-type]
    assert memory_probe(target) is None
    target.sampler = Sampler(lambda: (4096, 0.5), "test", "fixed")
    probe = memory_probe(target)
    assert probe is not None
    assert probe() == 4096
    target.sampler = Sampler(lambda: None, "test", "gone")
    probe = memory_probe(target)
    assert probe is not None
    assert probe() is None


def _churn(memory: object) -> tuple[str, list[str]]:
    async def main() -> str:
        server = SseServer()
        await server.start("127.0.0.1", 0)
        try:
            endpoint = parse_url(server.url, ALL_SCHEMES).with_options(profile=PROFILE)
            (result,), _ = await run_cases(load().select(["sse/lifecycle/subscriber-churn"], strict=True),
                                           endpoint, RunSettings(timeout=8.0), memory=memory)  # type: ignore[arg-type]
            assert result.outcome.value == "passed", result.error
            return result.actual, [m.name for m in result.measurements]
        finally:
            await server.shutdown()

    return asyncio.run(main())


def test_a_case_reports_the_memory_growth_the_probe_reads() -> None:
    readings = iter([10 << 20] + [13 << 20] * 1000)  # +3 MiB after the first reading
    actual, measured = _churn(lambda: next(readings))
    assert actual.endswith("; target memory +3.0 MiB after the churn")
    assert measured == ["subscribers_per_s", "rss_peak_mib", "rss_growth_mib", "rss_start_mib", "rss_end_mib"]


def test_without_a_probe_a_case_reports_no_memory() -> None:
    actual, measured = _churn(None)
    assert "memory" not in actual
    assert measured == ["subscribers_per_s"]
