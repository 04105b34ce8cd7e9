"""What the repository promises beside its code: the protocol students read is the shared
contract, and Binder finds what it needs at the top."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "PROTOCOL.md"


@pytest.mark.skipif(not SHARED.exists(), reason="the shared PROTOCOL.md is not beside the clone")
def test_the_protocol_in_the_repository_is_the_shared_contract() -> None:
    assert (ROOT / "PROTOCOL.md").read_text() == SHARED.read_text()


def test_binder_finds_the_requirements_and_a_python_the_course_supports() -> None:
    requirements = (ROOT / "requirements.txt").read_text().split()
    assert "-e" in requirements and "." in requirements  # installs lessonlib itself
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"
    assert 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text()
