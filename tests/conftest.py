"""Settings for the whole suite."""

from __future__ import annotations

import os

import pytest
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


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup` (`make test`), tests that share a costly fixture of the suite's
    own, made once per module or per session (a graded class, a JupyterLab), run in one
    worker, so that it is made once; every other test goes to whichever worker is free."""
    for item in items:
        group = _shared_fixture_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _shared_fixture_group(item: pytest.Item) -> str | None:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    shared = []
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if not definitions:
            continue
        fixture = definitions[-1]
        if fixture.scope in ("module", "package", "session") and _is_the_suites(fixture):
            shared.append((fixture.scope, fixture.baseid, name))
    if not shared:
        return None
    if any(scope == "module" for scope, _, _ in shared):
        return item.path.stem  # one module's tests together
    return "+".join(sorted(name for _, _, name in shared))


def _is_the_suites(fixture: object) -> bool:
    """Defined in tests/ (a conftest or a test module), not by pytest or a plugin."""
    module = getattr(getattr(fixture, "func", None), "__module__", "") or ""
    return bool(getattr(fixture, "baseid", "")) and not module.startswith(("_pytest", "pytest"))
