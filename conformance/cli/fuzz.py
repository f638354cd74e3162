"""``rtconform fuzz`` and ``rtconform replay``: the wire fuzzer's command line.

``rtconform fuzz --target URL --duration S [--seed N]`` fuzzes an echo server over the wire and writes
``<report-dir>/<host_port>/fuzz.json`` plus one case file per finding under ``fuzz-cases/``, replacing an
earlier session there; when ``rtconform run`` left that target's run there, its HTML report gains a
Fuzzing section, and the command says which run it joined.
``rtconform replay FILE --target URL`` runs a case file again and prints the verdict and transcript.

Exit codes (:class:`~conformance.exitcodes.ExitCode`): 0 nothing found (replay: the finding did not
reproduce); 1 findings (replay: it reproduced); 2 usage error; 3 the target could not be reached.
The fuzzer itself is :mod:`conformance.wirefuzz`; the HTML report's Fuzzing section is refreshed by
:mod:`conformance.reporting.fuzzreport`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from conformance.cli.args import UsageError, positive
from conformance.exitcodes import ExitCode
from conformance.reporting.folders import run_info
from conformance.reporting.fuzzreport import refresh
from conformance.wire.endpoint import Endpoint, parse_url
from conformance.wirefuzz.casefile import load_plan
from conformance.wirefuzz.execute import execute, liveness
from conformance.wirefuzz.session import FuzzSettings, fuzz

__all__ = ["add_parsers", "fuzz_command", "replay_command"]

_positive = positive(float)


def add_parsers(sub: Any) -> None:
    """Add ``fuzz`` and ``replay``."""
    f = sub.add_parser("fuzz", help="fuzz a WebSocket echo server over the wire")
    f.add_argument("--target", "-t", default=os.environ.get("TARGET") or None, metavar="URL",
                   help="ws://host:port/path (default: $TARGET)")
    f.add_argument("--duration", "-d", type=_positive, default=30.0, help="seconds of fuzzing (30)")
    f.add_argument("--seed", type=int, default=None, help="session seed (default: random, printed)")
    f.add_argument("--timeout", type=_positive, default=3.0, help="seconds the target has per plan (3)")
    f.add_argument("--max-findings", type=int, default=20, help="stop after this many findings (20)")
    f.add_argument("--report-dir", default="reports", metavar="DIR",
                   help="write fuzz.json and fuzz-cases/ under DIR/<target>/ (default reports/)")
    f.add_argument("--no-reports", action="store_true", help="write no files")
    f.add_argument("--quiet", "-q", action="store_true", help="print only the result line")
    r = sub.add_parser("replay", help="run a fuzz case file again")
    r.add_argument("file", metavar="FILE", help="a case file written by rtconform fuzz")
    r.add_argument("--target", "-t", default=os.environ.get("TARGET") or None, metavar="URL",
                   help="ws://host:port/path (default: $TARGET)")
    r.add_argument("--timeout", type=_positive, default=3.0, help="seconds the target has (3)")
    f.set_defaults(handler=fuzz_command)
    r.set_defaults(handler=replay_command)


def _endpoint(url: str | None) -> Endpoint:
    if not url:
        raise UsageError("--target URL is required (or set TARGET)")
    try:
        return parse_url(url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


async def _fuzz(args: argparse.Namespace, endpoint: Endpoint) -> int:
    probe = await liveness(endpoint, timeout=args.timeout)
    if not probe.ok:
        sys.stderr.write(f"rtconform: target not usable as an echo server: {probe.detail}\n")
        return ExitCode.TOOL
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    settings = FuzzSettings(duration=args.duration, seed=seed, timeout=args.timeout,
                            max_findings=max(1, args.max_findings))
    out = None if args.no_reports else Path(args.report_dir) / endpoint.name
    say = None if args.quiet else (lambda line: print(line, flush=True))
    if out is not None:
        where = _claim_fuzz_folder(out)
        if say is not None:
            say(where)
    if say is not None:
        say(f"fuzzing {endpoint.url} for {args.duration:g}s, seed {seed}")
    result = await fuzz(endpoint, settings, out, say)
    print(f"{len(result.findings)} finding(s) in {result.plans} plans "
          f"({result.violations} with a violation), seed {seed}"
          + (f"; report: {out / 'fuzz.json'}" if out is not None else ""))
    if out is not None and (index := refresh(out)) is not None:  # the Fuzzing section of the HTML report
        print(f"html report: {index}")
    return ExitCode.FAILED if result.findings else ExitCode.OK


def _claim_fuzz_folder(folder: Path) -> str:
    """Make ``folder`` ready for a new fuzz session: an earlier session's ``fuzz.json`` and
    ``fuzz-cases/`` are removed (sessions are never merged); a conformance run there stays, and the
    session is shown in its report. Returns a line saying which run the session joins."""
    earlier = (folder / "fuzz.json").is_file() or (folder / "fuzz-cases").is_dir()
    (folder / "fuzz.json").unlink(missing_ok=True)
    if (folder / "fuzz-cases").is_dir():
        shutil.rmtree(folder / "fuzz-cases")
    info = run_info(folder)
    joins = (f"the session joins the report of {info.describe()}" if info is not None
             else f"no conformance run in {folder}: the session gets a report of its own there")
    return joins + ("; it replaces the earlier fuzz session there" if earlier else "")


async def _replay(args: argparse.Namespace, endpoint: Endpoint) -> int:
    try:
        plan, doc = load_plan(Path(args.file))
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    try:
        verdict = await execute(plan, endpoint, timeout=args.timeout)
    except OSError as exc:
        sys.stderr.write(f"rtconform: cannot connect to {endpoint.url}: {exc}\n")
        return ExitCode.TOOL
    for entry in verdict.transcript.entries:
        print(entry.render())
    was = doc.get("finding", {}).get("kind", "?")
    if verdict.ok:
        print(f"not reproduced: the target behaved (the case file recorded {was!r})")
        return ExitCode.OK
    print(f"reproduced: {verdict.kind}: {verdict.detail}")
    return ExitCode.FAILED


def fuzz_command(args: argparse.Namespace) -> int:
    """``rtconform fuzz``; returns the exit code."""
    return asyncio.run(_fuzz(args, _endpoint(args.target)))


def replay_command(args: argparse.Namespace) -> int:
    """``rtconform replay``; returns the exit code."""
    return asyncio.run(_replay(args, _endpoint(args.target)))
