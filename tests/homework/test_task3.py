"""Task 3's check: full marks for correct solutions, and each typical mistake named."""

from __future__ import annotations

import pytest
from homework_solutions import Mistake, assert_named, namespace, source

from lessonlib.homework.checks import grade

REFERENCE = source("task3_reference")

TO_HALF_OPEN = """\
        if self.state == "open" and self.now() - self.opened_at >= RESET_TIMEOUT:
            self.move("half_open")
"""

MISTAKES = [
    Mistake(
        "no breaker at all",
        "the breaker opens on repeated failures",
        "no breaker opened",
        (("    def allow(self):\n", "    def allow(self):\n        return True\n"),),
    ),
    Mistake(
        "trading while the breaker is open",
        "no orders while the breaker is open",
        "while its breaker was open",
        (
            (
                "            if not breaker.allow():\n                continue\n",
                "            breaker.allow()\n",
            ),
        ),
    ),
    Mistake(
        "the breaker never half-opens",
        "trading resumes when the exchange recovers",
        "never half-opened",
        ((TO_HALF_OPEN, ""),),
    ),
    Mistake(
        "half-open lets calls through until the threshold",
        "no orders while the breaker is open",
        "half-open let 3 orders",
        (
            (
                '        if self.state == "half_open" or self.failures >= FAILURE_THRESHOLD:\n'
                "            self.opened_at = self.now()\n",
                "        if self.failures >= FAILURE_THRESHOLD:\n"
                "            self.opened_at = self.now()\n"
                "            self.failures = 0\n",
            ),
            ("            self.trial_running = True\n", ""),
        ),
    ),
    Mistake(
        "a single failure opens the breaker",
        "a single failure does not open the breaker",
        "single failure",
        (("FAILURE_THRESHOLD = 3", "FAILURE_THRESHOLD = 1"),),
    ),
    Mistake(
        "failures never reset by a success",
        "a single failure does not open the breaker",
        "one order at a time",
        (
            (
                "    def record_success(self):\n        self.failures = 0\n",
                "    def record_success(self):\n",
            ),
        ),
    ),
    Mistake(
        "one breaker shared by every exchange",
        "one breaker per exchange",
        "one breaker for all exchanges",
        (
            (
                "self.breakers = {name: Breaker(name, on_transition) for name in exchanges}",
                'shared = Breaker("beta", on_transition)\n'
                "        self.breakers = {name: shared for name in exchanges}",
            ),
        ),
    ),
    Mistake(
        "the move to half-open not logged",
        "every transition is logged",
        "half_open",
        (
            (
                TO_HALF_OPEN,
                TO_HALF_OPEN.replace('self.move("half_open")', 'self.state = "half_open"'),
            ),
        ),
    ),
    Mistake(
        "can_trade() ignores the breaker",
        "can_trade() follows the breaker",
        "can_trade('beta') was True",
        (('        return self.breakers[name].state != "open"', "        return True"),),
    ),
]


def test_the_reference_solution_gets_full_marks() -> None:
    report = grade("task3", namespace(REFERENCE))
    assert report.points == report.max_points == 10, str(report)


@pytest.mark.parametrize("seed", range(6))
def test_a_differently_built_solution_gets_full_marks_on_any_seed(seed: int) -> None:
    report = grade("task3", namespace(source("task3_alternative")), seed=seed)
    assert report.points == report.max_points, str(report)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_each_mistake_loses_points_with_a_message_that_names_it(mistake: Mistake) -> None:
    assert_named(mistake, grade("task3", namespace(mistake.code(REFERENCE))))
