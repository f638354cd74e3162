"""The target's address and the user's connection options reach every case side by side: headers and
``--profile`` together, the target's promised profile first and the user's after it (the user wins)."""

from __future__ import annotations

import io

import pytest

from conformance.app import RunOptions, run
from conformance.catalog.sse.context import SseContext
from conformance.model import Level, group
from conformance.registry import Registry
from conformance.runner import RunSettings
from conformance.targets import TargetSpec
from conformance.wire.endpoint import ALL_SCHEMES, Address, ConnectOptions, Endpoint, join, parse_address

USER = ConnectOptions(headers=(("X-A", "1"),), subprotocols=("chat",), origin="http://o", insecure=True,
                      profile=(("history-size", "7"),))


def test_join_reads_the_suites_own_address_and_the_users_options() -> None:
    ws = parse_address("ws://127.0.0.1:1/")
    sse = Address("http://127.0.0.1:2/events", "http", "127.0.0.1", 2, "/events",
                  profile=(("history-size", "1024"), ("heartbeat-interval", "1")))
    both = Address(ws.url, ws.scheme, ws.host, ws.port, suites=(("ws", ws), ("sse", sse)))
    endpoint = join(both, USER, "sse")
    assert (endpoint.url, endpoint.port, endpoint.resource) == ("http://127.0.0.1:2/events", 2, "/events")
    assert (endpoint.headers, endpoint.subprotocols, endpoint.origin, endpoint.insecure) == (
        (("X-A", "1"),), ("chat",), "http://o", True)
    assert endpoint.option("history-size") == "7"  # the user's value over the target's promise
    assert endpoint.option("heartbeat-interval") == "1"  # the target's promise stays where the user is silent
    assert join(both, USER, "ws").url == ws.url
    assert join(both, USER, "poll").address is both  # no address of its own: the target's


def test_with_options_changes_the_address_or_the_options() -> None:
    endpoint = Endpoint(parse_address("http://h:8/a?b", ALL_SCHEMES), USER)
    moved = endpoint.with_options(resource="/publish", headers=())
    assert (moved.resource, moved.url, moved.headers, moved.origin) == ("/publish", "http://h:8/a?b", (), "http://o")
    with pytest.raises(TypeError, match="nonsense"):
        endpoint.with_options(nonsense=1)


def test_header_and_profile_reach_an_sse_case_of_the_embedded_reference() -> None:
    """``--profile history-size=7 -H 'X-A: 1'`` without ``--target``: the case sees both (the profile was
    dropped once, when the options were copied onto the reference server's endpoint)."""
    seen: dict[str, object] = {}
    cases = group("sse", "9.2.3", "Options")

    @cases.case("sees-options", level=Level.MUST, desc="records its endpoint", requirement="none",
                quote="none")
    async def sees_options(ctx: SseContext) -> None:
        seen.update(headers=ctx.endpoint.headers, history=ctx.endpoint.option("history-size"),
                    heartbeat=ctx.endpoint.option("heartbeat-interval"), scheme=ctx.endpoint.scheme)
        await ctx.subscribe()  # the endpoint is the embedded sse server's

    opts = RunOptions(target=TargetSpec(), connect=ConnectOptions(headers=(("X-A", "1"),),
                                                                 profile=(("history-size", "7"),)),
                      report_dir=None, quiet=True, settings=RunSettings(jobs=1, timeout=5.0))
    out, err = io.StringIO(), io.StringIO()
    assert run(opts, out=out, err=err, registry=Registry([cases])) == 0, (out.getvalue(), err.getvalue())
    assert seen == {"headers": (("X-A", "1"),), "history": "7", "heartbeat": "1", "scheme": "http"}
