"""Every check against right and wrong solutions: a reference solution and a differently built
one get full marks on any seed; each typical mistake loses points with a message naming it.
In every language of the course: the words change, the judgement does not."""

from __future__ import annotations

import pytest
import task1_mistakes
import task2_mistakes
import task3_mistakes
import task4_mistakes
from homework_solutions import Mistake, assert_named, namespace, source

from lessonlib import i18n
from lessonlib.homework.checks import grade
from lessonlib.homework.report import Report

MISTAKES = {
    "task1": task1_mistakes,
    "task2": task2_mistakes,
    "task3": task3_mistakes,
    "task4": task4_mistakes,
}


SEEDS = [None, 0, 1, 2, 3, 4]  # None is the seed students see; the others stand for graded runs
# Every seed in the course's source language; the public one in each translation (a
# translation changes the words, never the judgement: each mistake below shows that).
RUNS = [(seed, i18n.SOURCE) for seed in SEEDS] + [
    (None, language) for language in i18n.LANGUAGES if language != i18n.SOURCE
]


@pytest.mark.parametrize(("seed", "language"), RUNS)
@pytest.mark.parametrize("solution", ["reference", "alternative"])
@pytest.mark.parametrize("task", MISTAKES)
def test_a_correct_solution_gets_full_marks_on_any_seed(
    task: str, solution: str, seed: int | None, language: str
) -> None:
    with i18n.speaking(language):
        report = grade(task, namespace(source(f"{task}_{solution}")), seed=seed)
    assert report.points == report.max_points, str(report)
    assert report.language == language


@pytest.mark.parametrize(
    ("task", "mistake"),
    [(task, mistake) for task, module in MISTAKES.items() for mistake in module.MISTAKES],
    ids=lambda value: str(value),
)
def test_each_mistake_loses_points_with_a_message_that_names_it(
    task: str, mistake: Mistake
) -> None:
    """In English the sub-check the mistake fails says what it is; in every other language of
    the course each sub-check gets the same points, and the failed one says so in that
    language where its messages are translated."""
    code = mistake.code(MISTAKES[task].REFERENCE)
    with i18n.speaking(i18n.SOURCE):
        english = grade(task, namespace(code))
    assert_named(mistake, english)
    for language in i18n.LANGUAGES:
        if language == i18n.SOURCE:
            continue
        with i18n.speaking(language):
            translated = grade(task, namespace(code))
        assert _marks(translated) == _marks(english), f"{translated}\n{english}"
        assert translated.language == language
        failed = {c.key: c for c in translated.failed()}
        if i18n.translations(language).get(mistake.fails):
            assert failed[mistake.fails].name == i18n.translations(language)[mistake.fails]
            assert _cyrillic(str(translated)), str(translated)


def _marks(report: Report) -> list[tuple[str, float]]:
    return [(c.key, c.points) for c in report.checks]


def _cyrillic(text: str) -> bool:
    return any("а" <= c.lower() <= "я" for c in text)


@pytest.mark.parametrize("task", MISTAKES)
def test_each_task_has_at_least_six_named_mistakes(task: str) -> None:
    names = [mistake.name for mistake in MISTAKES[task].MISTAKES]
    assert len(set(names)) == len(names) >= 6


def test_a_subscription_never_sent_is_named_where_the_rejection_is_judged() -> None:
    # subscribe() that waits for the next connection sends the unknown symbol only later, so
    # no rejection has come when `subscriptions` is read: the list is not blamed, the unsent
    # subscription is.
    late = next(
        m for m in task2_mistakes.MISTAKES if m.name == "subscribe() waits for the next connection"
    )
    report = grade("task2", namespace(late.code(task2_mistakes.REFERENCE)))
    dropped = {c.name: c for c in report.checks}["a rejected subscription is dropped, not retried"]
    assert not dropped.passed, report
    assert "still lists" not in dropped.actual, report
    assert "had not rejected it" in dropped.actual, report


def test_one_breaker_for_all_is_said_first_whatever_it_is_named() -> None:
    # A shared breaker logged under a name of its own: no exchange's log shows it open, yet
    # alpha stops while only beta fails; the lead names the one breaker before its symptoms.
    shared = task3_mistakes.REFERENCE.replace(
        "self.breakers = {name: Breaker(name, on_transition) for name in exchanges}",
        'shared = Breaker("all", on_transition)\n'
        "        self.breakers = {name: shared for name in exchanges}",
    )
    report = grade("task3", namespace(shared))
    assert len(report.failed()) > 1, report
    assert report.lead.startswith("one breaker for all exchanges"), report
