"""The runner: run selected cases concurrently against an endpoint, each with its own timeout.

Protocol-neutral: a case's context comes from its suite (:func:`conformance.registry.suite`), which gets
the target's address and the user's connection options side by side (:class:`~conformance.suites.CaseEnv`)
and makes the case's endpoint from them in one place. Nothing a case or the target does
ends the run: a timeout, a refused connection or a bug in a case is that case's ``errored`` outcome.
Cases run on at most ``jobs`` connections at once, except ``exclusive`` cases (they measure the whole
target: a stream's silence, a poll's hold): those run afterwards, one at a time, with nothing else running.
The run as a whole stops at ``run_timeout`` (cases still running are cancelled, cases not started are
reported errored).
"""

from __future__ import annotations

import asyncio
import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from conformance.model import Case, CaseFailed, Outcome, Skip, Verdict
from conformance.registry import suite as suite_of
from conformance.results import CaseResult, case_result
from conformance.suites import CaseEnv
from conformance.wire.endpoint import Endpoint
from conformance.wire.transcript import Transcript

__all__ = ["RunSettings", "default_jobs", "run_case", "run_cases"]

Progress = Callable[[CaseResult, int, int], None]


def default_jobs() -> int:
    """Concurrent cases by default: 8 per CPU, at most 32."""
    return min(32, 8 * (os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How to run cases.

    Attributes:
        jobs: cases running at once (each on its own connection).
        timeout: per-case timeout in seconds (a case's own ``timeout`` overrides it).
        run_timeout: the whole run's timeout in seconds, or None.
        close_timeout: how long verifiers wait for closing handshakes and TCP closes.
    """

    jobs: int = 8
    timeout: float = 5.0
    run_timeout: float | None = None
    close_timeout: float = 2.0

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, not {self.timeout}")
        if self.run_timeout is not None and not self.run_timeout > 0:
            raise ValueError(f"run timeout must be positive, not {self.run_timeout}")


async def _body(case: Case, env: CaseEnv) -> Verdict:
    suite = suite_of(case.spec)
    if suite is None:
        raise LookupError(f"no catalog package declares a suite for spec {case.spec!r}")
    async with suite.context(case, env) as ctx:
        verdict = await case.run(ctx)
    if verdict is None:
        return Verdict()
    if not isinstance(verdict, Verdict):
        raise TypeError(f"case returned {verdict!r}, not a Verdict or None")
    return verdict


async def run_case(case: Case, endpoint: Endpoint, settings: RunSettings, *,
                   run_start: float = 0.0) -> CaseResult:
    """Run one case to a result; never raises (except cancellation).

    ``endpoint`` is the target's address with the user's options; the case gets both side by side.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    timeout = case.timeout or settings.timeout
    transcript = Transcript()
    env = CaseEnv(endpoint.address, endpoint.options, case.spec, start + timeout, transcript,
                  min(settings.close_timeout, timeout / 2))
    verdict: Verdict | None = None
    outcome: Outcome | None = None
    error = ""
    try:
        verdict = await asyncio.wait_for(_body(case, env), timeout)
    except CaseFailed as exc:
        verdict = exc.verdict()
    except Skip as exc:
        outcome, error = Outcome.SKIPPED, exc.reason
    except asyncio.TimeoutError:
        outcome, error = Outcome.ERRORED, f"case timed out after {timeout}s"
    except OSError as exc:
        outcome, error = Outcome.ERRORED, f"connection error: {exc or type(exc).__name__}"
    except Exception as exc:
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        outcome, error = Outcome.ERRORED, f"harness error: {type(exc).__name__}: {exc}\n{''.join(tb[-3:])}"
    if error:
        transcript.note(error.splitlines()[0])
    end = loop.time()
    return case_result(case, verdict=verdict, outcome=outcome, error=error, transcript=transcript,
                       started=start - run_start, duration_s=end - start)


async def run_cases(cases: Sequence[Case], endpoint: Endpoint, settings: RunSettings,
                    progress: Progress | None = None) -> tuple[list[CaseResult], bool]:
    """Run ``cases`` against ``endpoint`` (address and options) in two phases: first every case that is
    not ``exclusive``, at most ``settings.jobs`` at once; then the exclusive ones one at a time, nothing
    else running (their verdict measures the whole target, see :attr:`Case.exclusive`).

    Returns the results in the order of ``cases`` and whether the run timeout cut the run short.
    """
    loop = asyncio.get_running_loop()
    run_start = loop.time()
    results: list[CaseResult | None] = [None] * len(cases)
    done = 0

    async def worker(queue: list[tuple[int, Case]]) -> None:
        nonlocal done
        while queue:
            index, case = queue.pop()
            results[index] = await run_case(case, endpoint, settings, run_start=run_start)
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
            why = f"not finished: the run timeout of {settings.run_timeout}s was reached"
            result = case_result(case, outcome=Outcome.ERRORED, error=why)
        final.append(result)
    return final, timed_out


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string (for ``started_at``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
