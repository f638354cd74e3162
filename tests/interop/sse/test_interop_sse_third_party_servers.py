"""Third-party SSE servers as targets: sse-starlette (under uvicorn) and aiohttp-sse, each with a small
publish app (third_party_sse_apps.py), run through the whole SSE catalog (SHOULD and MAY included).

The verdicts are pinned: everything passes except what the libraries do not do. Neither replays events
after Last-Event-ID (the three resume cases), sse-starlette's CORS middleware with allow_origins=["*"]
answers '*' (no credentials), and aiohttp has no preflight handler without aiohttp-cors (405). Both apps
queue events for a subscriber in an unbounded ``asyncio.Queue``, as the libraries' examples do, so a
subscriber that does not read gets every event once it reads (``sse/lifecycle/non-reader-bounded``): the
profile promises a 4 MiB bound to keep that case short (the apps promise nothing; without it the case
publishes 70 MiB), and 300 churned subscribers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
import third_party_sse_apps as apps

from conformance.model import Outcome
from conformance.registry import load
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import ALL_SCHEMES, parse_url

pytestmark = pytest.mark.interop

RESUME = {"sse/9.2.4/resume-after-last-event-id", "sse/9.2.4/resume-published-while-away",
          "sse/9.2.4/resume-point-before-first-event"}
UNBOUNDED = {"sse/lifecycle/non-reader-bounded"}
EXPECTED_RED = {
    "sse-starlette": RESUME | UNBOUNDED | {"sse/cors/credentials-echo-origin"},
    "aiohttp-sse": RESUME | UNBOUNDED | {"sse/cors/credentials-echo-origin",
                                         "sse/cors/preflight-last-event-id"},
}
PROFILE = (("heartbeat-interval", "1"), ("buffer-limit", str(4 << 20)), ("churn-count", "300"))
APPS: dict[str, tuple[str, Callable[[], AbstractAsyncContextManager[str]]]] = {
    "sse-starlette": ("sse_starlette", apps.sse_starlette_app),
    "aiohttp-sse": ("aiohttp_sse", apps.aiohttp_sse_app),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(APPS))
def test_third_party_server_verdicts(name: str) -> None:
    module, app = APPS[name]
    pytest.importorskip(module)

    async def main() -> dict[str, Outcome]:
        async with app() as url:
            cases = load().select(["sse"], strict=True)
            endpoint = parse_url(url, ALL_SCHEMES).with_options(profile=PROFILE)
            results, _ = await run_cases(cases, endpoint, RunSettings(jobs=16, timeout=8.0))
        return {r.id: r.outcome for r in results}

    outcomes = asyncio.run(main())
    red = {i for i, o in outcomes.items() if o not in (Outcome.PASSED, Outcome.INFORMATIONAL)}
    assert red == EXPECTED_RED[name], {i: outcomes[i].value for i in red ^ EXPECTED_RED[name]}
    assert all(outcomes[i] is Outcome.FAILED for i in red)
