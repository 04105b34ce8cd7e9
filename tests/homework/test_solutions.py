"""Every check against right and wrong solutions: a reference solution and a differently built
one get full marks on any seed; each typical mistake loses points with a message naming it."""

from __future__ import annotations

import pytest
import task1_mistakes
import task2_mistakes
import task3_mistakes
import task4_mistakes
from homework_solutions import Mistake, assert_named, namespace, source

from lessonlib.homework.checks import grade

MISTAKES = {
    "task1": task1_mistakes,
    "task2": task2_mistakes,
    "task3": task3_mistakes,
    "task4": task4_mistakes,
}


@pytest.mark.parametrize("seed", [None, 0, 1, 2, 3, 4])
@pytest.mark.parametrize("solution", ["reference", "alternative"])
@pytest.mark.parametrize("task", MISTAKES)
def test_a_correct_solution_gets_full_marks_on_any_seed(
    task: str, solution: str, seed: int | None
) -> None:
    """``None`` is the seed students see; the others stand for graded runs."""
    report = grade(task, namespace(source(f"{task}_{solution}")), seed=seed)
    assert report.points == report.max_points, str(report)


@pytest.mark.parametrize(
    ("task", "mistake"),
    [(task, mistake) for task, module in MISTAKES.items() for mistake in module.MISTAKES],
    ids=lambda value: str(value),
)
def test_each_mistake_loses_points_with_a_message_that_names_it(
    task: str, mistake: Mistake
) -> None:
    reference = MISTAKES[task].REFERENCE
    assert_named(mistake, grade(task, namespace(mistake.code(reference))))


@pytest.mark.parametrize("task", MISTAKES)
def test_each_task_has_at_least_six_named_mistakes(task: str) -> None:
    names = [mistake.name for mistake in MISTAKES[task].MISTAKES]
    assert len(set(names)) == len(names) >= 6
