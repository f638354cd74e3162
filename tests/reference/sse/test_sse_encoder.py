"""reference.core.sse: the encoder round-trips through the independent strict parser, whatever the payload
and the chunking; values it cannot write are refused; the history is a bounded ring."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.wire.sse import parse_stream
from reference.core.errors import LocalProtocolError
from reference.core.poll import encode_answer
from reference.core.sse import History, encode_comment, encode_event, encode_retry
from reference.core.sse.encoder import split_lines


def expected_data(payload: str) -> str:
    return re.sub(r"\r\n|\r", "\n", payload)


single_line = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=20)


@given(payload=st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
       event=single_line, id_=single_line.filter(lambda s: "\0" not in s),
       eol=st.sampled_from(["\n", "\r\n", "\r"]), cuts=st.lists(st.integers(1, 1000), max_size=8))
def test_any_payload_round_trips_in_any_chunking(payload: str, event: str, id_: str, eol: str,
                                                 cuts: list[int]) -> None:
    body = encode_comment("hb", eol=eol) + encode_event(payload, event=event, id=id_, retry=5, eol=eol)
    parser = parse_stream(body, sorted(c for c in set(cuts) if c < len(body)))
    assert parser.deviations == []
    (got,) = parser.events
    assert (got.type, got.data, got.id, got.last_event_id) == (event or "message", expected_data(payload),
                                                                 id_, id_)
    assert parser.retries == [5]


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"event": "a\nb"}, "event must not contain CR or LF: 'a\\nb'"),
    ({"id": "1\r"}, "id must not contain CR or LF: '1\\r'"),
    ({"id": "a\0"}, "id must not contain NUL: 'a\\x00'"),
    ({"retry": -1}, "retry must be a non-negative integer, not -1"),
    ({"eol": "\n\r"}, "end of line must be LF, CRLF or CR, not '\\n\\r'"),
])
def test_unwritable_values_are_refused(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(LocalProtocolError, match=re.escape(fragment)):
        encode_event("x", **kwargs)  # type: ignore[arg-type]


def test_wire_format() -> None:
    assert encode_event(" lead\r\nx", event="t", id="7") == b"event: t\nid: 7\ndata:  lead\ndata: x\n\n"
    assert encode_event("") == b"data: \n\n"
    assert encode_retry(1500, eol="\r\n") == b"retry: 1500\r\n"
    assert encode_comment() == b":\n\n"
    assert split_lines("a\r\rb\n") == ["a", "", "b", ""]
    with pytest.raises(LocalProtocolError):
        encode_comment("a\nb")
    with pytest.raises(LocalProtocolError):
        encode_retry(True)


def test_history_is_a_bounded_ring_with_increasing_ids() -> None:
    history = History(3)
    stored = [history.append(str(i), "t" if i else None) for i in range(5)]
    assert [s.id for s in stored] == ["1", "2", "3", "4", "5"]
    assert stored[0].event is None
    assert [e.data for e in history.after(0)] == ["2", "3", "4"]
    assert [e.data for e in history.after(3)] == ["3", "4"]
    assert history.after(5) == []
    assert [e.seq for e in history.after(0, limit=1)] == [3]
    assert len(history) == 3
    assert history.last_seq == 5
    with pytest.raises(ValueError, match="history size must be at least 1, not 0"):
        History(0)


def test_poll_answer_body() -> None:
    history = History(4)
    a = history.append("h\u00e9", None)
    b = history.append("x", "t")
    assert encode_answer(0, [a, b]) == \
        '{"cursor":2,"messages":[{"id":"1","data":"hé","event":null},{"id":"2","data":"x","event":"t"}]}'.encode()
    assert encode_answer(7, []) == b'{"cursor":7,"messages":[]}'
