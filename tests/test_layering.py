"""Dependencies flow one way; this test reads the import statements of every module and enforces it.

* ``reference.core`` is sans-IO: standard library only, and none of the modules that do I/O or read clocks.
* ``conformance`` is an independent oracle: it never imports ``reference``.
* ``conformance.wire`` (the raw clients) knows nothing of verdicts: only verifiers raise ``CaseFailed``;
  its protocol modules (``wsconn.py``) are sans-IO like ``reference.core``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

IO_MODULES = frozenset(
    {"asyncio", "socket", "selectors", "select", "ssl", "threading", "multiprocessing", "subprocess",
     "time", "random", "secrets", "signal", "concurrent"}
)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_core_has_modules_to_check() -> None:
    assert python_files("reference/core"), "reference/core has no modules"


@pytest.mark.parametrize("path", python_files("reference/core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_reference_core_imports_only_sans_io_stdlib(path: Path) -> None:
    bad = []
    for lineno, module in imported_modules(path):
        top = module.split(".")[0]
        if top == "reference" or top == "__future__":
            if module.startswith("reference.") and not module.startswith("reference.core"):
                bad.append(f"{lineno}: {module} (core may not import the servers)")
            continue
        if top not in sys.stdlib_module_names:
            bad.append(f"{lineno}: {module} (not in the standard library)")
        elif top in IO_MODULES:
            bad.append(f"{lineno}: {module} (does I/O or reads a clock)")
    assert not bad, f"{path.relative_to(ROOT)}:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", python_files("conformance"), ids=lambda p: str(p.relative_to(ROOT)))
def test_conformance_never_imports_reference(path: Path) -> None:
    bad = [f"{n}: {m}" for n, m in imported_modules(path) if m.split(".")[0] == "reference"]
    assert not bad, f"{path.relative_to(ROOT)} imports the reference package:\n" + "\n".join(bad)


def test_layering_check_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself can go red: a module importing asyncio is reported."""
    bad = tmp_path / "m.py"
    bad.write_text("import asyncio\nfrom reference.servers import ws\n", encoding="utf-8")
    assert [m for _, m in imported_modules(bad)] == ["asyncio", "reference.servers"]


#: What the raw clients (every module of conformance/wire) may not know about: verdicts, the catalog and its
#: verifiers. They return what happened; only the catalog's verifiers and contexts judge (raise CaseFailed).
VERDICT_MODULES = ("conformance.model", "conformance.catalog", "conformance.expect")
#: The runner's sans-IO protocol modules (bytes in, state out; the I/O is in wire/stream.py).
SANS_IO_WIRE = ("conformance/wire/wsconn.py", "conformance/wire/httpread.py")


def _is_within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


@pytest.mark.parametrize("path", python_files("conformance/wire"), ids=lambda p: str(p.relative_to(ROOT)))
def test_wire_clients_know_nothing_of_verdicts(path: Path) -> None:
    bad = [f"{n}: {m}" for n, m in imported_modules(path) if _is_within(m, VERDICT_MODULES)]
    assert not bad, f"{path.relative_to(ROOT)} imports the verdict layer:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", SANS_IO_WIRE)
def test_wire_protocol_modules_do_no_io(name: str) -> None:
    bad = [f"{n}: {m}" for n, m in imported_modules(ROOT / name) if m.split(".")[0] in IO_MODULES]
    assert not bad, f"{name} does I/O or reads a clock:\n" + "\n".join(bad)


def test_wire_checks_see_a_violation(tmp_path: Path) -> None:
    """Both wire checks can go red: a verdict import and an asyncio import are found."""
    bad = tmp_path / "m.py"
    source = "import asyncio\nfrom conformance.model import CaseFailed\nfrom conformance.modelling import x\n"
    bad.write_text(source, encoding="utf-8")
    found = [m for _, m in imported_modules(bad)]
    assert [m for m in found if _is_within(m, VERDICT_MODULES)] == ["conformance.model"]
    assert [m for m in found if m.split(".")[0] in IO_MODULES] == ["asyncio"]
