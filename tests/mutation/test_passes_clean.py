"""The other half of the proof: conforming servers must pass every MUST case.

The whole ``ws`` catalog runs (see ``conftest.catalog_runs``) against the reference server, directly and
through the proxy without a mutation (so the proxy provably changes no verdict), and against third-party
servers, whose known deviations are listed with a reason each in ``conformance/expectations/<name>.toml``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from mutation_harness import CLEAN_EXCLUDE, Results, must_not_pass, summary
from target_servers import THIRD_PARTY

from conformance import expectfile
from conformance.registry import Registry

pytestmark = pytest.mark.slow  # the whole catalog against five servers

REPO = Path(__file__).resolve().parents[2]
EXPECTATIONS = REPO / "conformance" / "expectations"


@pytest.mark.parametrize("run", ["reference", "identity", "transparent"])
def test_reference_server_passes_every_must_case(
    run: str, catalog_runs: dict[str, Results], registry: Registry
) -> None:
    """``identity`` copies bytes, ``transparent`` decodes and re-sends every frame; neither may change a
    verdict, or a red case in a proof could be the proxy's doing."""
    results = catalog_runs[run]
    assert len(results) == len(registry.select(("ws",), CLEAN_EXCLUDE))
    assert must_not_pass(results) == {}, summary(must_not_pass(results))


def installed_version(name: str) -> str | None:
    if name == "ws":
        package = REPO / "tests" / "js" / "node_modules" / "ws" / "package.json"
        text = package.read_text(encoding="utf-8") if package.is_file() else ""
        return text.split('"version": "', 1)[1].split('"', 1)[0] if '"version": "' in text else None
    try:
        return version(name)
    except PackageNotFoundError:
        return None


@pytest.mark.interop
@pytest.mark.parametrize("name", list(THIRD_PARTY))
def test_third_party_server_passes_every_must_case_but_its_known_deviations(
    name: str,
    third_party: dict[str, tuple[str, int] | str],
    catalog_runs: dict[str, Results],
    registry: Registry,
) -> None:
    known = expectfile.load(EXPECTATIONS / f"{name}.toml")
    assert expectfile.unknown_ids(known, registry.by_id.keys()) == []
    if isinstance(third_party[name], str):
        pytest.skip(f"{name}: {third_party[name]}")
    listed, installed = known.meta.get("version", ""), installed_version(name) or "?"
    if not (installed == listed or installed.startswith(listed + ".")):
        pytest.skip(f"not applicable here: {name}.toml is written for {listed}, this is {installed}")
    bad = must_not_pass(catalog_runs[name])
    unexpected = {i: r for i, r in bad.items() if (e := known.get(i)) is None or not e.matches(r.outcome)}
    assert unexpected == {}, summary(unexpected)
    fixed = sorted(known.cases.keys() - bad.keys())
    assert fixed == [], f"listed in {name}.toml but passing now, remove them: {fixed}"
