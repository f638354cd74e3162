"""pyproject.toml's dependencies cover what the shipped packages import.

``pip install rtconform[fuzz]`` must be enough for ``python -m fuzz.run`` and every harness under
``fuzz/`` (the differential one imports wsproto and websockets); ``fuzz/strategies.py`` holds the
hypothesis strategies of the property tests (``tests/properties``) and is imported by them only.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"conformance", "reference", "fuzz"}
#: distribution name -> import name, where they differ
IMPORT_NAMES = {"tomli": "tomli"}
TEST_ONLY = {"strategies.py"}


def _requirements(names: list[str]) -> set[str]:
    out = set()
    for req in names:
        dist = re.match(r"[A-Za-z0-9_.-]+", req)
        assert dist, req
        out.add(IMPORT_NAMES.get(dist.group(0), dist.group(0).lower().replace("-", "_")))
    return out


def _top_level_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_fuzz_extra_covers_every_import_of_the_fuzz_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    allowed = _requirements(project["dependencies"]) | _requirements(project["optional-dependencies"]["fuzz"])
    missing = {}
    for path in sorted((ROOT / "fuzz").glob("*.py")):
        if path.name in TEST_ONLY:
            continue
        third_party = {m for m in _top_level_imports(path)
                       if m not in sys.stdlib_module_names and m not in FIRST_PARTY and m != "__future__"}
        if third_party - allowed:
            missing[path.name] = sorted(third_party - allowed)
    assert not missing, f"imported by fuzz/ but not in the dependencies or the fuzz extra: {missing}"
    assert {"wsproto", "websockets", "atheris"} <= allowed
