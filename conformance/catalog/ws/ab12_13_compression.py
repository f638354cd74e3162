"""Autobahn 12.x and 13.x (WebSocket Compression): compressed echoes under permessage-deflate (RFC 7692).

12.1-12.5 offer Autobahn's default (``permessage-deflate; client_no_context_takeover;
client_max_window_bits``) and echo slices of five corpora (:mod:`.compression_corpus`); 13.1-13.7 echo the
JSON corpus under Autobahn's seven offers. Each of x.1-x.18 is one of Autobahn's 18 (size, fragment)
pairs. Messages go one at a time, each after the previous echo, compressed by the runner (RSV1 on the first
frame only); each echo must have the same type and content (inflated with the agreed parameters: a window
longer than the agreed ``server_max_window_bits`` does not inflate), every frame's bits are judged (RFC 7692
§6.1), and the connection must end with a clean close 1000. A target that declines every offer is
UNIMPLEMENTED, as in Autobahn.

Message count: Autobahn sends 1000 messages per case (up to 131 MB per case). The runner sends
:func:`message_count` messages by default (16 small ones, at least 2 large ones: 16 KiB to 256 KiB per case)
so the 216 cases finish in seconds; ``--profile deflate-messages=1000`` sends Autobahn's count.
"""

from __future__ import annotations

from conformance.catalog.ws import _deflate
from conformance.catalog.ws.compression_corpus import CORPORA, MSG_SIZES, WAIT_SECONDS, Corpus
from conformance.model import MUST, CaseFailed, Group, Verdict, group
from conformance.wire import deflate
from conformance.wire.ws import WsClient

PAYLOADS = group("ws", "rfc7692-5", "WebSocket Compression (different payloads)")
PARAMETERS = group("ws", "rfc7692-7.1", "WebSocket Compression (different parameters)")

#: Autobahn's default offer (its PerMessageDeflateOffer()): accepts both client parameters
DEFAULT_OFFER = deflate.offer(client_no_context_takeover=True, client_max_window_bits=True)
#: 13.1-13.7: Autobahn's offers (request_no_context_takeover -> server_no_context_takeover,
#: request_max_window_bits -> server_max_window_bits), each with the default's two client parameters
_SNCT = deflate.offer(client_no_context_takeover=True, client_max_window_bits=True,
                      server_no_context_takeover=True)
OFFERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("default", (DEFAULT_OFFER,)),
    ("snct", (_SNCT,)),
    ("smwb-9", (deflate.offer(client_no_context_takeover=True, client_max_window_bits=True,
                              server_max_window_bits=9),)),
    ("smwb-15", (deflate.offer(client_no_context_takeover=True, client_max_window_bits=True,
                               server_max_window_bits=15),)),
    ("snct-smwb-9", (deflate.offer(client_no_context_takeover=True, client_max_window_bits=True,
                                   server_no_context_takeover=True, server_max_window_bits=9),)),
    ("snct-smwb-15", (deflate.offer(client_no_context_takeover=True, client_max_window_bits=True,
                                    server_no_context_takeover=True, server_max_window_bits=15),)),
    ("three-offers", (deflate.offer(client_no_context_takeover=True, client_max_window_bits=True,
                                    server_no_context_takeover=True, server_max_window_bits=9),
                      _SNCT, DEFAULT_OFFER)),
)
#: the runner's default --max-case-timeout: no case declares more (tests/conformance/test_run_timeouts.py)
MAX_TIMEOUT = 150.0
#: the bytes one case sends by default (message count x size), and the count's bounds
CASE_BYTES, MIN_COUNT, MAX_COUNT = 2**14, 2, 16


def message_count(ws: WsClient, size: int) -> int:
    """``--profile deflate-messages=N`` if given (Autobahn: 1000), else about :data:`CASE_BYTES` bytes'
    worth of ``size``-byte messages, between :data:`MIN_COUNT` and :data:`MAX_COUNT`."""
    text = ws.endpoint.option("deflate-messages")
    if text:
        try:
            count = int(text)
        except ValueError:
            raise CaseFailed(["a whole number for --profile deflate-messages"], repr(text)) from None
        if count > 0:
            return count
    return max(MIN_COUNT, min(MAX_COUNT, CASE_BYTES // size))


def _what(size: int, fragment: int) -> str:
    return f"{size}-byte messages" + (f" in {fragment}-byte frames" if fragment else "")


def _slug(prefix: str, size: int, fragment: int) -> str:
    return f"{prefix}-{size}-bytes" + (f"-frag-{fragment}" if fragment else "")


def _echo_case(grp: Group, autobahn: str, slug: str, corpus: Corpus, *, offers: tuple[str, ...], size: int,
               fragment: int, offer_desc: str) -> None:
    kind = "binary" if corpus.binary else "text"
    # Autobahn's case timeout (60-480 s) up to the default --max-case-timeout (150 s), for
    # deflate-messages=1000; the default count takes seconds, and no echo is waited for past ECHO_WAIT
    timeout = min(WAIT_SECONDS[int(autobahn.rsplit(".", 1)[1]) - 1], MAX_TIMEOUT)

    @grp.case(
        slug, level=MUST, autobahn=autobahn, timeout=timeout,
        desc=f"Offers {offer_desc}; sends {_what(size, fragment)} ({kind}, slices of the {corpus.name} "
             "corpus) compressed, each after the previous echo",
        requirement="Under the agreed permessage-deflate the server MUST echo every message with the same "
                    "type and content (inflated with the agreed parameters; RSV1 on first frames only), "
                    "then close cleanly with 1000. Declining the offer is unimplemented.",
        quote=_deflate.QUOTE_AGREED,
    )
    async def run(ws: WsClient) -> Verdict:
        if not await _deflate.negotiated(ws, offers):
            return await _deflate.unimplemented(ws, offers)
        ring = corpus.ring()
        return await _deflate.echo_series(ws, lambda: ring.next(size), count=message_count(ws, size),
                                          binary=corpus.binary, fragment=fragment)


for _j, _corpus in enumerate(CORPORA, start=1):
    for _i, (_size, _frag) in enumerate(MSG_SIZES, start=1):
        _echo_case(PAYLOADS, f"12.{_j}.{_i}", _slug(_corpus.name, _size, _frag), _corpus,
                   offers=(DEFAULT_OFFER,), size=_size, fragment=_frag, offer_desc=f"'{DEFAULT_OFFER}'")

for _j, (_name, _offers) in enumerate(OFFERS, start=1):
    for _i, (_size, _frag) in enumerate(MSG_SIZES, start=1):
        _echo_case(PARAMETERS, f"13.{_j}.{_i}", _slug(_name, _size, _frag), CORPORA[0], offers=_offers,
                   size=_size, fragment=_frag, offer_desc=" then ".join(f"'{o}'" for o in _offers))
