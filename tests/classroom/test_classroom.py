"""A class on a real JupyterHub: eight students log in through the hub's API, get their own
servers, pull the course through the README's nbgitpuller link, and all at once run lesson 2
and homework 1 with a correct solution through the hub's proxy; one more does it in Chromium
through the login page. The instructor collects the submissions and grades them."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

if os.environ.get("RECONNECT_LAB_CLASSROOM") != "1":
    pytest.skip(
        "classroom tests skipped: `make classroom` installs the hub and runs them",
        allow_module_level=True,
    )
pytest.importorskip("jupyterhub", reason="classroom tests need `pip install -e .[hub]`")

import nbformat
from hub import PASSWORD, ROOT, Hub, jupyterhub
from student import (
    HOMEWORK,
    LESSON,
    Ran,
    Student,
    check_cell,
    enrol,
    points,
    solved,
)

STUDENTS = [f"student{n}" for n in range(1, 9)]
SOLUTION = (ROOT / "tests" / "homework" / "solutions" / "task1_reference.py").read_text()
ARTIFACTS = ROOT / "artifacts" / "classroom"

pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    with jupyterhub(tmp_path_factory.mktemp("hub")) as running:
        yield running


async def attend(hub: Hub, name: str) -> dict:
    """One student's lesson: log in, start the server, pull, run lesson 2 and homework 1."""
    async with Student(hub, name) as student:
        await student.log_in()
        await student.start_server()
        pulled = await student.pull_course()
        lesson = await student.read_notebook(LESSON)
        homework = solved(await student.read_notebook(HOMEWORK), SOLUTION)
        await student.save_notebook(HOMEWORK, homework)
        lesson_ran, homework_ran = await asyncio.gather(
            student.run(LESSON, lesson, "print(exchange.url)"),
            student.run(HOMEWORK, homework),
        )
        listing = (await student.api("GET", "contents/")).json()["content"]
        others = {
            other: (await student.client.get(f"/user/{other}/api/contents/")).status_code
            for other in STUDENTS
            if other != name
        }
        escape = (await student.api("GET", f"contents/../{STUDENTS[0]}")).status_code
        return {
            "pulled": pulled,
            "lesson": lesson_ran,
            "homework": homework_ran,
            "check": check_cell(homework),
            "listing": sorted(item["name"] for item in listing),
            "others": others,
            "escape": escape,
        }


@pytest.fixture(scope="module")
def classroom(hub: Hub) -> dict[str, dict]:
    async def everyone() -> dict[str, dict]:
        await enrol(hub, STUDENTS)
        results = await asyncio.gather(*(attend(hub, name) for name in STUDENTS))
        return dict(zip(STUDENTS, results, strict=True))

    return asyncio.run(everyone())


def test_the_course_arrives_through_the_nbgitpuller_link(classroom: dict, hub: Hub) -> None:
    for name, result in classroom.items():
        assert result["pulled"][-1] == {"phase": "finished"}, result["pulled"]
        assert (hub.home(name) / "reconnect-lab" / ".git").is_dir()
        assert (hub.home(name) / LESSON).is_file()


def test_every_student_runs_lesson_2_on_an_exchange_of_their_own(classroom: dict) -> None:
    urls = {}
    for name, result in classroom.items():
        ran: Ran = result["lesson"]
        assert ran.errors == [], (name, ran.errors)
        urls[name] = ran.text(-1).strip()
        assert urls[name].startswith("ws://127.0.0.1:"), urls[name]
    assert len(set(urls.values())) == len(STUDENTS), urls


def test_every_students_check_gives_full_marks(classroom: dict) -> None:
    for name, result in classroom.items():
        ran: Ran = result["homework"]
        assert ran.errors == [], (name, ran.errors)
        got, most = points(ran.text(result["check"]))
        assert got == most > 0, (name, ran.text(result["check"]))


def test_nobody_sees_another_students_files(classroom: dict, hub: Hub) -> None:
    for name, result in classroom.items():
        assert result["listing"] == ["reconnect-lab"], (name, result["listing"])
        assert set(result["others"].values()) == {403}, (name, result["others"])
        assert result["escape"] in (400, 403, 404), (name, result["escape"])
    # every student of the class has a home of their own (the browser student, when that test
    # ran first, has one too: tests run in random order)
    homes = {path.name for path in hub.homes.iterdir()}
    assert set(STUDENTS) <= homes and homes - set(STUDENTS) <= {"browser-student"}


def test_the_instructor_grades_the_class_collected_from_the_hub(
    classroom: dict, hub: Hub, tmp_path: Path
) -> None:
    """Each submission fetched from its student's server (the instructor's token) into
    nbgrader's submitted/STUDENT/ASSIGNMENT/ layout, then graded by lessonlib.grade."""

    async def collect() -> None:
        async with Student(hub, "instructor") as instructor:
            instructor.client.headers["Authorization"] = f"token {hub.token}"
            for name in STUDENTS:
                instructor.name = name
                notebook = await instructor.read_notebook(HOMEWORK)
                folder = tmp_path / "submitted" / name / "task1"
                folder.mkdir(parents=True)
                nbformat.write(notebook, folder / Path(HOMEWORK).name)

    asyncio.run(collect())
    grades = tmp_path / "grades" / "grades.csv"
    graded = subprocess.run(
        [sys.executable, "-m", "lessonlib.grade", str(tmp_path / "submitted"), "--out",
         str(grades), "--workers", "2", "--cell-timeout", "120", "--timeout", "300"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )  # fmt: skip
    assert graded.returncode == 0, graded.stderr
    with grades.open() as file:
        rows = list(csv.DictReader(file))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "grades.csv").write_text(grades.read_text())
    assert sorted(row["student"] for row in rows) == STUDENTS
    for row in rows:
        assert row["task"] == "task1", row
        assert (row["status"], row["points"]) == ("graded", row["max_points"]), row
        assert int(row["points"]) > 0, row


def test_a_student_in_chromium_logs_in_pulls_and_runs_lesson_2(classroom: dict, hub: Hub) -> None:
    """Through the hub's login page, the nbgitpuller link and JupyterLab, as a student does."""
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from lab_driver import Notebook, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    name = "browser-student"
    asyncio.run(enrol(hub, [name]))
    with sync_api.sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = playwright.chromium.launch(executable_path=chromium, args=args)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{hub.url}/hub/login")
            page.fill("input[name=username]", name)
            page.fill("input[name=password]", PASSWORD)
            page.click("[type=submit]")
            page.goto(hub.pull_link(), timeout=300_000)
            page.wait_for_url("**/lab/tree/reconnect-lab/notebooks/01_simple_retry.ipynb**",
                              timeout=300_000)  # fmt: skip
            page.goto(f"{hub.url}/user/{name}/lab/tree/{LESSON}?reset")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
            notebook = Notebook.__new__(Notebook)
            notebook.page, notebook.path = page, LESSON
            notebook.wait_for_kernel(timeout=180)
            notebook.run_all(timeout=180)
            assert notebook.errors() == []
            shot = notebook.screenshot("classroom-02_price_feed")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / shot.name).write_bytes(shot.read_bytes())
        finally:
            browser.close()
    assert (hub.home(name) / LESSON).is_file()
