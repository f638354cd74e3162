"""Differential properties: our server core, wsproto and websockets on the same client bytes.

Valid traffic must give identical reactions; any traffic must differ only as a documented rule allows
(``fuzz.differential.RULES``, listed with RFC citations in docs/differential.md). Each rule is shown
to fire on a concrete input, so none is dead text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.wire.wsframes import BINARY, CLOSE, PING, TEXT, frame
from fuzz.differential import RULES, compare, explain, ours, websockets_reaction, wsproto_reaction
from fuzz.strategies import chunkings, invalid_frames, valid_traffic

DOC = Path(__file__).resolve().parents[2] / "docs" / "differential.md"
K = b"\x0f\x1e\x2d\x3c"


@given(valid_traffic())
def test_valid_traffic_gets_the_same_reaction_everywhere(traffic: object) -> None:
    data = traffic.data  # type: ignore[attr-defined]
    our = ours(data)
    assert our == websockets_reaction(data)
    assert explain(data, our, wsproto_reaction(data)) in ("", "close-code-1014")


@given(st.data())
def test_any_difference_is_a_documented_rule(data: st.DataObject) -> None:
    before = data.draw(valid_traffic(close=False, max_messages=3))
    invalid = data.draw(invalid_frames())
    stream = before.data + b"".join(invalid.frames)
    cut = data.draw(st.integers(0, len(stream)))
    assert compare(stream) == []
    assert compare(stream[:cut]) == []
    assert data.draw(chunkings(stream))  # the strategy is shared with the harnesses


EXAMPLES = {
    "fail-fast-utf8": frame(TEXT, b"a\xff", fin=False, mask_key=K),
    "non-minimal-length": frame(BINARY, b"x", length_bytes=2, mask_key=K),
    "length-msb-set": frame(BINARY, b"", length=2**63, mask_key=K),
    "control-frame-extended-length": frame(PING, b"", length_bytes=2, mask_key=K),
    "close-check-order": frame(CLOSE, b"\x03\xe4\xff", mask_key=K),
    "close-inside-fragmented-message": frame(TEXT, b"a", fin=False, mask_key=K)
    + frame(CLOSE, b"\x03\xe8", mask_key=K),
    "close-code-1014": frame(CLOSE, b"\x03\xf6", mask_key=K),
    "truncated-frame-checked-at-header": frame(PING, b"x" * 126, mask_key=K)[:20],
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_rule_fires_on_its_example(name: str) -> None:
    data = EXAMPLES[name]
    our = ours(data)
    fired = {explain(data, our, react(data)) for react in (wsproto_reaction, websockets_reaction)}
    assert name in fired, fired


def test_every_rule_has_an_example_and_a_doc_entry() -> None:
    names = {rule.name for rule in RULES} | {"truncated-frame-checked-at-header"}
    assert names == set(EXAMPLES)
    text = DOC.read_text(encoding="utf-8")
    for name in names:
        assert f"`{name}`" in text, name
