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
    """The group of ``item``: its module's when it uses a module fixture of the suite's, the
    names of the session fixtures of the suite's it uses, else none. The suite's fixtures are
    those with a base id (a conftest or a test module); pytest's and plugins' have none."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    shared = set()
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if definitions and definitions[-1].baseid:
            scope = definitions[-1].scope
            if scope == "module":
                return item.path.stem  # one module's tests together
            if scope in ("package", "session"):
                shared.add(name)
    return "+".join(sorted(shared)) or None
