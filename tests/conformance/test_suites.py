"""Suites are declared by the catalog packages and listed by the registry; inference picks them by URL
scheme, then by probe; reports link only to the documents of suites that exist."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from conformance import app
from conformance.app import RunOptions, plan
from conformance.model import Case
from conformance.registry import CATALOGS, load, suite, suites
from conformance.reporting.htmlmodel import spec_link
from conformance.suites import CaseEnv, Suite, find, for_scheme, infer_suites
from conformance.targets.base import TargetSpec
from conformance.wire.endpoint import ALL_SCHEMES, Endpoint, parse_url


def test_every_catalog_package_declares_the_suite_of_its_cases() -> None:
    assert [s.spec for s in suites()] == ["ws", "sse", "poll", "sio", "eio"]
    for package, declared in zip(CATALOGS, suites(), strict=True):
        assert {c.spec for c in load((package,)).cases} == {declared.spec}, package
        assert declared.reference or declared.spec in WITHOUT_REFERENCE, f"{package}: no reference server"
    assert suite("nope") is None


#: suites that have no embedded reference server yet (run with --target only)
WITHOUT_REFERENCE: set[str] = set()


def test_a_run_without_target_covers_only_the_suites_with_a_reference_server(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No --target, no --suite, no --case: the embedded servers are started, so a suite without one is left
    out of the run (it is still listed, and runs when named with a --target)."""
    bare = Suite(spec="bare", context=_nothing, title="t", spec_link="https://example.org/",
                 schemes=frozenset({"http"}))
    monkeypatch.setattr(app, "suites", lambda: (*suites(), bare))
    opts, cases = plan(RunOptions(target=TargetSpec(), strict=True), load())
    assert opts.include == tuple(s.spec for s in suites())
    assert {c.spec for c in cases} == {s.spec for s in suites()}
    monkeypatch.undo()
    opts, _ = plan(RunOptions(target=TargetSpec(), strict=True), load())
    assert opts.include == ()  # every suite has a reference server: nothing to leave out


def test_two_packages_cannot_declare_one_spec() -> None:
    with pytest.raises(ValueError, match="duplicate suite spec 'ws'"):
        suites(("conformance.catalog.ws", "conformance.catalog.ws"))


@contextlib.asynccontextmanager
async def _nothing(case: Case, env: CaseEnv) -> AsyncIterator[None]:
    yield None


def _suite(spec: str, schemes: set[str], answer: bool | None) -> Suite:
    async def probe(endpoint: Endpoint) -> bool:
        if answer is None:
            raise ConnectionRefusedError("unreachable")
        return answer

    return Suite(spec=spec, context=_nothing, title=spec.upper(), spec_link=f"https://example.org/{spec}",
                 schemes=frozenset(schemes), probe=probe)


def test_inference_by_scheme_then_probe() -> None:
    http = parse_url("http://127.0.0.1:1/", ALL_SCHEMES)
    only_ws = [_suite("a", {"ws"}, None), _suite("b", {"http"}, False), _suite("c", {"http"}, True)]
    assert [s.spec for s in asyncio.run(infer_suites(parse_url("ws://h/"), only_ws))] == ["a"]  # no probe
    assert [s.spec for s in asyncio.run(infer_suites(http, only_ws))] == ["c"]
    assert asyncio.run(infer_suites(http, [_suite("b", {"http"}, False), _suite("d", {"http"}, False)])) == ()
    unreachable = [_suite("b", {"http"}, None), _suite("c", {"http"}, True)]
    assert [s.spec for s in asyncio.run(infer_suites(http, unreachable))] == ["b", "c"]
    assert [s.spec for s in for_scheme(only_ws, "http")] == ["b", "c"]
    assert find(only_ws, "c") is only_ws[2]


def test_spec_links_come_from_the_suites() -> None:
    assert spec_link("ws", "5.5.2") == ("RFC 6455", "https://www.rfc-editor.org/rfc/rfc6455#section-5.5.2")
    assert spec_link("eio", "1") == ("", "")  # no catalog package declares it: no link
    assert spec_link("ws", "") == ("", "")
    assert _suite("x", {"ws"}, True).section_link("1 2") == "https://example.org/x#section-1%202"
