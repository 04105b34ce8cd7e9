"""`make test` runs the suite in several workers (`--dist loadgroup`); tests that share a
module's costly fixture must stay in one worker, or each worker makes the fixture again (a
graded class, a minute and more each)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

CONFTEST = f"""
import importlib.util
spec = importlib.util.spec_from_file_location("suite_conftest", {str(TESTS / "conftest.py")!r})
suite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite)
pytest_collection_modifyitems = suite.pytest_collection_modifyitems  # the suite's grouping
"""

MODULE = """
import os
import pytest

@pytest.fixture(scope="module")
def costly():
    with open(os.environ["MADE"], "a") as made:
        made.write(os.environ.get("PYTEST_XDIST_WORKER", "-") + "\\n")

@pytest.mark.parametrize("case", range(8))
def test_shares_it(costly, case):
    pass

@pytest.mark.parametrize("case", range(8))
def test_needs_nothing(case):
    pass
"""


def test_a_module_fixture_is_made_once_across_the_workers(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_costly.py").write_text(MODULE)
    made = tmp_path / "made.txt"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "3",
            "--dist",
            "loadgroup",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:looptime_plugin",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MADE": str(made)},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "16 passed" in done.stdout, done.stdout
    assert len(made.read_text().splitlines()) == 1, made.read_text()
