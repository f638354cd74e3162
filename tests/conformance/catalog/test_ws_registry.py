"""The WebSocket catalog as data: IDs, quotes, levels, every Autobahn server case of groups 1-7, 9 and 10
once, and the UTF-8 corpus exactly as Autobahn generates it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from conformance.catalog.ws.listing import render
from conformance.catalog.ws.utf8_corpus import SEQUENCES, SUBCATEGORIES
from conformance.model import MUST, Level
from conformance.registry import load

WS = ("conformance.catalog.ws",)  # this catalog only: other catalogs are not ours to break on
CASES = list(load(WS).cases)
#: sections are RFC 6455's numbers, or RFC 7692's prefixed "rfc7692-"
ID_RE = re.compile(r"^ws/(?:rfc7692-)?\d+(?:\.\d+)*/[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Autobahn's UTF-8 sub-categories 6.5-6.23: how many sequences each holds (protocol-test-matrix §1.2).
CORPUS_COUNTS = (5, 11, 4, 2, 4, 3, 5, 8, 5, 10, 1, 3, 5, 5, 5, 7, 8, 34, 7)


def autobahn_ids() -> list[str]:
    """Every Autobahn|Testsuite server case id of groups 1-7, 9 and 10 (case/__init__.py's list)."""
    ids = [f"1.{g}.{i}" for g in (1, 2) for i in range(1, 9)]
    ids += [f"2.{i}" for i in range(1, 12)] + [f"3.{i}" for i in range(1, 8)]
    ids += [f"4.{g}.{i}" for g in (1, 2) for i in range(1, 6)] + [f"5.{i}" for i in range(1, 21)]
    ids += [f"6.1.{i}" for i in range(1, 4)] + [f"6.2.{i}" for i in range(1, 5)]
    ids += [f"6.3.{i}" for i in range(1, 3)] + [f"6.4.{i}" for i in range(1, 5)]
    ids += [f"6.{sub}.{i}" for sub, n in enumerate(CORPUS_COUNTS, start=5) for i in range(1, n + 1)]
    ids += [f"7.1.{i}" for i in range(1, 7)] + [f"7.3.{i}" for i in range(1, 7)] + ["7.5.1"]
    ids += [f"7.7.{i}" for i in range(1, 14)] + [f"7.9.{i}" for i in range(1, 10)] + ["7.13.1", "7.13.2"]
    ids += [f"9.{g}.{i}" for g, n in ((1, 6), (2, 6), (3, 9), (4, 9), (5, 6), (6, 6), (7, 6), (8, 6))
            for i in range(1, n + 1)]
    return [*ids, "10.1.1"]


def autobahn_compression_ids() -> list[str]:
    """Autobahn's 12.x (5 corpora) and 13.x (7 offers), 18 (size, fragment) pairs each (case12_x_x.py)."""
    return [f"{g}.{j}.{i}" for g, n in ((12, 5), (13, 7)) for j in range(1, n + 1) for i in range(1, 19)]


def test_every_autobahn_server_case_is_present_exactly_once() -> None:
    expected = autobahn_ids() + autobahn_compression_ids()
    assert len(expected) == 247 + 54 + 216 == 517
    ours = Counter(c.autobahn for c in CASES if c.autobahn)
    assert sorted(ours, key=lambda a: [int(x) for x in a.split(".")]) == expected
    assert set(ours.values()) == {1}
    groups = Counter(a.split(".")[0] for a in ours)
    assert groups == {"1": 16, "2": 11, "3": 7, "4": 10, "5": 20, "6": 145, "7": 37, "9": 54, "10": 1,
                      "12": 90, "13": 126}


def test_ids_are_unique_well_formed_and_every_case_is_documented() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    for case in CASES:
        assert ID_RE.match(case.id), case.id
        assert case.id.split("/")[1] == case.section
        assert len(case.quote) > 20, case.id
        assert len(case.requirement) > 20, case.id
        assert case.desc.startswith(("Sends", "Offers", "Closes")), case.id
        assert isinstance(case.level, Level)


def test_extra_cases_fill_the_gaps_autobahn_leaves() -> None:
    ids = {c.id for c in CASES}
    for extra in ("ws/4.2.2/valid-upgrade", "ws/4.2.1/missing-host", "ws/4.2.1/key-15-bytes",
                  "ws/4.2.1/method-post", "ws/4.2.1/http-1-0", "ws/4.4/unsupported-version-9",
                  "ws/4.4/unsupported-version-426", "ws/4.2.2/subprotocol-from-offered",
                  "ws/5.1/unmasked-text", "ws/5.1/server-frames-unmasked", "ws/5.2/length-64-bit-msb-set",
                  "ws/5.2/minimal-length-in-echoes", "ws/7.4.1/close-code-1012", "ws/7.4.1/close-code-1014",
                  "ws/7.4.1/invalid-close-code-1015", "ws/7.1.1/server-closes-tcp-first",
                  "ws/8.1/close-reason-fail-fast", "ws/8.1/utf8-fail-fast-frames"):
        assert extra in ids, extra


def test_fail_fast_is_its_own_strict_level() -> None:
    """RFC 6455 has no fail-fast sentence: it is Autobahn's preference, STRICT (not SHOULD)."""
    by_id = {c.id: c for c in CASES}
    for kind in ("frames", "cut-frame", "chops", "cut-chops"):
        assert by_id[f"ws/8.1/utf8-out-of-range-{kind}"].level is MUST
        assert by_id[f"ws/8.1/utf8-fail-fast-{kind}"].level is Level.STRICT
    assert by_id["ws/8.1/close-reason-fail-fast"].level is Level.STRICT


def test_utf8_corpus_is_autobahns_132_sequences_with_their_validity() -> None:
    assert len(SEQUENCES) == 132
    assert sum(valid for _, valid, _ in SEQUENCES) == 63
    counts = Counter(a.rsplit(".", 1)[0] for a, _, _ in SEQUENCES)
    assert [counts[f"6.{sub}"] for sub in range(5, 24)] == list(CORPUS_COUNTS)
    assert set(SUBCATEGORIES) == {f"6.{sub}" for sub in range(5, 24)}
    for autobahn, valid, payload in SEQUENCES:
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            assert not valid, autobahn
        else:
            assert valid, autobahn


@pytest.mark.parametrize(("autobahn", "payload"), [
    ("6.5.4", b"hello\xf0\xa4\xad\xa2world"),
    ("6.6.3", b"\xce\xba\xe1"),
    ("6.11.5", b"\xf4\x90\x80\x80"),
    ("6.12.8", bytes(range(0x80, 0xBF))),
    ("6.13.1", b"".join(bytes((b, 0x20)) for b in range(0xC0, 0xDF))),
    ("6.15.1", b"\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf"
               b"\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf"),
    ("6.22.34", b"\xf4\x8f\xbf\xbf"),
    ("6.23.7", b"\xef\xbf\xbf"),
])
def test_utf8_corpus_spot_checks(autobahn: str, payload: bytes) -> None:
    assert {a: p for a, _, p in SEQUENCES}[autobahn] == payload


def test_docs_case_list_is_current() -> None:
    doc = Path(__file__).parents[3] / "docs" / "catalog-ws.md"
    regenerate = "python -m conformance.catalog.ws.listing > docs/catalog-ws.md"
    assert doc.read_text(encoding="utf-8") == render(), f"stale case list; regenerate: {regenerate}"
