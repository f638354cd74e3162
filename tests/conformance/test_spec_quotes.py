"""Every case's quote is the spec's own words: each quote is found, verbatim, in the stored spec text.

The texts are in ``tests/data/specs/`` (provenance and licences in its README). Both sides are normalised
the same way before matching: page footers/headers and form feeds of the RFC text format removed,
whitespace collapsed (line breaks, indentation, double spaces after a full stop), a line break after a
hyphen joined, typographic quotes made straight. A quote's "..." (or "…") marks an elision: its pieces
must each be found, in order. A trailing citation such as "(RFC 6202 §2.2)" or "(Fetch, CORS check)"
names the document; without one, the document is the suite's own (ws: RFC 6455, sse: the WHATWG HTML
server-sent events section, poll: RFC 6202). A new suite must add its document to ``SUITE_DOCUMENT``:
the test fails for a suite it does not know, so future suites are checked too.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from conformance.model import Case
from conformance.registry import CATALOGS, CLIENT_CATALOGS, load

SPECS = Path(__file__).resolve().parents[1] / "data" / "specs"
#: The document a suite's quotes come from when they cite none.
SUITE_DOCUMENT = {"ws": "rfc6455", "sse": "whatwg-html-sse", "poll": "rfc6202", "eio": "engineio-protocol",
                  "sio": "socketio-protocol", "sseclient": "whatwg-html-sse", "wsclient": "rfc6455"}
#: A suite's cases whose section names another document (``ws/rfc7692-7/...``): (section prefix, document).
SECTION_DOCUMENT = {"ws": ("rfc7692", "rfc7692"), "wsclient": ("rfc7692", "rfc7692")}
#: Documents a quote may cite, by the words of its trailing citation.
CITED = (("RFC 6455", "rfc6455"), ("RFC 6202", "rfc6202"), ("RFC 9110", "rfc9110"), ("RFC 9112", "rfc9112"),
         ("RFC 6585", "rfc6585"), ("Fetch", "whatwg-fetch"))
#: Documents not stored yet, and why (their quotes are listed by test_unchecked_quotes_are_only_those).
NOT_STORED = {
    "rfc6202": "no copy of RFC 6202's text was reachable from the workplace that added these texts",
    "rfc6585": "no copy of RFC 6585's text was reachable (one quote: §5, the 431 status code)",
    "rfc7692": "no copy of RFC 7692's text was reachable; the permessage-deflate quotes were checked against "
               "copies quoted in other projects' sources (docs/compression-vs-autobahn.md)",
    "engineio-protocol": "the socketio/engine.io-protocol repository has no licence file, so its README is "
                         "not copied here; the eio quotes were checked against its commit f21de7b",
    "socketio-protocol": "the socketio/socket.io-protocol repository has no licence file, so its Readme is "
                         "not copied here; the sio quotes were checked against its commit 4f633dd (the "
                         "Engine.IO group quotes the engine.io-protocol README, as the eio catalog)",
}

_CITATION = re.compile(r"\s*\((?P<cite>(?:RFC \d+|Fetch)[^()]*)\)\s*\.?\s*$")
_PAGE_BREAK = re.compile(r"\n[^\n]*\[Page \d+\]\s*\n\f?\s*\nRFC \d+ [^\n]*\n|\f")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")


def normalise(text: str) -> str:
    """The text with page breaks removed, hyphen line breaks joined, whitespace and quotes unified."""
    text = _PAGE_BREAK.sub("\n", text)
    text = re.sub(r"-\n\s*", "-", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


@cache
def document(name: str) -> str:
    return normalise((SPECS / f"{name}.txt").read_text(encoding="utf-8"))


def source_of(case: Case) -> tuple[str, str]:
    """(document name, the quote without its citation)."""
    match = _CITATION.search(case.quote)
    if match is None:
        if case.spec not in SUITE_DOCUMENT:
            pytest.fail(f"suite {case.spec!r} has no document in SUITE_DOCUMENT: add its spec text")
        section = SECTION_DOCUMENT.get(case.spec)
        if section is not None and case.section.startswith(section[0]):
            return section[1], case.quote
        return SUITE_DOCUMENT[case.spec], case.quote
    cite = match.group("cite")
    name = next((doc for words, doc in CITED if cite.startswith(words)), None)
    if name is None:
        pytest.fail(f"{case.id}: unknown citation {cite!r}")
    return name, case.quote[:match.start()]


def pieces(quote: str) -> list[str]:
    return [p for p in (normalise(part) for part in _ELLIPSIS.split(quote)) if p.strip(" .")]


def missing_piece(text: str, quote: str) -> str | None:
    """The first piece of ``quote`` not found in ``text`` after the previous one, or None."""
    at = 0
    for piece in pieces(quote):
        found = text.find(piece, at)
        if found < 0 and piece.endswith("."):  # a quote ending its last sentence where the spec goes on
            found = text.find(piece[:-1], at)
        if found < 0:
            return piece
        at = found + len(piece) - 1
    return None


def closest(text: str, piece: str, width: int = 240) -> str:
    """The passage of ``text`` sharing the longest run of words with ``piece`` (its neighbourhood)."""
    words = piece.split()
    for n in range(min(len(words), 12), 1, -1):
        for i in range(len(words) - n + 1):
            found = text.find(" ".join(words[i:i + n]))
            if found >= 0:
                return text[max(0, found - width // 3):found + width]
    return "(no passage shares two words in a row)"


def cases() -> list[Case]:
    return list(load((*CATALOGS, *CLIENT_CATALOGS)).cases)


def test_every_stored_quote_is_verbatim() -> None:
    problems = []
    for case in cases():
        name, quote = source_of(case)
        if name in NOT_STORED:
            continue
        text = document(name)
        piece = missing_piece(text, quote)
        if piece is not None:
            problems.append(f"{case.id} ({name}): not in the spec: {piece!r}\n"
                            f"    closest passage: {closest(text, piece)!r}")
    assert not problems, f"{len(problems)} quotes are not the spec's words:\n" + "\n".join(problems)


def test_unchecked_quotes_are_only_those_of_documents_not_stored() -> None:
    unchecked = {source_of(c)[0] for c in cases()} - {p.stem for p in SPECS.glob("*.txt")}
    assert unchecked <= set(NOT_STORED), f"quotes cite documents that are not stored: {unchecked}"


def test_the_checker_catches_a_paraphrase_and_an_elision_out_of_order() -> None:
    text = document("rfc6455")
    verbatim = "A server MUST NOT mask any frames that it sends to the client."
    assert missing_piece(text, verbatim) is None
    assert missing_piece(text, "A server MUST NOT mask any frame it sends to the client.") is not None
    first, second = "The server MUST close the connection upon receiving a frame that is not masked.", \
        "A server MUST NOT mask any frames that it sends to the client."
    assert missing_piece(text, f"{first} ... {second}") is None  # §5.1 says them in this order
    assert missing_piece(text, f"{second} ... {first}") == first
    assert "mask any frames" in closest(text, "A server MUST NOT mask any frame it sends")
    # a line-broken, page-broken passage of the RFC text matches its one-line quote
    assert missing_piece(text, "If a nonzero value is received and none of the negotiated extensions "
                               "defines the meaning of such a nonzero value, the receiving endpoint MUST "
                               "_Fail the WebSocket Connection_.") is None
