"""The three ways to give tox the target, with a real tox subprocess and the repo's tox.ini + toxfile.py:

* ``TARGET=url tox -e conformance``            (environment; tox.ini's ``set_env = TARGET={env:TARGET:}``)
* ``tox -e conformance -- --target url``        (posargs)
* ``tox -e conformance TARGET=url``             (toxfile.py plugin; plain tox 4 exits 254 on it)

To stay fast, every test shares one tox work dir, and the env skips building and installing the package
(``-x`` overrides: through PYTHONPATH the env imports the runtime dependencies from this interpreter's
site-packages, which may be a tox env's own, and the command becomes ``python -m conformance run {posargs}``
on the source tree); the ``set_env``, the posargs and the plugin are the real ones.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join([str(ROOT), *site.getsitepackages()])
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("tox") is None, reason="tox is not installed")]


@pytest.fixture(scope="session")
def tox_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("toxwork")


def tox(workdir: Path, *words: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    overrides = ["-x", "testenv:conformance.skip_install=true",
                 "-x", "testenv:conformance.commands=python -m conformance run {posargs}",
                 "-x", f"testenv:conformance.set_env+=PYTHONPATH={PYTHONPATH}"]
    full_env = {k: v for k, v in os.environ.items() if k not in ("TARGET", "TOX_ENV_NAME", "TOX_WORK_DIR")}
    full_env.update(env or {})
    argv = [sys.executable, "-m", "tox", "-c", str(ROOT / "tox.ini"), "--workdir", str(workdir), *overrides]
    return subprocess.run([*argv, *words], capture_output=True, text=True, env=full_env, timeout=120,
                          check=False)


def _check(proc: subprocess.CompletedProcess[str], url: str) -> None:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"1 cases against {url} (url)" in proc.stdout
    assert "result: 1 passed" in proc.stdout


SELECT = ["--case", "2.1", "--no-reports"]


def test_target_from_the_environment(tox_workdir: Path, websockets_url: str) -> None:
    proc = tox(tox_workdir, "-e", "conformance", "--", *SELECT, env={"TARGET": websockets_url})
    _check(proc, websockets_url)


def test_target_as_posargs(tox_workdir: Path, websockets_url: str) -> None:
    _check(tox(tox_workdir, "-e", "conformance", "--", "--target", websockets_url, *SELECT), websockets_url)


def test_target_as_key_value_word(tox_workdir: Path, websockets_url: str) -> None:
    _check(tox(tox_workdir, "-e", "conformance", f"TARGET={websockets_url}", "--", *SELECT), websockets_url)


def test_key_value_word_is_validated(tox_workdir: Path) -> None:
    proc = tox(tox_workdir, "-e", "conformance", "not-an-assignment", "--", *SELECT)
    assert proc.returncode != 0
    assert "expected KEY=VALUE" in proc.stdout + proc.stderr


def _toxfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("toxfile_under_test", ROOT / "toxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pyenv_pythons_are_appended_to_path_newest_patch_per_minor(tmp_path: Path) -> None:
    toxfile = _toxfile()
    for version, exe in (("3.10.2", "python3.10"), ("3.10.13", "python3.10"), ("3.12.1", "python3.12"),
                         ("3.11.0", None), ("3.13-dev", "python3.13"), ("pypy3.10-7.3.12", "python3.10")):
        (tmp_path / "versions" / version / "bin").mkdir(parents=True)
        if exe:
            (tmp_path / "versions" / version / "bin" / exe).write_text("")
    dirs = [tmp_path / "versions" / v / "bin" for v in ("3.10.13", "3.12.1")]
    assert toxfile.pyenv_bin_dirs(tmp_path) == dirs
    path = os.pathsep.join(["/usr/bin", str(dirs[1])])
    expected = os.pathsep.join(["/usr/bin", str(dirs[1]), str(dirs[0])])
    assert toxfile.with_pyenv_pythons(path, tmp_path) == expected
    assert toxfile.pyenv_bin_dirs(tmp_path / "nothing") == []


def _pyenv_minors() -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    dirs = _toxfile().pyenv_bin_dirs(root) if (root / "versions").is_dir() else []
    wanted = ("3.10.", "3.11.", "3.12.", "3.13.")
    return [p.parent.name.rsplit(".", 1)[0] for p in dirs if p.parent.name.startswith(wanted)]


@pytest.mark.skipif(len(_pyenv_minors()) < 2, reason="pyenv with two of Python 3.10-3.13 is not installed")
def test_tox_finds_every_python_pyenv_has(tox_workdir: Path) -> None:
    minors = _pyenv_minors()
    envs = ",".join("py" + m.replace(".", "") for m in minors)
    proc = tox(tox_workdir, "config", "-e", envs, "-k", "py_dot_ver")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for minor in minors:
        assert f"py_dot_ver = {minor}" in proc.stdout, proc.stdout
    assert "could not find python interpreter" not in proc.stdout
