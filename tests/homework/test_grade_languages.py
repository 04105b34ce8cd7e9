"""The grader writes each student's feedback in the language of the notebook they handed in;
the CSV's columns, and the marks, are the same whatever the language."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from homework_solutions import source

from lessonlib.grade.submissions import language_of

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "01_basic_reconnect.ipynb"
EDITIONS = {"en": ROOT / "exercises" / NOTEBOOK, "ru": ROOT / "exercises" / "ru" / NOTEBOOK}
CAP_ABOVE_30 = source("task1_reference").replace("= 30.0", "= 60.0")

pytestmark = pytest.mark.timeout(600)


def hand_in(folder: Path, student: str, language: str, code: str) -> Path:
    """The homework in ``language`` with ``code`` in its solution cell."""
    notebook = nbformat.read(EDITIONS[language], as_version=4)
    for cell in notebook.cells:
        if "solution" in cell.metadata.get("tags", []):
            cell.source = code
    path = folder / student / NOTEBOOK
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    root = tmp_path_factory.mktemp("languages")
    hand_in(root / "class", "bob", "en", CAP_ABOVE_30)
    hand_in(root / "class", "olga", "ru", CAP_ABOVE_30)
    out = root / "grades" / "grades.csv"
    limits = ["--seed", "4242", "--cell-timeout", "120", "--timeout", "300"]
    ran = subprocess.run(
        [sys.executable, "-m", "lessonlib.grade", str(root / "class"), "--out", str(out), *limits],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert ran.returncode == 0, ran.stderr
    with out.open(encoding="utf-8") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    return rows, out.parent / "feedback"


def test_a_russian_notebook_gets_russian_feedback_and_an_english_one_english(graded) -> None:
    _, feedback = graded
    olga = (feedback / "olga.md").read_text(encoding="utf-8")
    assert "# Отзыв для olga" in olga and "/ 12 баллов" in olga
    assert "потолок выше 30 с" in olga and "cap above 30 s" not in olga
    bob = (feedback / "bob.md").read_text(encoding="utf-8")
    assert "# Feedback for bob" in bob and "cap above 30 s" in bob
    assert not any("а" <= c <= "я" for c in bob.lower())


def test_the_csv_columns_and_marks_do_not_depend_on_the_language(graded) -> None:
    rows, _ = graded
    bob, olga = rows["bob"], rows["olga"]
    assert set(bob) == set(olga)
    assert olga["task1: the waits are capped at 30 s"] == "0"
    marks = [column for column in bob if column.startswith("task1: ")] + ["points", "status"]
    assert [olga[c] for c in marks] == [bob[c] for c in marks]


@pytest.mark.parametrize(
    ("metadata", "cell", "language"),
    [
        ({"reconnect_lab": {"task": "task1", "language": "ru"}}, "", "ru"),
        ({}, 'from lessonlib import i18n\n\ni18n.use("ru")', "ru"),
        ({}, "print(1)", "en"),
        ({"reconnect_lab": {"language": "klingon"}}, "", "en"),
    ],
)
def test_the_language_of_a_notebook(tmp_path: Path, metadata: dict, cell: str, language: str):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)], metadata=metadata)
    path = tmp_path / "x.ipynb"
    nbformat.write(notebook, path)
    assert language_of(path) == language
