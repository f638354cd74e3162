"""Hypothesis profiles for every test: fast by default, ``HYPOTHESIS_PROFILE=nightly`` for long runs.

``fast`` keeps the property tests in the seconds range under tox; ``nightly`` runs 100 times more
examples. With ``CI`` set, ``fast`` is derandomised and keeps no example database (Hypothesis' own
``ci`` profile does the same), so CI runs are reproducible; long randomised runs need ``nightly``.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings


def _import_the_packages_under_test() -> None:
    """Import conformance, reference and fuzz from where they are installed, not from tests/.

    pytest puts tests/ on sys.path, and tests/conformance, tests/reference and tests/fuzz mirror the
    packages' names. An editable install resolves its packages with a finder that Python asks only after
    sys.path, so without this the test folders would be imported as namespace packages of those names.
    """
    here = Path(__file__).resolve().parent
    saved = sys.path[:]
    sys.path[:] = [entry for entry in saved if Path(entry or ".").resolve() != here]
    try:
        for package in ("conformance", "reference", "fuzz"):
            importlib.import_module(package)
    finally:
        sys.path[:] = saved


_import_the_packages_under_test()

# pytester: the tests of rtconform's pytest plugin (tests/pytestplugin) run inner pytest sessions.
pytest_plugins = ["pytester"]

_CI = {"derandomize": True, "database": None} if os.environ.get("CI") else {}
settings.register_profile("fast", max_examples=50, deadline=None, **_CI)  # type: ignore[arg-type]
settings.register_profile("nightly", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


# Components (chromium, node and the npm clients, a Docker engine, openssl...) may be missing on a
# developer's machine, and the tests that need one skip with a reason. CI installs them all and sets
# RTCONFORM_REQUIRE_COMPONENTS=1: there, a skip means a component is missing, and that is a failure.
# A test that does not apply to this platform at all (e.g. a peer library whose release for this Python
# behaves differently from the one its expectations were written for) skips with a reason starting
# with NOT_APPLICABLE; that skip stands in CI too.
REQUIRE_COMPONENTS = os.environ.get("RTCONFORM_REQUIRE_COMPONENTS") == "1"
NOT_APPLICABLE = "not applicable here: "


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if REQUIRE_COMPONENTS and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if reason.removeprefix("Skipped: ").startswith(NOT_APPLICABLE):
            return
        report.outcome = "failed"
        report.longrepr = f"skipped where every component must be present: {reason}"
