"""Run every harness for a set time: ``python -m fuzz.run [--seconds N] [HARNESS ...]`` (``tox -e fuzz``).

With Atheris installed (the optional ``fuzz`` extra, Linux; 3.1.0 wheels for CPython 3.12+, 3.0.0 on
3.11), each harness runs coverage-guided for ``--seconds`` (default ``$FUZZ_SECONDS`` or 60) from its
seed corpus, with its dictionary; new inputs go to a scratch corpus (``fuzz/.work/<harness>/``, merge
them into ``fuzz/corpus/`` with ``-merge=1`` when they add coverage), and a crash is saved as a
reproducer in ``fuzz/regressions/<harness>/``, where ``tests/fuzz/test_corpus_replay.py`` turns it into
a regression test. Without Atheris, the corpus and the reproducers are replayed under pytest instead.

Exit code: 0 when no harness crashed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

__all__ = ["main"]

#: The source tree's fuzz/ (tox installs the package, but the corpus lives in the checkout it runs from).
_CHECKOUT = Path.cwd() / "fuzz"
ROOT = _CHECKOUT if (_CHECKOUT / "corpus").is_dir() else Path(__file__).resolve().parent
HARNESSES = sorted(p.stem for p in ROOT.glob("fuzz_*.py"))
_STATS = re.compile(r"Done (\d+) runs in (\d+) second")


def _atheris_available() -> bool:
    try:
        import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def _fuzz_one(name: str, seconds: int) -> bool:
    work = ROOT / ".work" / name
    crashes = ROOT / "regressions" / name
    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(ROOT / f"{name}.py"), str(work), str(ROOT / "corpus" / name),
            f"-dict={ROOT / f'{name}.dict'}", "-max_len=4096", f"-max_total_time={seconds}",
            f"-artifact_prefix={crashes}/crash-", "-print_final_stats=1"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT.parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    stats = _STATS.search(proc.stderr)
    rate = f"{int(stats[1]) / max(1, int(stats[2])):.0f} execs/s" if stats else "no stats"
    print(f"{name}: exit {proc.returncode}, {rate}", flush=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
    return proc.returncode == 0


def main(argv: list[str] | None = None) -> int:
    """Fuzz (or replay) the harnesses; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "60")))
    parser.add_argument("harness", nargs="*", help=f"some of {', '.join(HARNESSES)} (default: all)")
    args = parser.parse_args(argv)
    if unknown := set(args.harness) - set(HARNESSES):
        parser.error(f"unknown harness {sorted(unknown)!r}")
    if not _atheris_available():
        print("atheris is not installed: replaying the corpus and reproducers under pytest", flush=True)
        replay = ROOT.parent / "tests" / "fuzz" / "test_corpus_replay.py"
        return subprocess.run([sys.executable, "-m", "pytest", "-q", str(replay)], check=False).returncode
    ok = [_fuzz_one(name, args.seconds) for name in args.harness or HARNESSES]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
