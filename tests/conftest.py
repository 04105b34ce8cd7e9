"""Settings for the whole suite."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Hypothesis's 200 ms deadline and its too-slow health check time each example on the wall
# clock, so a busy machine fails tests a quiet one passes: verdicts must not depend on machine
# speed (pytest-timeout still stops a real hang). Examples stay random (no derandomize), so
# each run tries new cases; a failure prints the seed to repeat it with.
settings.register_profile(
    "suite",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=False,
)
# `make test` and CI use "suite"; HYPOTHESIS_PROFILE=default gives Hypothesis's own settings.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))
