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

__all__ = ["SelectionError", "resolve_include"]


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
        raise SelectionError(f"cannot tell which suite tests {endpoint.url!r}; name it with --suite")
    return tuple(s.spec for s in found)
