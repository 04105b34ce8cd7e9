"""Each homework notebook with its reference solution typed into the solution cell runs top
to bottom, and its check cell shows full marks. (As shipped, each runs in test_notebooks.)"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from homework_solutions import source

from lessonlib.notebook_client import notebook_client

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = {
    "task1": "01_basic_reconnect.ipynb",
    "task2": "02_restoring_subscriptions.ipynb",
    "task3": "03_trading_with_a_breaker.ipynb",
    "task4": "04_health_monitor.ipynb",
}
ARTIFACTS = ROOT / "artifacts" / "notebooks"


def tagged(notebook: nbformat.NotebookNode, tag: str) -> list[nbformat.NotebookNode]:
    return [c for c in notebook.cells if tag in c.metadata.get("tags", [])]


@pytest.mark.parametrize("task", EXERCISES)
def test_the_notebook_has_one_solution_cell_one_check_cell_and_knows_its_task(task: str) -> None:
    notebook = nbformat.read(ROOT / "exercises" / EXERCISES[task], as_version=4)
    assert notebook.metadata["reconnect_lab"]["task"] == task
    (solution,) = tagged(notebook, "solution")
    assert "raise NotImplementedError" in solution.source
    (check,) = tagged(notebook, "check")
    assert check.source.strip() == f'check("{task}")'


# Each edition of each homework: the English, and the Russian where it has been made.
EDITIONS = [
    (task, language)
    for task in EXERCISES
    for language in ("en", "ru")
    if language == "en" or (ROOT / "exercises" / language / EXERCISES[task]).exists()
]
POINTS = {"en": r"(\d+) / (\d+) points", "ru": r"(\d+) / (\d+) баллов"}


@pytest.mark.parametrize(
    ("task", "language"), EDITIONS, ids=[f"{t}-{lang}" for t, lang in EDITIONS]
)
def test_with_the_reference_solution_the_check_cell_shows_full_marks(
    task: str, language: str
) -> None:
    """In its notebook's language, with nothing asked of the student."""
    folder = ROOT / "exercises" if language == "en" else ROOT / "exercises" / language
    path = folder / EXERCISES[task]
    notebook = nbformat.read(path, as_version=4)
    tagged(notebook, "solution")[0].source = source(f"{task}_reference")
    client = notebook_client(
        notebook,
        kernel_name="python3",
        timeout=60,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute(env={**os.environ, "RECONNECT_LAB_HEADLESS": "1"})
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, ARTIFACTS / f"solved_{language}_{path.name}")
    outputs = tagged(notebook, "check")[0].outputs
    text = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    points = re.search(POINTS[language], text)
    assert points and points[1] == points[2], text
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert f'data-points="{points[1]}" data-max-points="{points[2]}"' in html
