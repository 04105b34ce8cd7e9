"""Every correct variant gets full marks, on the public seed and on a graded one."""

from __future__ import annotations

import pytest
from homework_solutions import namespace
from variants import VARIANTS, Variant

from lessonlib.homework.checks import grade


@pytest.mark.parametrize("variant", VARIANTS, ids=str)
@pytest.mark.parametrize("seed", [None, 3])
def test_a_correct_variant_gets_full_marks(variant: Variant, seed: int | None) -> None:
    report = grade(variant.task, namespace(variant.code()), seed=seed)
    assert report.points == report.max_points, f"{variant}\n{report}"


def test_a_variant_the_notebook_allows_for_each_task() -> None:
    assert {v.task for v in VARIANTS} == {"task1", "task2", "task3", "task4"}
