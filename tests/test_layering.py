"""Dependencies flow one way; this test reads the import statements of every module and enforces it.

* ``reference.core`` is sans-IO: standard library only, and none of the modules that do I/O or read clocks.
* ``conformance`` is an independent oracle: it never imports ``reference``.
* Inside ``conformance`` dependencies flow cli -> app -> (runner, targets, reporting, review) ->
  (suites, registry -> catalog) -> wire: the raw clients know no catalog, model or command line; the
  fuzzer knows no report (the reports read the fuzzer's files); only the command line imports itself;
  the protocol-neutral layers import no catalog package except through the registry's list.
* The runner's protocol modules in ``conformance.wire`` (``wsconn.py``, ``httpread.py``) are sans-IO like
  ``reference.core``.
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


def conformance_modules(package: str) -> list[Path]:
    return python_files(package.replace(".", "/"))


def _imports_under(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    return [f"{n}: {m}" for n, m in imported_modules(path)
            if any(m == p or m.startswith(p + ".") for p in prefixes)]


#: package -> the packages it must never import (statically, at any depth of its modules).
FORBIDDEN = {
    "conformance.wire": ("conformance.catalog", "conformance.model", "conformance.cli", "conformance.suites",
                         "conformance.registry", "conformance.runner", "conformance.app",
                         "conformance.targets", "conformance.reporting", "conformance.wirefuzz"),
    "conformance.wirefuzz": ("conformance.reporting", "conformance.cli", "conformance.catalog"),
    "conformance.reporting": ("conformance.cli", "conformance.app", "conformance.runner",
                              "conformance.targets", "conformance.catalog"),
    "conformance.targets": ("conformance.cli", "conformance.app", "conformance.runner",
                            "conformance.registry", "conformance.catalog", "conformance.reporting"),
    "conformance.catalog": ("conformance.cli", "conformance.app", "conformance.runner",
                            "conformance.targets", "conformance.reporting", "conformance.wirefuzz"),
}
SINGLE_MODULES = {
    "conformance/suites.py": ("conformance.catalog", "conformance.registry", "conformance.cli"),
    "conformance/runner.py": ("conformance.catalog", "conformance.cli", "conformance.app"),
    "conformance/selection.py": ("conformance.catalog", "conformance.cli", "conformance.app"),
    "conformance/app.py": ("conformance.catalog", "conformance.cli"),
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_conformance_packages_import_only_downwards(package: str) -> None:
    files = conformance_modules(package)
    assert files, f"{package} has no modules"
    bad = {}
    for path in files:
        name = str(path.relative_to(ROOT))
        found = _imports_under(path, FORBIDDEN[package])
        if found:
            bad[name] = found
    assert not bad, f"{package} imports a layer above it: {bad}"



@pytest.mark.parametrize("module", sorted(SINGLE_MODULES))
def test_neutral_modules_import_only_downwards(module: str) -> None:
    bad = _imports_under(ROOT / module, SINGLE_MODULES[module])
    assert not bad, f"{module} imports a layer above it: {bad}"


@pytest.mark.parametrize("path", python_files("conformance"), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_command_line_imports_the_command_line(path: Path) -> None:
    if path.relative_to(ROOT).parts[:2] == ("conformance", "cli") or path.name == "__main__.py":
        return
    bad = _imports_under(path, ("conformance.cli",))
    assert not bad, f"{path.relative_to(ROOT)} imports the command line: {bad}"


def _module_graph() -> dict[str, set[str]]:
    """Module -> the conformance modules it imports (``from a import b`` counts ``a.b`` if it is a module)."""
    names = {}
    for path in python_files("conformance"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in names.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                deps |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in names else node.module
                         for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
        graph[name] = {d for d in deps if d in names and d != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in stack:
                low[node] = min(low[node], index[child])
    return found


def test_conformance_has_no_import_cycles() -> None:
    assert _cycles(_module_graph()) == []


def test_cycle_check_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_downward_check_sees_a_violation(tmp_path: Path) -> None:
    """The checker can go red: a wire module importing the catalog is reported."""
    bad = tmp_path / "m.py"
    bad.write_text("from conformance.catalog.ws import verify\nimport conformance.model\n", encoding="utf-8")
    assert _imports_under(bad, FORBIDDEN["conformance.wire"]) == [
        "1: conformance.catalog.ws", "2: conformance.model"]


#: The runner's sans-IO protocol modules (bytes in, state out; the I/O is in wire/stream.py).
SANS_IO_WIRE = ("conformance/wire/wsconn.py", "conformance/wire/httpread.py")


@pytest.mark.parametrize("name", SANS_IO_WIRE)
def test_wire_protocol_modules_do_no_io(name: str) -> None:
    bad = [f"{n}: {m}" for n, m in imported_modules(ROOT / name) if m.split(".")[0] in IO_MODULES]
    assert not bad, f"{name} does I/O or reads a clock:\n" + "\n".join(bad)
