"""`python -m lessonlib.grade`: a class with every kind of broken submission is graded to
the end, one CSV row per student and task, a feedback file each."""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from homework_solutions import source

ROOT = Path(__file__).resolve().parents[2]
NAMES = {
    "task1": "01_basic_reconnect.ipynb",
    "task3": "03_trading_with_a_breaker.ipynb",
    "task4": "04_health_monitor.ipynb",
}


def hand_in(folder: Path, student: str, task: str, code: str | None = None, raw: str = "") -> None:
    """The exercise notebook with ``code`` in its solution cell, or a file holding ``raw``."""
    path = folder / student / NAMES[task]
    path.parent.mkdir(parents=True, exist_ok=True)
    if code is None:
        path.write_text(raw)
        return
    notebook = nbformat.read(ROOT / "exercises" / NAMES[task], as_version=4)
    for cell in notebook.cells:
        if "solution" in cell.metadata.get("tags", []):
            cell.source = code
    nbformat.write(notebook, path)


def grade(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lessonlib.grade", *arguments],
        capture_output=True,
        text=True,
        timeout=GUARD,
        cwd=ROOT,
    )


GUARD = 600  # seconds: a whole grading run, on a loaded machine; fires only on a real hang
# The class is graded with limits no loaded machine comes near, so that a correct solution's
# marks cannot depend on the machine's speed. The two submissions that are about the limits
# (a cell that never ends, a notebook that ignores the interrupt) are graded in runs of their
# own with short ones, which they exceed however fast the machine is.
CLASS_LIMITS = ("--cell-timeout", "120", "--timeout", "300")
ENDLESS_CELL_LIMITS = ("--cell-timeout", "3", "--timeout", "300")
DEAF_LIMITS = ("--cell-timeout", "3", "--timeout", "20")


pytestmark = pytest.mark.timeout(GUARD)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict]:
    root = tmp_path_factory.mktemp("submissions")
    folder, endless, deaf_folder = root / "class", root / "endless", root / "deaf"
    hand_in(folder, "alice", "task1", source("task1_reference"))
    hand_in(folder, "alice", "task4", source("task4_reference"))
    hand_in(folder, "bob", "task1", source("task1_reference").replace("= 30.0", "= 60.0"))
    hand_in(folder, "carol", "task1", "class FeedClient(:\n    pass")
    checked_in_place = source("task1_reference") + '\ncheck("task1")\n'
    hand_in(folder, "heidi", "task1", checked_in_place)
    hand_in(endless, "dave", "task4", "while True:\n    pass")
    hand_in(folder, "eve", "task3", "import os\nos._exit(1)")
    hand_in(folder, "frank", "task4", raw="{not json")
    hand_in(folder, "grace", "task1", raw="")
    deaf = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(600)"
    hand_in(deaf_folder, "ivan", "task3", deaf)
    stray = folder / "judy" / "my_notes.ipynb"
    stray.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), stray)
    grades = root.parent / "grades"
    feedback = grades / "feedback"
    runs = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lessonlib.grade",
                str(submissions),
                "--out",
                str(grades / f"{name}.csv"),
                "--feedback",
                str(feedback),
                "--seed",
                "4242",
                *limits,
                *(["--workers", "1"] if name != "class" else []),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for name, submissions, limits in [
            ("class", folder, CLASS_LIMITS),
            ("endless", endless, ENDLESS_CELL_LIMITS),
            ("deaf", deaf_folder, DEAF_LIMITS),
        ]
    }  # at once: the deaf one's 20 s pass while the class is graded
    printed = {}
    for name, run in runs.items():
        out, err = run.communicate(timeout=GUARD)
        assert run.returncode == 0, err
        printed[name] = out
    rows = {}
    for name in runs:
        with (grades / f"{name}.csv").open() as file:
            rows |= {(row["student"], row["task"]): row for row in csv.DictReader(file)}
    return grades / "class.csv", printed["class"], rows


def test_every_submission_gets_a_row_and_the_batch_finishes(graded_class) -> None:
    _, printed, rows = graded_class
    assert len(rows) == 11
    assert "5 of 9 notebooks graded in" in printed
    assert "not graded:" in printed and "seed 4242" in printed


def test_correct_solutions_get_full_marks_on_the_grading_seed(graded_class) -> None:
    _, _, rows = graded_class
    full_marks = [
        ("alice", "task1", "12"),
        ("alice", "task4", "10"),
        ("heidi", "task1", "12"),  # the check called in the solution's own cell
    ]
    for student, task, points in full_marks:
        row = rows[student, task]
        assert (row["points"], row["max_points"], row["status"]) == (points, points, "graded")
    assert row["seed"] == "4242"


def test_a_wrong_solution_loses_the_right_points_with_each_sub_check_in_its_columns(
    graded_class,
) -> None:
    _, _, rows = graded_class
    bob = rows["bob", "task1"]
    assert int(bob["points"]) <= 10
    assert bob["task1: the waits are capped at 30 s"] == "0"
    assert bob["task1: backoff reset after a healthy spell"] == "1"


@pytest.mark.parametrize(
    ("student", "task", "status"),
    [
        ("carol", "task1", "graded"),
        ("dave", "task4", "graded"),
        ("eve", "task3", "the kernel died"),
        ("frank", "task4", "not a notebook"),
        ("grace", "task1", "not a notebook"),
        ("ivan", "task3", "over the time limit of 20 s"),  # DEAF_LIMITS
        ("judy", "", "no homework task found"),
    ],
)
def test_a_broken_submission_gets_a_row_saying_what_happened(
    graded_class, student: str, task: str, status: str
) -> None:
    _, _, rows = graded_class
    row = rows[student, task]
    assert row["status"].startswith(status), row
    assert row["points"] == "0"
    if student == "carol":
        assert "SyntaxError" in row["errors"]


def test_each_student_gets_feedback_that_names_what_went_wrong(graded_class) -> None:
    out, _, _ = graded_class
    feedback = out.parent / "feedback"
    assert len(list(feedback.glob("*.md"))) == 10
    bob = (feedback / "bob.md").read_text()
    assert "cap above 30 s" in bob and "/ 12 points" in bob
    carol = (feedback / "carol.md").read_text()
    assert "SyntaxError" in carol and "there is no `FeedClient` yet" in carol
    dave = (feedback / "dave.md").read_text()
    assert "ran longer than 3 s and was stopped" in dave


def test_gradescope_results_for_one_submission(tmp_path: Path) -> None:
    hand_in(tmp_path / "in", "alice", "task4", source("task4_reference"))
    out = tmp_path / "results" / "grades.csv"
    done = grade(str(tmp_path / "in"), "--out", str(out), "--format", "gradescope")
    assert done.returncode == 0, done.stderr
    results = json.loads((out.parent / "results.json").read_text())
    assert results["score"] == 10
    assert len(results["tests"]) == 7
    assert all(t["score"] == t["max_score"] for t in results["tests"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["no/such/folder", "--out", "x.csv"], "no such file or folder: 'no/such/folder'"),
        (["exercises", "--out", "x.csv", "--workers", "0"], "--workers must be greater than 0"),
    ],
)
def test_bad_arguments_are_named(arguments: list[str], message: str) -> None:
    done = grade(*arguments)
    assert done.returncode == 2
    assert message in done.stderr


def test_no_notebooks_found_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = grade(str(tmp_path / "empty"), "--out", str(tmp_path / "grades.csv"))
    assert done.returncode == 2
    assert "no notebooks (*.ipynb) found" in done.stderr


@pytest.mark.parametrize(
    ("out", "message"),
    [("folder", "is a folder"), ("readonly/grades.csv", "cannot write into")],
)
def test_an_unwritable_out_is_refused_before_grading(tmp_path: Path, out: str, message: str):
    hand_in(tmp_path / "in", "alice", "task4", source("task4_reference"))
    (tmp_path / "folder").mkdir()
    (tmp_path / "readonly").write_text("a file, so nothing can be made inside it")
    done = grade(str(tmp_path / "in"), "--out", str(tmp_path / out))
    assert done.returncode == 2
    assert message in done.stderr and "grading" not in done.stdout


def test_gradescope_refuses_several_students(tmp_path: Path) -> None:
    for student in ("alice", "bob"):
        hand_in(tmp_path / "in", student, "task4", source("task4_reference"))
    out = tmp_path / "grades.csv"
    done = grade(str(tmp_path / "in"), "--out", str(out), "--format", "gradescope")
    assert done.returncode == 2
    assert "one student's submission at a time" in done.stderr and "alice, bob" in done.stderr
    assert not (tmp_path / "results.json").exists()


SLOW = ("--workers", "1", "--cell-timeout", "600", "--timeout", "900", "--seed", "1")


def test_ctrl_c_stops_at_once_and_keeps_the_rows_graded(tmp_path: Path) -> None:
    hand_in(tmp_path / "in", "a_alice", "task4", source("task4_reference"))
    hand_in(tmp_path / "in", "b_endless", "task4", "while True:\n    pass")
    hand_in(tmp_path / "in", "c_later", "task4", source("task4_reference"))
    out = tmp_path / "grades.csv"
    run = subprocess.Popen(
        [sys.executable, "-m", "lessonlib.grade", str(tmp_path / "in"), "--out", str(out), *SLOW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    seen = b""
    while b"1/3" not in seen:  # alice graded: the endless one is running now
        chunk = run.stderr.read1(100)
        assert chunk, seen
        seen += chunk
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)  # far below the 600 s the endless cell would take
    assert run.returncode == 130, err
    with out.open() as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    assert (rows["a_alice"]["points"], rows["a_alice"]["status"]) == ("10", "graded")
    for student in ("b_endless", "c_later"):
        assert rows[student]["status"].startswith("incomplete"), rows[student]


def test_a_rerun_with_the_printed_seed_repeats_every_row(tmp_path: Path) -> None:
    hand_in(tmp_path / "in", "alice", "task4", source("task4_reference"))
    hand_in(tmp_path / "in", "bob", "task1", source("task1_reference").replace("= 30.0", "= 60.0"))
    hand_in(tmp_path / "in", "carol", "task1", "class FeedClient(:\n    pass")
    first = grade(str(tmp_path / "in"), "--out", str(tmp_path / "first" / "grades.csv"))
    assert first.returncode == 0, first.stderr
    seed = re.search(r"--seed (\d+)", first.stdout)[1]
    again = grade(str(tmp_path / "in"), "--out", str(tmp_path / "again.csv"), "--seed", seed)
    assert again.returncode == 0, again.stderr

    def rows(path: Path) -> list[dict[str, str]]:
        with path.open() as file:
            return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(file)]

    assert rows(tmp_path / "first" / "grades.csv") == rows(tmp_path / "again.csv")
    assert {r["seed"] for r in rows(tmp_path / "again.csv")} == {seed}
    bob = (tmp_path / "first" / "feedback" / "bob.md").read_text()
    scenario = rows(tmp_path / "again.csv")[1]["scenario_seed"]
    assert f"--seed {seed}" in bob and f"scenario seed {scenario}" in bob
    carol = (tmp_path / "first" / "feedback" / "carol.md").read_text().splitlines()
    assert carol[4].startswith("Your notebook raised an error: cell ")
    assert "SyntaxError" in carol[4]
