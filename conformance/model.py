"""The case model: levels, outcomes, verdicts, cases and groups.

A *case* is data (a stable ID, the spec section, the level, the stimulus, the requirement and the quoted
spec sentence) plus one small async function. The function receives a context built by its suite (for
WebSocket cases: an unconnected :class:`conformance.wire.ws.WsClient`), drives the target, and returns a
:class:`Verdict` (or ``None`` for "passed on both axes"). It may raise :class:`CaseFailed` or :class:`Skip`.

Cases never hold results: the runner keeps results in separate records (``conformance.results``).

Declaring cases::

    G = group("ws", "5.2", "Base Framing Protocol")

    @G.case("rsv1-without-extension", level=MUST, autobahn="3.1",
            desc="Sends a text frame with RSV1 set; no extension negotiated",
            requirement="The server MUST fail the connection: close 1002 or TCP close.",
            quote="If a nonzero value is received and none of the negotiated extensions ...")
    async def rsv1_without_extension(ws: WsClient) -> Verdict: ...
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.measure import Measurement

__all__ = [
    "MAY",
    "MUST",
    "SHOULD",
    "STRICT",
    "Case",
    "CaseFailed",
    "CaseFn",
    "Group",
    "Level",
    "Outcome",
    "Skip",
    "Verdict",
    "combine",
    "group",
]


class Level(enum.Enum):
    """Requirement level of a case: the RFC 2119 keyword of the quoted sentence, or ``STRICT``.

    MUST cases always run; SHOULD, MAY and STRICT cases run only with ``--strict``, which also lets
    SHOULD and STRICT failures fail the run; ``--fail-on`` sets the lowest gating level explicitly
    (MUST > SHOULD > STRICT, :mod:`conformance.gating`). MAY never fails a run.
    """

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"
    #: Not an RFC 2119 requirement: a preference stricter than the specification (Autobahn's strictness,
    #: a recommendation drawn from descriptive spec text, or a measurement). Gates only a ``--strict``
    #: run (or ``--fail-on strict``).
    STRICT = "STRICT"

    @property
    def label(self) -> str:
        """How reports name the level: the keyword, or what STRICT stands for."""
        return "STRICT (not an RFC requirement)" if self is Level.STRICT else self.value


MUST = Level.MUST
SHOULD = Level.SHOULD
MAY = Level.MAY
STRICT = Level.STRICT


class Outcome(enum.Enum):
    """Verdict of one axis (behaviour or close), and of a whole case.

    The order of the members is the severity used by :func:`combine` (later = worse).
    """

    #: Exactly what the spec asks for.
    PASSED = "passed"
    #: The spec leaves it open; recorded, never judged.
    INFORMATIONAL = "informational"
    #: An optional feature was not negotiated (e.g. permessage-deflate).
    UNIMPLEMENTED = "unimplemented"
    #: Acceptable but not the preferred behaviour (e.g. not failing fast).
    NON_STRICT = "non-strict"
    #: The precondition could not be met (the target cannot run this case).
    SKIPPED = "skipped"
    #: The target violated the requirement.
    FAILED = "failed"
    #: The harness could not reach a verdict: timeout, crash of the target or a bug in the case.
    ERRORED = "errored"


_SEVERITY = {outcome: rank for rank, outcome in enumerate(Outcome)}


def combine(*outcomes: Outcome) -> Outcome:
    """The worst of ``outcomes`` (``PASSED`` for none)."""
    return max(outcomes, key=_SEVERITY.__getitem__, default=Outcome.PASSED)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a case concluded, on Autobahn's two axes.

    Attributes:
        behavior: were the observed events the expected ones.
        close: was the connection closed as expected (who, how cleanly, which code).
        expected: every acceptable reaction, one short line each ("close 1002 or TCP close").
        actual: what the target did, one short line.
        close_detail: Autobahn's close word for ``index.json``: "OK", "WRONG CODE", "UNCLEAN", "FAILED",
            "INFORMATIONAL" (or "NON-STRICT" for a SHOULD-level close deviation).
        remote_close_code: the status code in the target's close frame, if it sent one with a code.
        notes: extra observations that do not change the verdict (e.g. "target closed TCP after 0.4 s").
        autobahn_behavior: Autobahn's behaviour word for this observation where the runner judges it
            differently on purpose (e.g. "NON-STRICT" for a late UTF-8 failure the MUST case passes);
            None when it follows from ``behavior``. Only ``index.json`` uses it.
        measurements: numbers the case measured (throughput, latency: :mod:`conformance.measure`),
            recorded next to the verdict and never part of it.
    """

    behavior: Outcome = Outcome.PASSED
    close: Outcome = Outcome.PASSED
    expected: tuple[str, ...] = ()
    actual: str = ""
    close_detail: str = "OK"
    remote_close_code: int | None = None
    notes: tuple[str, ...] = ()
    autobahn_behavior: str | None = None
    measurements: tuple[Measurement, ...] = ()

    @property
    def outcome(self) -> Outcome:
        """The case outcome: the worse of the two axes."""
        return combine(self.behavior, self.close)

    @classmethod
    def informational(cls, actual: str, *, remote_close_code: int | None = None) -> Verdict:
        """Record what happened without judging it."""
        return cls(Outcome.INFORMATIONAL, Outcome.INFORMATIONAL, actual=actual,
                   close_detail="INFORMATIONAL", remote_close_code=remote_close_code)

    @classmethod
    def unimplemented(cls, actual: str) -> Verdict:
        """An optional feature the case needs was not negotiated."""
        return cls(Outcome.UNIMPLEMENTED, Outcome.UNIMPLEMENTED, actual=actual, close_detail="OK")


class CaseFailed(Exception):
    """Raised by a case or verifier: the target did not do any of the ``expected`` things.

    Args:
        expected: every acceptable reaction, one short line each.
        actual: what the target did.
        axis: "behavior" or "close".
    """

    def __init__(self, expected: list[str] | tuple[str, ...], actual: str, *, axis: str = "behavior") -> None:
        if axis not in ("behavior", "close"):
            raise ValueError(f"axis must be 'behavior' or 'close', not {axis!r}")
        super().__init__(f"expected {' or '.join(expected)}; actual: {actual}")
        self.expected = tuple(expected)
        self.actual = actual
        self.axis = axis

    def verdict(self) -> Verdict:
        """The verdict this failure stands for."""
        if self.axis == "close":
            return Verdict(close=Outcome.FAILED, expected=self.expected, actual=self.actual,
                           close_detail="FAILED")
        return Verdict(behavior=Outcome.FAILED, expected=self.expected, actual=self.actual)


class Skip(Exception):
    """Raised by a case whose precondition the target cannot meet (reported as ``skipped``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: A case body: receives its suite's context, returns a verdict (``None`` = passed).
CaseFn = Callable[[Any], Awaitable["Verdict | None"]]

_SPEC_RE = re.compile(r"^[a-z][a-z0-9]*$")
_SECTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_AUTOBAHN_RE = re.compile(r"^\d+(?:\.\d+)*$")
MAX_SLUG = 40


@dataclass(frozen=True, slots=True)
class Case:
    """One conformance case. Frozen: results never go back onto the catalog.

    Attributes:
        id: ``<spec>/<section>/<slug>``, stable forever once released.
        spec: the suite key ("ws", "sse", ...); the runner uses it to pick the suite that builds the context.
        section: the spec's section number ("5.5.1") or heading anchor.
        slug: kebab-case name of the stimulus, at most 40 characters.
        level: MUST cases always run; SHOULD/MAY/STRICT only with ``--strict``.
        desc: the stimulus ("Sends a ping with a 126-byte payload").
        requirement: the obligation ("The server MUST fail the connection: close 1002 or TCP close.").
        quote: the spec sentence, quoted.
        run: the async body.
        autobahn: the equivalent Autobahn|Testsuite case id, if any ("2.5").
        group_title: the title of the group it was declared in.
        timeout: a per-case timeout in seconds overriding ``--timeout`` (for slow cases), or None.
        origin: the test of another suite this case ports, when it is not Autobahn (``"eio-suite #12"``:
            the twelfth ``it`` of engine.io-protocol's test-suite.js), or None.
        exclusive: the case measures the whole target (a stream's silence, a hold's length, every held
            poll, a stalled subscriber) rather than only its own events, so other cases' traffic would
            decide its verdict: the runner runs it alone, after the concurrent cases, one at a time.
    """

    id: str
    spec: str
    section: str
    slug: str
    level: Level
    desc: str
    requirement: str
    quote: str
    run: CaseFn = field(repr=False, compare=False)
    autobahn: str | None = None
    group_title: str = ""
    timeout: float | None = None
    exclusive: bool = False
    origin: str | None = None

    def __post_init__(self) -> None:
        problems = validate_case_fields(self.spec, self.section, self.slug, self.quote, self.autobahn)
        if self.id != f"{self.spec}/{self.section}/{self.slug}":
            problems.append(f"id {self.id!r} does not match spec/section/slug")
        if not isinstance(self.level, Level):
            problems.append(f"level must be MUST, SHOULD, MAY or STRICT, not {self.level!r}")
        if not self.desc.strip() or not self.requirement.strip():
            problems.append("desc and requirement must not be empty")
        if self.origin is not None and not self.origin.strip():
            problems.append("origin must not be empty")
        if self.timeout is not None and not self.timeout > 0:
            problems.append(f"timeout must be positive, not {self.timeout!r}")
        if problems:
            raise ValueError(f"invalid case {self.id!r}: " + "; ".join(problems))


def validate_case_fields(spec: str, section: str, slug: str, quote: str, autobahn: str | None) -> list[str]:
    """Every problem with a case's identifying fields, as lower-case messages showing the value."""
    problems = []
    if not _SPEC_RE.match(spec):
        problems.append(f"spec must be lower-case alphanumeric, not {spec!r}")
    if not _SECTION_RE.match(section) or section.endswith("."):
        problems.append(f"section must be like '5.5.1' or an anchor, not {section!r}")
    if not _SLUG_RE.match(slug) or len(slug) > MAX_SLUG:
        problems.append(f"slug must be kebab-case of at most {MAX_SLUG} characters, not {slug!r}")
    if not quote.strip():
        problems.append("quote must not be empty")
    if autobahn is not None and not _AUTOBAHN_RE.match(autobahn):
        problems.append(f"autobahn id must be dotted numbers like '6.4.1', not {autobahn!r}")
    return problems


@dataclass(slots=True)
class Group:
    """The cases of one spec section (h2spec's TestGroup). Declare cases with :meth:`case`."""

    spec: str
    section: str
    title: str
    cases: list[Case] = field(default_factory=list)

    def case(self, slug: str, *, level: Level, desc: str, requirement: str, quote: str,
             autobahn: str | None = None, section: str | None = None,
             timeout: float | None = None, exclusive: bool = False,
             origin: str | None = None) -> Callable[[CaseFn], CaseFn]:
        """Decorator declaring the decorated async function as a case of this group.

        Args:
            slug: kebab-case stimulus name; the case ID is ``<spec>/<section>/<slug>``.
            section: a sub-section overriding the group's (e.g. "5.5.2" in a "5.5" group).
            timeout: per-case timeout overriding ``--timeout`` (seconds).
            exclusive: run the case alone, nothing else running (see :class:`Case`).
            origin: the ported test of another suite (see :class:`Case`).

        Raises:
            ValueError: a field is malformed (the message names it and shows the value).
        """
        sec = section or self.section

        def register(fn: CaseFn) -> CaseFn:
            self.cases.append(Case(
                id=f"{self.spec}/{sec}/{slug}", spec=self.spec, section=sec, slug=slug, level=level,
                desc=desc, requirement=requirement, quote=quote, run=fn, autobahn=autobahn,
                group_title=self.title, timeout=timeout, exclusive=exclusive,
                origin=origin))
            return fn

        return register


def group(spec: str, section: str, title: str) -> Group:
    """A new group of cases for ``spec`` section ``section``; a catalog module keeps it at module level."""
    problems = validate_case_fields(spec, section, "x", "x", None)
    if problems or not title.strip():
        why = "; ".join(problems or ["empty title"])
        raise ValueError(f"invalid group {spec}/{section} {title!r}: {why}")
    return Group(spec, section, title)
