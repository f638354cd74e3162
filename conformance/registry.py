"""The case registry: an explicit list of catalog packages, their suites, validated IDs, case selection.

Every catalog package in :data:`CATALOGS` exports its :class:`~conformance.suites.Suite` as ``SUITE`` and
lists its case modules in ``MODULES``: :func:`suites` collects the former, :func:`load` the cases of the
latter. Nothing registers itself by being imported.

Selection grammar (``--case`` / ``--exclude``, repeatable):

* an ID prefix cut at a ``/`` or ``.`` boundary: ``ws``, ``ws/5``, ``ws/5.5`` (matches 5.5 and 5.5.2),
  ``ws/5.2/rsv1-without-extension``;
* a glob with ``*``, ``?`` or ``[...]`` over the ID: ``ws/*/ping-*``;
* an Autobahn id or glob, for cases that have one: ``6.4.1``, ``5.*``, ``3`` (a prefix at ``.``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib
import re
from collections.abc import Iterable, Sequence
from functools import cache

from conformance.model import Case, Group, Level
from conformance.suites import Suite, find

__all__ = ["CATALOGS", "CLIENT_CATALOGS", "Registry", "catalog_hash", "load", "matches", "select", "suite",
           "suites"]

#: Catalog packages, in report order. Each exports ``SUITE`` and lists its modules in ``MODULES``.
CATALOGS = ("conformance.catalog.ws", "conformance.catalog.sse", "conformance.catalog.poll",
            "conformance.catalog.sio", "conformance.catalog.eio")  # sio first: its probe is the narrower
#: Client catalogs (``rtconform clients``): the runner plays the server. Never selected by ``rtconform run``
#: (no scheme, no reference server, not in :data:`CATALOGS`); :func:`suite` finds their suites for the runner.
CLIENT_CATALOGS = ("conformance.catalog.wsclient", "conformance.catalog.sseclient")

_AUTOBAHN_SEL = re.compile(r"^[\d*?\[\]]+(?:\.[\d*?\[\]]+)*$")


class Registry:
    """Validated, ordered cases. Build one with :func:`load` or from groups.

    Raises:
        ValueError: duplicate case IDs or duplicate Autobahn ids (the message lists them).
    """

    def __init__(self, groups: Iterable[Group]) -> None:
        self.groups = list(groups)
        self.cases: list[Case] = [c for g in self.groups for c in g.cases]
        problems = _duplicates([c.id for c in self.cases], "case id")
        problems += _duplicates([c.autobahn for c in self.cases if c.autobahn], "autobahn id")
        if problems:
            raise ValueError("invalid catalog: " + "; ".join(problems))
        self.by_id = {c.id: c for c in self.cases}

    def select(self, include: Sequence[str] = (), exclude: Sequence[str] = (), *,
               strict: bool = False) -> list[Case]:
        """The cases matching any ``include`` selector (all if none) and no ``exclude`` selector.

        SHOULD and MAY cases are kept only when ``strict``.
        """
        return select(self.cases, include, exclude, strict=strict)


def _duplicates(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    dups = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    return [f"duplicate {what} {v!r}" for v in dups]


def _prefix(value: str, selector: str) -> bool:
    return value == selector or (value.startswith(selector) and (selector[-1] in "/." or
                                                                 value[len(selector)] in "/."))


def matches(case: Case, selector: str) -> bool:
    """Whether ``selector`` (an ID prefix, an ID glob or an Autobahn id/glob) selects ``case``."""
    glob = any(ch in selector for ch in "*?[")
    if _AUTOBAHN_SEL.match(selector):
        if case.autobahn is None:
            return False
        return fnmatch.fnmatchcase(case.autobahn, selector) if glob else _prefix(case.autobahn, selector)
    return fnmatch.fnmatchcase(case.id, selector) if glob else _prefix(case.id, selector)


def select(cases: Sequence[Case], include: Sequence[str] = (), exclude: Sequence[str] = (), *,
           strict: bool = False) -> list[Case]:
    """Filter ``cases`` by selectors (see the module docstring), keeping their order."""
    chosen = []
    for case in cases:
        if include and not any(matches(case, s) for s in include):
            continue
        if any(matches(case, s) for s in exclude):
            continue
        if case.level is not Level.MUST and not strict:
            continue
        chosen.append(case)
    return chosen


def load(catalogs: Sequence[str] = CATALOGS) -> Registry:
    """Import every catalog module listed by ``catalogs`` and collect their groups, in order."""
    groups: list[Group] = []
    for package in catalogs:
        for name in importlib.import_module(package).MODULES:
            module = importlib.import_module(name)
            groups += [v for v in vars(module).values() if isinstance(v, Group)]
    return Registry(groups)


@cache
def suites(catalogs: tuple[str, ...] = CATALOGS) -> tuple[Suite, ...]:
    """The ``SUITE`` of every catalog package listed by ``catalogs``, in order.

    Raises:
        TypeError: a package's ``SUITE`` is not a :class:`~conformance.suites.Suite`.
        ValueError: two packages declare the same spec key.
    """
    found = []
    for package in catalogs:
        declared = importlib.import_module(package).SUITE
        if not isinstance(declared, Suite):
            raise TypeError(f"{package}.SUITE is {declared!r}, not a Suite")
        found.append(declared)
    problems = _duplicates([s.spec for s in found], "suite spec")
    if problems:
        raise ValueError("invalid catalog: " + "; ".join(problems))
    return tuple(found)


def suite(spec: str) -> Suite | None:
    """The suite of ``spec`` among the registry's :func:`suites` and the client suites, or None."""
    return find(suites(), spec) or find(suites(CLIENT_CATALOGS), spec)


def catalog_hash(cases: Iterable[Case]) -> str:
    """A short hash of the selected cases' identities and texts, for reports (changes when cases change)."""
    h = hashlib.sha256()
    for c in cases:
        for part in (c.id, c.level.value, c.desc, c.requirement, c.quote, c.autobahn or ""):
            h.update(part.encode())
            h.update(b"\0")
    return h.hexdigest()[:16]
