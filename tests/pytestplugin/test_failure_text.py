"""The failure text of a case item: every part a reader needs, nothing a target sent acting on the
terminal, and a bounded size whatever the target sent."""

from __future__ import annotations

import dataclasses

from conformance.model import Level, Outcome
from conformance.pytest_plugin.failure import ACTUAL_SHOWN, LINE_SHOWN, TRANSCRIPT_SHOWN, failure_text
from conformance.results import CaseResult
from conformance.wire.transcript import Entry

ESC = "\x1b]0;owned\x07\x1b[2J"


def hostile(**changes: object) -> CaseResult:
    result = CaseResult(
        id="ws/7.4.1/close-reason", level=Level.MUST, outcome=Outcome.FAILED, behavior=Outcome.FAILED,
        close=Outcome.FAILED, close_detail="WRONG CODE", expected=("close 1002",),
        actual=f"close reason {ESC}" + "x" * 100_000, remote_close_code=1000, section="7.4.1",
        desc="Sends a close", requirement="The server MUST echo a valid close.",
        quote="the endpoint MUST send a Close frame", autobahn="7.1.1",
        transcript=tuple(Entry(i / 1000, "rx", "event", f"{ESC} line {i} " + "y" * 1000) for i in range(50)),
        transcript_dropped=7)
    return dataclasses.replace(result, **changes)  # type: ignore[arg-type]


def test_the_text_has_every_part_and_shows_control_characters_as_escapes() -> None:
    text = failure_text(hostile(), "RFC 6455", "https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1")
    lines = text.splitlines()
    assert lines[0].startswith("MUST case failed: close reason \\x1b]0;owned\\x07\\x1b[2J")
    assert "case:        ws/7.4.1/close-reason (Autobahn 7.1.1), level MUST" in lines
    assert "requirement: The server MUST echo a valid close." in lines
    assert ("spec RFC 6455 \u00a77.4.1: \u201cthe endpoint MUST send a Close frame\u201d "
            "<https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1>") in lines
    assert "expected:    close 1002" in lines
    assert "close:       WRONG CODE, close code 1000" in lines
    assert f"transcript (the last {TRANSCRIPT_SHOWN} of 57 entries):" in lines
    assert "\x1b" not in text
    assert "\x07" not in text


def test_the_text_is_bounded_whatever_the_target_sent() -> None:
    text = failure_text(hostile(notes=("z" * 50_000,) * 16))
    width = max(ACTUAL_SHOWN, LINE_SHOWN) + 40  # a label and the escapes of the control characters
    assert all(len(line) <= width for line in text.splitlines())
    assert len(text.splitlines()) <= 8 + 16 + 1 + TRANSCRIPT_SHOWN


def test_an_errored_case_shows_the_first_line_of_its_error() -> None:
    result = hostile(outcome=Outcome.ERRORED, actual="", error="case timed out after 5.0s\ntraceback...",
                     close_detail="FAILED", remote_close_code=None, transcript=(), transcript_dropped=0)
    lines = failure_text(result).splitlines()
    assert lines[0] == "MUST case errored: case timed out after 5.0s"
    assert "error:       case timed out after 5.0s" in lines
    assert not [line for line in lines if line.startswith(("close:", "transcript"))]
