"""Which suites a run covers, decided in the run step (never while the command line is parsed).

``--case`` selects cases by itself. Otherwise ``--suite`` names the suites; without it the target URL
decides: with ``--docker-image`` the suites testing its scheme (the container is not up yet, so nothing
is probed: with several candidates all run); with another ``--target`` the suites testing its scheme,
then, when several do, the one whose probe recognises the URL; with no ``--target`` every suite (the
embedded reference servers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from conformance.suites import Suite, find, for_scheme, infer_suites
from conformance.wire.endpoint import Endpoint
from conformance.wire.http import build_http_request
from conformance.wire.httpclient import HttpExchange
from conformance.wire.wshandshake import build_request, new_key

__all__ = ["SelectionError", "no_match_message", "resolve_include", "upgrade_hint"]

#: Seconds the look behind a failed inference waits for the target's answer.
HINT_TIMEOUT = 1.0


class SelectionError(ValueError):
    """The suites cannot be decided: an unknown ``--suite``, or a URL no suite recognises (a usage error)."""


def _named(names: Sequence[str], suites: Sequence[Suite]) -> tuple[str, ...]:
    for name in names:
        if find(suites, name) is None:
            known = ", ".join(sorted(s.spec for s in suites))
            raise SelectionError(f"unknown --suite {name!r}; known: {known}")
    return tuple(names)


def resolve_include(cases: Sequence[str], names: Sequence[str], endpoint: Endpoint | None,
                    suites: Sequence[Suite], *, docker: bool = False) -> tuple[str, ...]:
    """The include selectors of a run: ``cases`` (``--case``) if any, else ``names`` (``--suite``), else
    the spec keys of the suites the target looks like; () selects every case.

    ``endpoint`` is ``--target`` with the user's options (the probes send the user's headers), or None.

    Raises:
        SelectionError: an unknown name in ``names``, or no suite recognises ``endpoint``.
    """
    named = _named(names, suites)
    if cases:
        return tuple(cases)
    if named:
        return named
    if docker:
        return tuple(s.spec for s in for_scheme(suites, endpoint.scheme if endpoint is not None else "ws"))
    if endpoint is None:
        return ()
    found = asyncio.run(infer_suites(endpoint, suites))
    if not found:
        hint = asyncio.run(upgrade_hint(endpoint)) if endpoint.scheme in ("http", "https") else ""
        raise SelectionError(f"cannot tell which suite tests {endpoint.url!r}; "
                             + (hint or "name it with --suite"))
    return tuple(s.spec for s in found)


async def upgrade_hint(endpoint: Endpoint) -> str:
    """For an http(s) URL no suite recognised: when a plain ``GET`` gets ``426 Upgrade Required``, or a
    WebSocket opening handshake on the same URL gets ``101``, the target is a WebSocket server, and the
    hint names its ws:// (wss://) URL. "" when neither (or the target does not answer)."""
    plain = await _status(endpoint, build_http_request("GET", endpoint.resource, endpoint.host_header,
                                                       endpoint.headers))
    if plain is not None and plain[0] == 426:
        why = f"it answered {plain[0]} {plain[1]}".rstrip()
    else:
        upgrade = await _status(endpoint, build_request(endpoint.resource, endpoint.host_header, new_key(),
                                                        headers=endpoint.headers))
        if upgrade is None or upgrade[0] != 101:
            return ""
        why = "it accepted a WebSocket opening handshake"
    ws_url = ("wss" if endpoint.scheme == "https" else "ws") + endpoint.url[len(endpoint.scheme):]
    return f"{why}: it is a WebSocket server; use --target {ws_url}"


async def _status(endpoint: Endpoint, request: bytes) -> tuple[int, str] | None:
    """The status and reason of the answer to ``request``, or None (no answer within the hint timeout)."""
    ex = HttpExchange(endpoint, deadline=asyncio.get_running_loop().time() + HINT_TIMEOUT)
    try:
        response = await ex.send(request)
    except (OSError, asyncio.TimeoutError, TimeoutError):
        return None
    finally:
        ex.close()
    return None if response is None else (response.status, response.reason)


def no_match_message(cases: Sequence[str], include: Sequence[str], exclude: Sequence[str], *, strict: bool,
                     selected_before_exclude: int) -> str:
    """Why a selection is empty, in the user's terms: what ``--case`` (``cases``) or the suites the run
    covers (``include``, the resolved selectors; empty: every suite) matched, and whether ``--exclude``
    removed it all."""
    if cases:
        what = f"--case {' '.join(cases)}"
    else:
        what = f"suite {', '.join(include)}" if include else "every suite"
    level = "" if strict else " (MUST cases only; add --strict for every level)"
    if selected_before_exclude and exclude:
        return (f"--exclude {' '.join(exclude)} excludes all {selected_before_exclude} cases of {what}: "
                "nothing left to run")
    return f"no case matches {what}{level}"
