"""The case model and the registry: validation and the selection grammar."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.model import MUST, SHOULD, Case, CaseFailed, Level, Outcome, Verdict, combine, group
from conformance.registry import Registry, catalog_hash, load, matches, select


async def _body(ctx: object) -> None:
    return None


def make(slug: str = "x", *, section: str = "5.2", level: Level = MUST, autobahn: str | None = None,
         quote: str = "a quote") -> Case:
    return Case(id=f"ws/{section}/{slug}", spec="ws", section=section, slug=slug, level=level, desc="d",
                requirement="r", quote=quote, run=_body, autobahn=autobahn)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"slug": "Bad_Slug"}, "slug must be kebab-case"),
    ({"slug": "a" * 41}, "at most 40"),
    ({"quote": "  "}, "quote must not be empty"),
    ({"autobahn": "6.x"}, "autobahn id must be dotted numbers"),
    ({"section": "5.2."}, "section must be like"),
])
def test_case_rejects_malformed_fields(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(**kwargs)  # type: ignore[arg-type]


def test_case_rejects_id_not_matching_parts() -> None:
    with pytest.raises(ValueError, match="does not match"):
        Case(id="ws/5.2/y", spec="ws", section="5.2", slug="x", level=MUST, desc="d", requirement="r",
             quote="q", run=_body)


def test_group_case_decorator_registers_with_subsection() -> None:
    g = group("ws", "5.5", "Control Frames")

    @g.case("ping-x", level=SHOULD, desc="d", requirement="r", quote="q", section="5.5.2", autobahn="2.1")
    async def ping_x(ctx: object) -> None:
        return None

    (case,) = g.cases
    assert (case.id, case.level, case.autobahn, case.group_title) == ("ws/5.5.2/ping-x", SHOULD, "2.1",
                                                                      "Control Frames")


def test_group_rejects_bad_spec() -> None:
    with pytest.raises(ValueError, match="spec must be"):
        group("WS", "5.5", "t")


def test_combine_takes_the_worst_outcome() -> None:
    assert combine() is Outcome.PASSED
    assert combine(Outcome.PASSED, Outcome.NON_STRICT) is Outcome.NON_STRICT
    assert combine(Outcome.INFORMATIONAL, Outcome.FAILED, Outcome.NON_STRICT) is Outcome.FAILED
    assert Verdict(Outcome.PASSED, Outcome.NON_STRICT).outcome is Outcome.NON_STRICT


def test_case_failed_maps_to_its_axis() -> None:
    v = CaseFailed(["close 1002"], "tcp open", axis="close").verdict()
    assert (v.behavior, v.close, v.close_detail, v.expected) == (Outcome.PASSED, Outcome.FAILED, "FAILED",
                                                                 ("close 1002",))
    with pytest.raises(ValueError, match="axis"):
        CaseFailed([], "", axis="sideways")


def test_registry_rejects_duplicate_ids_and_autobahn_ids() -> None:
    g = group("ws", "5.2", "t")
    g.cases += [make("a", autobahn="1.1"), make("a")]
    with pytest.raises(ValueError, match=r"duplicate case id 'ws/5\.2/a'"):
        Registry([g])
    g.cases[:] = [make("a", autobahn="1.1"), make("b", autobahn="1.1")]
    with pytest.raises(ValueError, match=r"duplicate autobahn id '1\.1'"):
        Registry([g])
    client = group("wsclient", "5.2", "t")
    client.cases += [replace(make("a", autobahn="1.1"), id="wsclient/5.2/a", spec="wsclient")]
    g.cases[:] = [make("a", autobahn="1.1")]
    assert len(Registry([g, client]).cases) == 2  # the same Autobahn id in a server and a client suite


CASES = [make("a", section="5.5", autobahn="2.1"), make("b", section="5.5.2", autobahn="2.10"),
         make("c", section="5.50", autobahn="20.1"), make("ping-d", section="7.4", level=SHOULD)]


@pytest.mark.parametrize(("selector", "expected"), [
    ("ws", ["a", "b", "c"]),
    ("ws/5.5", ["a", "b"]),               # prefix at "." and "/" boundaries, not 5.50
    ("ws/5.5/", ["a"]),
    ("ws/5.5/a", ["a"]),
    ("ws/*/[ab]", ["a", "b"]),
    ("2", ["a", "b"]),                    # autobahn prefix: 2.1, 2.10, not 20.1
    ("2.1", ["a"]),
    ("2.*", ["a", "b"]),
    ("20.1", ["c"]),
    ("ws/5", ["a", "b", "c"]),           # section 5 and every sub-section
    ("nothing", []),
])
def test_selection_grammar(selector: str, expected: list[str]) -> None:
    assert [c.slug for c in select(CASES, [selector])] == expected


def test_selection_strict_exclude_and_order() -> None:
    assert [c.slug for c in select(CASES, strict=True)] == ["a", "b", "c", "ping-d"]
    assert [c.slug for c in select(CASES, ["ws/*/ping-*"], strict=True)] == ["ping-d"]
    assert [c.slug for c in select(CASES, ["ws"], ["2.*"])] == ["c"]
    assert not matches(CASES[3], "7")  # no autobahn id: an autobahn selector never matches


def test_catalog_loads_and_hash_changes_with_cases() -> None:
    reg = load()
    assert reg.cases, "the WebSocket catalog is empty"
    assert all(c.quote.strip() for c in reg.cases)
    assert catalog_hash(reg.cases) == catalog_hash(list(reg.cases))
    assert catalog_hash(reg.cases) != catalog_hash(reg.cases[1:])
