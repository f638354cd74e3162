"""Hypothesis profiles for every test: fast by default, ``HYPOTHESIS_PROFILE=nightly`` for long runs.

``fast`` keeps the property tests in the seconds range under tox; ``nightly`` runs 100 times more
examples. With ``CI`` set, ``fast`` is derandomised and keeps no example database (Hypothesis' own
``ci`` profile does the same), so CI runs are reproducible; long randomised runs need ``nightly``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_CI = {"derandomize": True, "database": None} if os.environ.get("CI") else {}
settings.register_profile("fast", max_examples=50, deadline=None, **_CI)  # type: ignore[arg-type]
settings.register_profile("nightly", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
