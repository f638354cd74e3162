"""``rtconform run --list`` lists what the run would run (the same selection, ``--suite`` included), and
``rtconform list`` takes ``--suite`` too, a client suite's as well (as ``rtconform clients --list`` lists
it); a plain ``rtconform list`` names the client suites in its last line. Both list the embedded run's: MUST
cases plus the suites' ``profile_cases`` without ``--strict``."""

from __future__ import annotations

import pytest

from conformance.cli import main
from conformance.registry import CLIENT_CATALOGS, load, suites


def _embedded(include: list[str]) -> list[str]:
    """The ids an embedded run without --strict selects: MUST cases plus the declared profile cases."""
    registry = load()
    declared = {c.id for c in registry.select([s for suite in suites() for s in suite.profile_cases],
                                              strict=True)}
    chosen = {c.id for c in registry.select(include)} | {i for i in declared if not include
                                                        or any(i.startswith(p + "/") for p in include)}
    return [c.id for c in registry.cases if c.id in chosen]

HINT = ("client suites (run by 'rtconform clients', never by 'rtconform run'): wsclient, sseclient; "
        "list one with 'rtconform list --suite SUITE'")


def _listed(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"{len(lines) - 1} cases"
    return [line.split()[0] for line in lines[:-1]]


@pytest.mark.parametrize("suite", ["ws", "sse", "poll"])
def test_run_suite_list_lists_that_suite_only(suite: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = _embedded([suite])
    assert _listed(["run", "--suite", suite, "--list"], capsys) == expected
    assert len(expected) > len(load().select([suite]))  # the lifecycle cases too


def test_run_list_with_strict_and_exclude_is_the_runs_selection(capsys: pytest.CaptureFixture[str]) -> None:
    expected = [c.id for c in load().select(["sse"], ["sse/9.2.7"], strict=True)]
    argv = ["run", "--suite", "sse", "--strict", "--exclude", "sse/9.2.7", "--list"]
    assert _listed(argv, capsys) == expected
    assert any(cid.startswith("sse/") for cid in expected)
    assert not any("9.2.7" in c for c in expected)


def test_list_takes_suite_and_lists_every_suite_without_it(capsys: pytest.CaptureFixture[str]) -> None:
    poll = [c.id for c in load().select(["poll"], strict=True)]
    assert _listed(["list", "--suite", "poll", "--strict"], capsys) == poll
    assert main(["list"]) == 0
    *cases, count, hint = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in cases] == _embedded([])
    assert (count, hint) == (f"{len(cases)} cases", HINT)


@pytest.mark.parametrize("suite", ["wsclient", "sseclient"])
@pytest.mark.parametrize("strict", [[], ["--strict"]])
def test_list_takes_a_client_suite_as_clients_list_does(suite: str, strict: list[str],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    expected = [c.id for c in load(CLIENT_CATALOGS).select([suite], strict=bool(strict))]
    assert expected
    assert all(c.startswith(f"{suite}/") for c in expected)
    assert main(["list", "--suite", suite, *strict]) == 0
    listed = capsys.readouterr().out
    assert main(["clients", "--suite", suite, "--list", *strict]) == 0
    assert listed == capsys.readouterr().out
    assert [line.split()[0] for line in listed.splitlines()[:-1]] == expected


def test_list_selects_within_a_client_suite_and_beside_a_server_suite(
        capsys: pytest.CaptureFixture[str]) -> None:
    clients = load(CLIENT_CATALOGS)
    assert _listed(["list", "--suite", "wsclient", "--case", "wsclient/5.5", "--exclude", "7.1.*"],
                   capsys) == [c.id for c in clients.select(["wsclient/5.5"], ["7.1.*"])]
    both = _listed(["list", "--suite", "poll", "--suite", "sseclient"], capsys)
    assert both == _embedded(["poll"]) + [c.id for c in clients.select(["sseclient"])]
    assert main(["list", "--suite", "wsclient", "--case", "ws/5"]) == 2
    assert capsys.readouterr().err == ("rtconform: error: no case of the wsclient suite matches the "
                                       "selection (MUST cases only; add --strict for every level)\n")


def test_a_client_suite_is_listed_but_never_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--suite", "wsclient", "--list"]) == 2
    assert main(["run", "--suite", "sseclient", "--no-reports"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"rtconform: error: unknown --suite '{s}'; known: eio, poll, sio, sse, ws"
        for s in ("wsclient", "sseclient")]


def test_list_unknown_suite_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--suite", "nope"]) == 2
    assert main(["run", "--suite", "nope", "--list"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["rtconform: error: unknown --suite 'nope'; known: eio, poll, sio, sse, ws; client suites: "
                   "sseclient, wsclient",
                   "rtconform: error: unknown --suite 'nope'; known: eio, poll, sio, sse, ws"]
