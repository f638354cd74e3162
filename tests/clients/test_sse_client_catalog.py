"""The sseclient catalog can fail: every MUST case goes red on a client broken in its family
(tests/fixtures/broken_sse_clients.py) and green on the same client unbroken."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from conformance.clients.process import command_launcher
from conformance.clients.run import run_client_cases
from conformance.model import Level, Outcome
from conformance.registry import CLIENT_CATALOGS, load, suite
from conformance.results import CaseResult
from conformance.runner import RunSettings, run_cases
from conformance.wire.endpoint import parse_url

CLIENT = str(Path(__file__).resolve().parents[1] / "fixtures" / "broken_sse_clients.py")
ORIGIN = "http://page.example"
P, N = "sseclient/9.2.3/", "sseclient/9.2.6/"
F = "sseclient/9.2.2/"
L = "sseclient/9.2.4/"

#: defect flag -> the cases it must turn red
MUTATIONS: dict[str, tuple[str, ...]] = {
    "lf-only": (N + "line-end-cr", N + "line-end-crlf", N + "line-end-mixed"),
    "crlf-only": (N + "line-end-lf", N + "line-end-cr"),
    "crlf-split": (N + "line-end-crlf-split",),
    "line-per-read": (N + "line-split-across-reads",),
    "utf8-per-read": (N + "utf8-split-across-reads",),
    "utf8-errors-dropped": (N + "invalid-utf8-replaced",),
    "event-type-first-wins": (N + "event-type-last-wins",),
    "bom-kept": (N + "bom-leading-stripped",),
    "bom-every-line": (N + "bom-stripped-once",),
    "colonless-ignored": (N + "field-without-colon", N + "event-without-colon"),
    "space-all-stripped": (N + "space-after-colon-once",),
    "split-last-colon": (N + "value-after-first-colon",),
    "unknown-as-data": (N + "unknown-field-ignored",),
    "fields-case-folded": (N + "field-names-case-sensitive",),
    "comment-as-data": (N + "comment-ignored",),
    "data-joined-without-lf": (N + "data-lines-joined-lf",),
    "trailing-lf-strip-all": (N + "trailing-lf-removed-once",),
    "empty-data-dispatched": (N + "empty-data-not-dispatched",),
    "event-type-sticky": (N + "event-type-reset-after-dispatch", N + "event-type-reset-without-data"),
    "event-type-empty-kept": (N + "event-type-empty-is-message",),
    "event-type-ignored": (N + "event-type-named",),
    "id-reset-per-event": (N + "id-persists",),
    "id-dropped-without-data": (N + "id-without-data",),
    "id-empty-ignored": (N + "id-empty-resets", L + "last-event-id-absent-when-empty"),
    "id-nul-accepted": (N + "id-with-nul-ignored",),
    "pending-dispatched-at-end": (N + "pending-data-discarded",),
    "retry-ignored": (N + "retry-sets-reconnection-time",),
    "retry-lenient": (N + "retry-only-digits",),
    "no-reconnect": (P + "reconnect-after-end",),
    "no-last-event-id": (L + "last-event-id-sent",),
    "last-event-id-latin1": (L + "last-event-id-utf8",),
    "reconnect-on-failure": (F + "no-reconnect-after-204", F + "no-reconnect-after-500",
                             F + "no-reconnect-after-wrong-type"),
    "status-ignored": (F + "non-200-not-dispatched",),
    "type-ignored": (F + "wrong-type-not-dispatched",),
    "no-redirect": (F + "redirect-307-followed", F + "redirect-301-followed"),
    "cors-ignored": (F + "cors-without-allow-origin",),
}


def client(*defects: str) -> list[str]:
    argv = [sys.executable, CLIENT, "--origin", ORIGIN]
    for defect in defects:
        argv += ["--break", defect]
    return argv


async def _run(ids: Sequence[str], argv: list[str], name: str) -> dict[str, CaseResult]:
    registry = load(CLIENT_CATALOGS)
    cases = [registry.by_id[i] for i in ids]
    results, _ = await run_client_cases(cases, command_launcher(argv), name, RunSettings(jobs=8, timeout=5.0))
    return {r.id: r for r in results}


def _show(results: dict[str, CaseResult]) -> dict[str, tuple[str, str]]:
    return {i: (r.outcome.value, r.actual or r.error) for i, r in results.items()}


async def _all(runs: Sequence[tuple[str, Sequence[str], list[str]]],
               at_once: int) -> dict[str, dict[str, CaseResult]]:
    gate = asyncio.Semaphore(at_once)

    async def one(name: str, ids: Sequence[str], argv: list[str]) -> tuple[str, dict[str, CaseResult]]:
        async with gate:
            return name, await _run(ids, argv, name)

    return dict(await asyncio.gather(*(one(*run) for run in runs)))


def test_every_must_case_has_a_defect_that_turns_it_red() -> None:
    musts = {c.id for c in load(CLIENT_CATALOGS).select(["sseclient"], strict=True)
             if c.level is Level.MUST}
    covered = {i for ids in MUTATIONS.values() for i in ids}
    assert musts - covered == set()
    assert covered - musts == set()


@pytest.mark.slow
def test_correct_client_passes_and_each_broken_one_fails_its_cases() -> None:
    every = [c.id for c in load(CLIENT_CATALOGS).select(["sseclient"], strict=True)]
    runs = [("correct", every, client())] + [(flag, ids, client(flag)) for flag, ids in MUTATIONS.items()]
    outcomes = asyncio.run(_all(runs, at_once=2))
    assert {i: v for i, v in _show(outcomes["correct"]).items() if v[0] != "passed"} == {}
    red = {flag: {i: v for i, v in _show(outcomes[flag]).items() if v[0] != Outcome.FAILED.value}
           for flag in MUTATIONS}
    assert {flag: bad for flag, bad in red.items() if bad} == {}


def test_a_client_case_outside_client_mode_is_skipped() -> None:
    """``rtconform run`` never picks the suite; a case run without a client under test says why."""
    case = load(CLIENT_CATALOGS).by_id[N + "line-end-lf"]
    endpoint = parse_url("http://127.0.0.1:1/", frozenset({"http"}))
    results, _ = asyncio.run(run_cases([case], endpoint, RunSettings()))
    assert results[0].outcome is Outcome.SKIPPED
    assert "client under test" in results[0].error


def test_every_case_is_must_and_quotes_a_must() -> None:
    """HTML writes requirements in lower case: a MUST case's quote carries the "must" that introduces the
    step it quotes (tests/conformance/catalog/test_levels.py checks the server catalogs the same way)."""
    cases = load(CLIENT_CATALOGS).select(["sseclient"], strict=True)
    assert [c.id for c in cases if c.level is not Level.MUST or not re.search(r"\bmust\b", c.quote)] == []


def test_the_suite_is_never_part_of_a_server_run() -> None:
    assert "sseclient" not in {c.spec for c in load().cases}
    assert suite("sseclient") is not None  # the runner finds its context
