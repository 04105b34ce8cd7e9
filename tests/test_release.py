"""The student edition (`python -m lessonlib.release DIR`): no solution in it, and its checks
still grade a notebook's code the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lessonlib.release import COURSE, main

SOLUTIONS = COURSE / "tests" / "homework" / "solutions"


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("edition") / "course"
    assert main([str(target)]) == 0
    return target


def test_the_edition_holds_no_solution_and_no_mistake_set(edition: Path) -> None:
    files = [p for p in edition.rglob("*") if p.is_file()]
    assert (edition / "exercises" / "01_basic_reconnect.ipynb").exists()
    assert not [p for p in files if "mistakes" in p.name or "solution" in p.name]
    texts = [p.read_text(errors="replace") for p in files]
    for solution in SOLUTIONS.glob("*.py"):
        body = {line for line in solution.read_text().splitlines() if len(line.strip()) > 30}
        # the exercise notebooks share a solution's signatures, never most of its lines
        for text in texts:
            shared = sum(1 for line in body if line in text)
            assert shared < len(body) / 2, solution.name


def test_the_edition_withholds_the_guide_in_every_language_and_keeps_the_glossary(
    edition: Path,
) -> None:
    guides = sorted(p.name for p in (COURSE / "docs").glob("instructors*.md"))
    assert {"instructors.md", "instructors.ru.md"} <= set(guides)
    assert not list((edition / "docs").glob("instructors*"))
    assert (edition / "docs" / "glossary.md").exists()
    assert (edition / "README.ru.md").exists()


def test_the_edition_checks_like_the_course(edition: Path) -> None:
    code = (SOLUTIONS / "task4_reference.py").read_text()
    script = (
        "from lessonlib.homework import check\n"
        f"exec({code!r})\n"
        "import json; print(json.dumps(check('task4').to_dict()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=edition,
        env=os.environ | {"PYTHONPATH": str(edition)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["points"] == report["max_points"] == 10


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "something").write_text("x")
    assert main([str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
