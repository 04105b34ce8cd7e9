"""Dishonest submissions (`dishonest.TRICKS`) graded beside honest ones: each gets 0 and, where
the grader can see it, a row saying "tampering suspected"; no honest classmate loses a point,
no file the grader reads changes, and no process is left behind."""

from __future__ import annotations

import csv
import hashlib
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from dishonest import FORGER4, TRICKS
from homework_solutions import namespace, source
from test_grade import GUARD, ROOT, hand_in

from lessonlib.homework import checks

PACKAGE = ROOT / "lessonlib"
pytestmark = pytest.mark.timeout(GUARD)  # a class graded on a loaded machine; a hang still stops
# Those whose trick the grader sees for what it is; the others simply earn nothing (patching
# asyncio breaks the kernel's own loop: its grading cell never finishes, "no result").
SEEN = {
    "rewrites_the_judge",
    "replaces_the_recorder",
    "forges_the_display",
    "patches_the_clock_and_builtins",
}


def _digest(folder: Path) -> str:
    hashes = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        hashes.update(path.read_bytes())
    return hashes.hexdigest()


OPTIONS = ("--seed", "99", "--cell-timeout", "120")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("dishonest")
    honest, cheats, grades = root / "honest", root / "cheats", root / "grades"
    marker = root / "left-behind.txt"
    for student in ("honest_alice", "honest_bob"):
        hand_in(honest, student, "task1", source("task1_reference"))
    for name, code in TRICKS.items():
        code = code.replace("CLASSMATES", str(honest)).replace("MARKER", str(marker))
        hand_in(cheats, name, "task1", code)
    hand_in(cheats, "task4_reads_the_record", "task4", FORGER4)
    hand_in(honest, "honest_carol", "task4", source("task4_reference"))
    notebooks = {p: p.read_bytes() for p in honest.rglob("*.ipynb")}
    package = _digest(PACKAGE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lessonlib.grade",
            str(cheats),
            str(honest),
            *OPTIONS,
            "--out",
            str(grades / "grades.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=GUARD,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    with (grades / "grades.csv").open() as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    return {
        "rows": rows,
        "notebooks": notebooks,
        "package": package,
        "marker": marker,
        "csv": (grades / "grades.csv").read_bytes(),
        "grades": grades,
    }


@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_a_dishonest_submission_earns_nothing(graded, trick: str) -> None:
    row = graded["rows"][trick]
    assert row["points"] == "0", row
    if trick in SEEN:
        assert row["status"].startswith("tampering suspected: "), row


def test_a_monitor_answering_from_the_checks_record_earns_nothing(graded) -> None:
    # Full marks in its own process (see test_held_scenario); graded, the scenario's script is
    # held by the grader's worker, out of the kernel's reach, and its honest classmate keeps 10.
    assert graded["rows"]["task4_reads_the_record"]["points"] == "0"
    assert graded["rows"]["honest_carol"]["points"] == "10"


@pytest.mark.parametrize("trick", ["forges_a_consistent_record", "behaves_differently_when_graded"])
def test_the_forger_ran_when_graded_and_its_inventions_were_seen(graded, trick: str) -> None:
    # Its prices reached the grader's side only as inventions: proof that the forger ran (and,
    # for the one that looks for the grader, that it found it) and forged to no avail.
    feedback = (graded["grades"] / "feedback" / f"{trick}.md").read_text()
    assert "never sent by the exchange" in feedback, feedback


def test_a_client_tuned_on_the_public_check_is_judged_on_the_grading_scenario(graded) -> None:
    code = TRICKS["tunes_to_the_public_check"]
    chosen = int(graded["rows"]["tunes_to_the_public_check"]["scenario_seed"])
    assert chosen != checks.seed_for("task1")
    earned = checks.grade("task1", namespace(code), seed=chosen).points
    assert graded["rows"]["tunes_to_the_public_check"]["points"] == f"{earned:g}"


def test_the_honest_classmates_keep_full_marks(graded) -> None:
    for student in ("honest_alice", "honest_bob"):
        row = graded["rows"][student]
        assert (row["points"], row["status"]) == ("12", "graded"), row


def test_nothing_the_grader_reads_was_written(graded) -> None:
    assert _digest(PACKAGE) == graded["package"]
    for path, content in graded["notebooks"].items():
        assert path.read_bytes() == content, path
    assert not (Path.home() / ".ipython/profile_default/startup/00-reconnect-lab.py").exists()
    assert not graded["marker"].exists()
    assert (graded["grades"] / "grades.csv").read_bytes() == graded["csv"]


def test_no_process_of_a_submission_outlives_the_grading(graded) -> None:
    # The detached process's command line holds the marker's path. The namespace's processes
    # are killed with its first one, asynchronously: wait for each one's exit (its pidfd
    # turns readable), then look again.
    for pid in _running(str(graded["marker"])):
        _wait_for_exit(int(pid))
    assert _running(str(graded["marker"])) == []


def _wait_for_exit(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # gone already
    try:
        select.select([handle], [], [], GUARD)  # the guard only stops a hang
    finally:
        os.close(handle)


def _running(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            continue
    return found
