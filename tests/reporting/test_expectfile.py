"""The expectations file: the format of conformance/expectations/*.toml, strictness, error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.expectfile import Expectation, ExpectationsError, load, parse, unknown_ids
from conformance.model import Outcome

REPO = Path(__file__).resolve().parents[2]


def test_loader_reads_the_shipped_expectation_files() -> None:
    files = sorted((REPO / "conformance" / "expectations").glob("*.toml"))
    assert files, "conformance/expectations/ has no expectation file"
    for path in files:
        exp = load(path)
        assert exp.meta.get("target"), f"{path.name} names no target"
        assert all(e.reason for e in exp.cases.values())


def test_reason_strings_and_pinned_outcomes() -> None:
    exp = parse('''
target = "demo"
version = "1"
[cases]
"ws/5.2/a" = "  ignores rsv1  "
"ws/7.1/b" = { reason = "times out", outcome = "errored" }
''', "demo.toml")
    assert dict(exp.meta) == {"target": "demo", "version": "1"}
    assert list(exp.cases) == ["ws/5.2/a", "ws/7.1/b"]
    assert exp.get("ws/5.2/a") == Expectation("ws/5.2/a", "ignores rsv1")
    assert exp.get("ws/9/none") is None
    pinned = exp.cases["ws/7.1/b"]
    assert pinned.matches(Outcome.ERRORED)
    assert not pinned.matches(Outcome.FAILED)
    assert exp.cases["ws/5.2/a"].matches(Outcome.FAILED)
    assert exp.cases["ws/5.2/a"].matches(Outcome.ERRORED)
    assert not exp.cases["ws/5.2/a"].matches(Outcome.NON_STRICT)


def test_empty_file_and_empty_cases_table_are_valid() -> None:
    assert dict(parse("").cases) == {}
    assert dict(parse("[cases]\n").cases) == {}


@pytest.mark.parametrize(("text", "message"), [
    ('[cases]\n"ws/5.2/a" = ""', "needs a non-empty reason, not ''"),
    ('[cases]\n"ws/5.2/a" = 3', "expected a reason string or a table, not 3"),
    ('[cases]\n"ws/5.2/a" = { outcome = "failed" }', "needs a non-empty reason, not None"),
    ('[cases]\n"ws/5.2/a" = { reason = "r", outcome = "passed" }', "outcome must be one of"),
    ('[cases]\n"ws/5.2/a" = { reason = "r", why = "x" }', "unknown keys ['why']"),
    ('[case]\n"ws/5.2/a" = "r"', "unknown table or non-string key 'case'"),
    ("cases = 3", "'cases' must be a table, not 3"),
    ("[cases\n", "invalid toml"),
])
def test_malformed_files_are_refused_with_the_offending_value(text: str, message: str) -> None:
    with pytest.raises(ExpectationsError, match=r"^bad\.toml: ") as info:
        parse(text, "bad.toml")
    assert message in str(info.value)


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ExpectationsError, match=r"cannot read expectations file .*missing\.toml"):
        load(tmp_path / "missing.toml")
    (tmp_path / "latin1.toml").write_bytes(b'target = "\xe9"')
    with pytest.raises(ExpectationsError, match="cannot read"):
        load(tmp_path / "latin1.toml")


def test_unknown_ids_are_listed_sorted() -> None:
    exp = parse('[cases]\n"ws/x/b" = "r"\n"ws/x/a" = "r"\n"ws/5.2/ok" = "r"')
    assert unknown_ids(exp, {"ws/5.2/ok"}) == ["ws/x/a", "ws/x/b"]
