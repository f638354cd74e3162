"""The runner: run selected cases concurrently against an endpoint, each with its own timeout.

Protocol-neutral: a case's context comes from its suite (:func:`conformance.registry.suite`), which gets
the target's address and the user's connection options side by side (:class:`~conformance.suites.CaseEnv`)
and makes the case's endpoint from them in one place. A timeout, a reset connection or a bug in a case
is that case's ``errored`` outcome; only a target that cannot be reached (refused, TLS handshake failed,
silent: :mod:`conformance.halt`) stops the run early. A case gets ``min(its own timeout or --timeout,
--max-case-timeout)`` seconds (:meth:`RunSettings.case_timeout`). Cases run on at most ``jobs``
connections at once, except ``exclusive`` cases (they measure the whole target: a stream's silence,
a poll's hold): those run afterwards, one at a time, with nothing else running. The run as a whole
stops at ``run_timeout`` (cases still running are cancelled, cases not started are reported errored).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import time
import traceback
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.connection_errors import describe, exception_name
from conformance.halt import Halt, heard
from conformance.model import Case, CaseFailed, Outcome, Skip, Verdict
from conformance.registry import suite as suite_of
from conformance.results import CaseResult, case_result
from conformance.suites import CaseEnv, MemoryProbe
from conformance.wire.endpoint import Endpoint
from conformance.wire.transcript import Transcript

__all__ = ["DEFAULT_MAX_CASE_TIMEOUT", "RunSettings", "default_jobs", "run_case", "run_cases"]

Progress = Callable[[CaseResult, int, int], None]
#: Told when a case starts (progress displays show what the run is waiting on); never changes a verdict.
Started = Callable[[Case], None]


def default_jobs() -> int:
    """Concurrent cases by default: 8 per CPU, at most 32."""
    return min(32, 8 * (os.cpu_count() or 1))


#: ``--max-case-timeout`` by default: the longest wait a case of the catalog declares (140 s) fits.
DEFAULT_MAX_CASE_TIMEOUT = 150.0
#: Added to the derived run timeout (:meth:`RunSettings.for_cases`): starting and stopping cases.
RUN_TIMEOUT_MARGIN = 10.0
#: Seconds a case that has its verdict may go on past its timeout leaving its context (closing its
#: connections, stopping a client under test): a peer that floods and never reads makes a polite close
#: wait, and that is not the verdict's concern. Past it the teardown is cancelled; the verdict stands.
TEARDOWN_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How to run cases.

    Attributes:
        jobs: cases running at once (each on its own connection).
        timeout: the timeout in seconds of a case that sets none.
        run_timeout: the whole run's timeout in seconds, or None (:meth:`for_cases` derives one).
        close_timeout: how long verifiers wait for closing handshakes and TCP closes.
        max_case_timeout: the cap on every case's timeout, its own included (:meth:`case_timeout`).
    """

    jobs: int = 8
    timeout: float = 5.0
    run_timeout: float | None = None
    close_timeout: float = 2.0
    max_case_timeout: float = DEFAULT_MAX_CASE_TIMEOUT

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, not {self.timeout}")
        if self.run_timeout is not None and not self.run_timeout > 0:
            raise ValueError(f"run timeout must be positive, not {self.run_timeout}")
        if not self.max_case_timeout > 0:
            raise ValueError(f"max case timeout must be positive, not {self.max_case_timeout}")

    def case_timeout(self, case: Case) -> float:
        """The seconds ``case`` gets: ``min(its own timeout or timeout, max_case_timeout)``."""
        return min(case.timeout or self.timeout, self.max_case_timeout)

    def for_cases(self, cases: Sequence[Case]) -> RunSettings:
        """These settings with ``run_timeout`` derived from ``cases`` when it is None: the case timeouts
        summed and divided by ``jobs``, plus the longest, plus :data:`RUN_TIMEOUT_MARGIN`, rounded up.

        ``jobs`` workers each taking the next case finish every case that keeps to its timeout within
        sum/jobs + max (a greedy schedule), so the default cuts no such run short; it bounds the rest.
        """
        if self.run_timeout is not None or not cases:
            return self
        timeouts = [self.case_timeout(c) for c in cases]
        bound = sum(timeouts) / self.jobs + max(timeouts) + RUN_TIMEOUT_MARGIN
        return dataclasses.replace(self, run_timeout=float(math.ceil(bound)))


class _CaseTimedOut(Exception):
    """The case did not finish within its timeout."""


class _Halted(Exception):
    """The run stopped (:class:`~conformance.halt.Halt`) while the case was running."""


async def _bounded(body: Coroutine[Any, Any, Verdict], timeout: float, stop: asyncio.Event,
                   ended: list[Verdict | BaseException]) -> Verdict:
    """``body``'s verdict; raises its exceptions, :class:`_CaseTimedOut` after ``timeout`` seconds and
    :class:`_Halted` once ``stop`` is set (``body`` is cancelled and awaited in both cases).

    ``ended`` is where ``body`` puts the case's verdict (or the exception it raised) before it leaves the
    case's context: from then on the teardown gets :data:`TEARDOWN_GRACE` seconds past ``timeout``, and
    the verdict stands if it overruns them too."""
    task = asyncio.ensure_future(body)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ended and not task.done() and not stop.is_set():
            await asyncio.wait({task, stopper}, timeout=TEARDOWN_GRACE, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
    if task.cancelled():
        if ended:
            if isinstance(ended[0], BaseException):
                raise ended[0]
            return ended[0]
        raise _Halted() if stop.is_set() else _CaseTimedOut()
    return task.result()


async def _body(case: Case, env: CaseEnv, ended: list[Verdict | BaseException]) -> Verdict:
    suite = suite_of(case.spec)
    if suite is None:
        raise LookupError(f"no catalog package declares a suite for spec {case.spec!r}")
    async with suite.context(case, env) as ctx:
        try:
            verdict = await case.run(ctx)
        except Exception as exc:
            ended.append(exc)
            raise
        if verdict is not None and not isinstance(verdict, Verdict):
            raise TypeError(f"case returned {verdict!r}, not a Verdict or None")
        ended.append(verdict or Verdict())
    return verdict or Verdict()


async def run_case(case: Case, endpoint: Endpoint, settings: RunSettings, *,
                   run_start: float = 0.0, halt: Halt | None = None,
                   memory: MemoryProbe | None = None) -> CaseResult:
    """Run one case to a result; never raises (except cancellation).

    ``endpoint`` is the target's address with the user's options; the case gets both side by side, and
    ``memory``, the target's memory probe where its resources are sampled.
    ``halt`` is shared by the cases of a run: this case stops the run when the target cannot be reached
    (or has been silent: :mod:`conformance.halt`), and is itself cancelled when another case stops it.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    timeout = settings.case_timeout(case)
    halt = halt if halt is not None else Halt()
    address = endpoint.address.for_suite(case.spec)
    transcript = Transcript()
    env = CaseEnv(endpoint.address, endpoint.options, case.spec, start + timeout, transcript,
                  min(settings.close_timeout, timeout / 2), memory)
    verdict: Verdict | None = None
    outcome: Outcome | None = None
    error = ""
    with halt.watching(transcript):
        try:
            ended: list[Verdict | BaseException] = []
            verdict = await _bounded(_body(case, env, ended), timeout, halt.event, ended)
        except CaseFailed as exc:
            verdict = exc.verdict()
        except Skip as exc:
            outcome, error = Outcome.SKIPPED, exc.reason
        except _Halted:
            outcome, error = Outcome.ERRORED, f"not finished: the run stopped: {halt.reason}"
        except _CaseTimedOut:
            outcome, error = Outcome.ERRORED, f"case timed out after {timeout}s"
        except (asyncio.TimeoutError, TimeoutError) as exc:  # a wait inside the case: no connection...
            what = str(exc) or f"{exception_name(exc)} (no message)"
            outcome, error = Outcome.ERRORED, f"timed out: {what}"
        except OSError as exc:
            problem = describe(exc, address, answered=heard(transcript))
            outcome, error = Outcome.ERRORED, problem.message
            if problem.unreachable:
                halt.stop(problem.message)
        except Exception as exc:
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            outcome, error = (Outcome.ERRORED,
                              f"harness error: {type(exc).__name__}: {exc}\n{''.join(tb[-3:])}")
    if error:
        transcript.note(error.splitlines()[0])
    end = loop.time()
    what = error or (verdict.actual if verdict is not None and verdict.outcome is Outcome.FAILED else "")
    if outcome is not Outcome.SKIPPED and what and end - start >= timeout / 2 and halt.silent():
        halt.stop(f"{address.url} sent nothing to any case in {end - start:.1f}s "
                  f"(the first: {case.id}: {what.splitlines()[0]})")
    return case_result(case, verdict=verdict, outcome=outcome, error=error, transcript=transcript,
                       started=start - run_start, duration_s=end - start)


async def run_cases(cases: Sequence[Case], endpoint: Endpoint, settings: RunSettings,
                    progress: Progress | None = None, halt: Halt | None = None, *,
                    started: Started | None = None, memory: MemoryProbe | None = None
                    ) -> tuple[list[CaseResult], bool]:
    """Run ``cases`` against ``endpoint`` (address and options) in two phases: first every case that is
    not ``exclusive``, at most ``settings.jobs`` at once; then the exclusive ones one at a time, nothing
    else running (their verdict measures the whole target, see :attr:`Case.exclusive`).

    ``started`` (if given) is called with each case as it starts, ``progress`` with each result as it
    finishes. Returns the results in the order of ``cases`` and whether the run timeout cut the run short.
    ``halt`` (made here when None) says afterwards whether the target could not be reached: then the
    cases not started are errored with its reason. ``memory`` reads the target's memory for the cases that
    report it (None: the target's resources are not sampled).
    """
    halt = halt if halt is not None else Halt()
    loop = asyncio.get_running_loop()
    run_start = loop.time()
    results: list[CaseResult | None] = [None] * len(cases)
    done = 0

    async def worker(queue: list[tuple[int, Case]]) -> None:
        nonlocal done
        while queue and not halt.reason:
            index, case = queue.pop()
            if started is not None:
                started(case)
            results[index] = await run_case(case, endpoint, settings, run_start=run_start, halt=halt,
                                            memory=memory)
            done += 1
            if progress is not None:
                progress(results[index], done, len(cases))  # type: ignore[arg-type]

    async def phases() -> None:
        shared = [(i, c) for i, c in reversed(list(enumerate(cases))) if not c.exclusive]
        alone = [(i, c) for i, c in reversed(list(enumerate(cases))) if c.exclusive]
        await asyncio.gather(*(worker(shared) for _ in range(min(settings.jobs, len(shared)))))
        await worker(alone)

    run = asyncio.ensure_future(phases())
    _, pending = await asyncio.wait({run}, timeout=settings.run_timeout)
    timed_out = bool(pending)
    if pending:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
    final = []
    for i, case in enumerate(cases):
        result = results[i]
        if result is None:
            why = (f"not run: the run stopped: {halt.reason}" if halt.reason else
                   f"not finished: the run timeout of {settings.run_timeout}s was reached")
            result = case_result(case, outcome=Outcome.ERRORED, error=why)
        final.append(result)
    return final, timed_out


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string (for ``started_at``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
