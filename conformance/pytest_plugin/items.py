"""The pytest nodes: one collector named ``rtconform`` and one item per selected case.

An item's node ID is ``rtconform::<case id>`` (``rtconform::ws/5.2/rsv1-without-extension``): stable
across runs, so ``--lf`` and ``--ff`` find it again. Its keywords are the case ID, ``autobahn-<id>`` for a
case with an Autobahn equivalent (``-k autobahn-6.4`` or ``-k 6.4``), and its markers: ``rtconform``,
the level (``rtconform_must``, ``rtconform_should``, ``rtconform_may``, ``rtconform_strict``) and
``rtconform_exclusive`` (``-m rtconform_must``). The item does not run its case: it asks its
:class:`Results` for the case's result (see the package docstring) and turns it into pytest's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import pytest

from conformance.expectfile import Expectations
from conformance.model import Case, Outcome
from conformance.pytest_plugin.failure import failure_text
from conformance.results import CaseResult
from conformance.suites import Suite, find

__all__ = ["CaseErrored", "CaseFailed", "CaseItem", "CaseProblem", "Results", "collect_cases"]

class CaseProblem(Exception):
    """A case failed or errored; the message is its report (:func:`failure_text`)."""


class CaseFailed(CaseProblem):
    """The target violated the case's requirement (outcome ``failed``)."""


class CaseErrored(CaseProblem):
    """No verdict: a timeout, a reset, a harness error, an unreachable target (outcome ``errored``)."""


class Results(Protocol):
    """Where items get their case's result and whether it gates."""

    def result(self, item: CaseItem) -> CaseResult:
        """The case's result (runs it first if this source runs cases one at a time)."""
        ...

    def status(self, result: CaseResult) -> str:
        """The case's status, :meth:`conformance.review.Review.status`'s rule."""
        ...

    def gate(self) -> str:
        """``--rtconform-fail-on``, or its default."""
        ...


class CaseCollector(pytest.Collector):
    """The parent of every case item (node ID ``rtconform``): collects the items it is given."""

    def __init__(self, *, make: Callable[[CaseCollector], list[CaseItem]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.make = make

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        return self.make(self)


class CaseItem(pytest.Item):
    """One conformance case as a pytest item."""

    def __init__(self, *, case: Case, results: Results, suite: Suite | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.results = results
        self.suite = suite

    def runtest(self) -> None:
        result = self.results.result(self)
        self.user_properties += [("rtconform_outcome", result.outcome.value),
                                 ("rtconform_duration_s", round(result.duration_s, 3))]
        status = self.results.status(result)
        if status == "not-gating":
            pytest.xfail(f"{result.outcome.value} at level {result.level.value}, below "
                         f"--rtconform-fail-on {self.results.gate()}: {_first_line(result)}")
        if result.outcome in (Outcome.FAILED, Outcome.ERRORED):
            problem = CaseErrored if result.outcome is Outcome.ERRORED else CaseFailed
            cited = self.suite.title if self.suite else ""
            link = self.suite.section_link(result.section) if self.suite else ""
            raise problem(failure_text(result, cited, link))
        if result.outcome is Outcome.SKIPPED:
            pytest.skip(f"rtconform: {result.error or 'the target cannot run this case'}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | Any:
        if isinstance(excinfo.value, CaseProblem):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # the "domain" heads the failure's section; pytest writes a node ID ending in its domain with
        # the domain's dots as "::" (a Python dotted name), so this one does not end the node ID
        return self.path, None, f"{self.case.id} [{self.case.level.value}]"


#: An expectation pinned to one outcome xfails only the failure of that kind.
_RAISES: dict[Outcome, type[CaseProblem]] = {Outcome.FAILED: CaseFailed, Outcome.ERRORED: CaseErrored}


def _first_line(result: CaseResult) -> str:
    text = result.actual or result.error
    return text.splitlines()[0][:200] if text else "-"


def collect_cases(session: pytest.Session, cases: Iterable[Case], results: Results,
                  suites: Iterable[Suite], expectations: Expectations | None) -> list[pytest.Item]:
    """The items of ``cases``, collected by the session (collection hooks and reports included) under
    the ``rtconform`` collector."""

    def make(parent: CaseCollector) -> list[CaseItem]:
        return _make_items(parent, cases, results, tuple(suites), expectations)

    parent = CaseCollector.from_parent(session, name="rtconform", path=session.config.rootpath / "rtconform",
                                       nodeid="rtconform", make=make)
    return list(session.genitems(parent))


def _make_items(parent: CaseCollector, cases: Iterable[Case], results: Results, known: tuple[Suite, ...],
                expectations: Expectations | None) -> list[CaseItem]:
    """One item per case, with markers, keywords and the xfail markers of ``expectations`` (strict: a
    listed case that passes fails, as in ``rtconform run``)."""
    items = []
    for case in cases:
        item = CaseItem.from_parent(parent, name=case.id, case=case, results=results,
                                    suite=find(known, case.spec))
        item.add_marker("rtconform")
        item.add_marker(f"rtconform_{case.level.value.lower()}")
        if case.exclusive:
            item.add_marker("rtconform_exclusive")
        if case.autobahn:
            item.extra_keyword_matches.add(f"autobahn-{case.autobahn}")
        exp = expectations.get(case.id) if expectations is not None else None
        if expectations is not None and exp is not None:
            raises = _RAISES.get(exp.outcome, CaseProblem) if exp.outcome else CaseProblem
            item.add_marker(pytest.mark.xfail(reason=f"{expectations.source}: {exp.reason}",
                                              raises=raises, strict=True))
        items.append(item)
    return items
