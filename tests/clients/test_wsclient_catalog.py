"""The wsclient catalog: its quotes are RFC 6455's words (RFC 7692's for the rfc7692 sections, not stored:
see tests/conformance/test_spec_quotes.py), its levels follow them, and it never runs in a
server run (``rtconform run``, ``rtconform list``), only in ``rtconform clients``."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from conformance.app import RunOptions, plan
from conformance.catalog.wsclient import SUITE
from conformance.cli import main
from conformance.model import MUST, SHOULD, STRICT, Skip
from conformance.registry import CATALOGS, load, suite, suites
from conformance.suites import CaseEnv
from conformance.targets import TargetSpec
from conformance.wire.endpoint import ConnectOptions, parse_url
from conformance.wire.transcript import Transcript

WSCLIENT = ("conformance.catalog.wsclient",)
QUOTES = Path(__file__).resolve().parents[1] / "conformance" / "test_spec_quotes.py"


def _quote_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spec_quotes_for_clients", QUOTES)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_quote_is_rfc_6455_verbatim() -> None:
    checker = _quote_checker()
    text = checker.document("rfc6455")
    problems = [f"{c.id}: {piece!r}" for c in load(WSCLIENT).cases if checker.source_of(c)[0] == "rfc6455"
                and (piece := checker.missing_piece(text, c.quote)) is not None]
    assert problems == []


def test_levels_follow_the_quoted_keyword() -> None:
    for case in load(WSCLIENT).cases:
        assert case.level in (MUST, SHOULD, STRICT), case.id
        if case.level is STRICT:  # a preference beyond the quoted sentence: the requirement says so
            assert case.requirement.startswith("Stricter than RFC 6455"), case.id
        else:
            assert case.level.value in case.quote, (case.id, case.level)


def test_client_suites_are_not_server_suites() -> None:
    assert "conformance.catalog.wsclient" not in CATALOGS
    assert "wsclient" not in {s.spec for s in suites()}
    assert suite("wsclient") is SUITE  # the runner finds its context
    assert SUITE.schemes == frozenset()
    assert SUITE.reference == ()
    _, cases = plan(RunOptions(target=TargetSpec()), load(), listing=True)
    assert not any(c.spec == "wsclient" for c in cases)


def test_run_refuses_a_client_suite(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--suite", "wsclient", "--no-reports"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown --suite 'wsclient'" in err


def test_a_case_outside_client_mode_is_skipped() -> None:
    case = load(WSCLIENT).cases[0]

    async def enter() -> None:
        loop = asyncio.get_running_loop()
        env = CaseEnv(parse_url("ws://127.0.0.1:1/"), ConnectOptions(), "wsclient", loop.time() + 5,
                      Transcript())
        async with SUITE.context(case, env):
            pass

    with pytest.raises(Skip):
        asyncio.run(enter())
