"""Task 1's check: full marks for correct solutions, and each typical mistake named."""

from __future__ import annotations

import pytest
from homework_solutions import Mistake, assert_named, namespace, source

from lessonlib.homework.checks import grade

REFERENCE = source("task1_reference")

RETRY_WAIT = """\
                await asyncio.sleep(delay)
                delay = min(delay * MULTIPLIER, MAX_DELAY)
                continue"""

MISTAKES = [
    Mistake(
        "no cap",
        "the waits are capped at 30 s",
        "no cap",
        ((RETRY_WAIT, RETRY_WAIT.replace("min(delay * MULTIPLIER, MAX_DELAY)", "delay * 2")),),
    ),
    Mistake(
        "cap above 30 s",
        "the waits are capped at 30 s",
        "cap above 30 s",
        (("MAX_DELAY = 30.0", "MAX_DELAY = 60.0"),),
    ),
    Mistake(
        "backoff never reset after a healthy spell",
        "backoff reset after a healthy spell",
        "not reset",
        (("                delay = INITIAL_DELAY\n", "                pass\n"),),
    ),
    Mistake(
        "a fixed delay",
        "the waits grow exponentially",
        "fixed delay",
        (("MULTIPLIER = 2.0", "MULTIPLIER = 1.0"), ("INITIAL_DELAY = 0.5", "INITIAL_DELAY = 5.0")),
    ),
    Mistake(
        "a busy loop with no sleep",
        "waits between attempts",
        "busy loop",
        ((RETRY_WAIT, RETRY_WAIT.replace("await asyncio.sleep(delay)", "pass")),),
    ),
    Mistake(
        "time.sleep instead of asyncio.sleep",
        "waits between attempts",
        "time.sleep",
        (
            ("import json\n", "import json\nimport time\n"),
            (RETRY_WAIT, RETRY_WAIT.replace("await asyncio.sleep(delay)", "time.sleep(delay)")),
        ),
    ),
    Mistake(
        "gives up after ten attempts",
        "keeps trying through a long outage",
        "gave up",
        (
            (
                "        while True:\n            self.log_state",
                "        for _ in range(10):\n            self.log_state",
            ),
        ),
    ),
    Mistake(
        "stops when the exchange closes cleanly",
        "reconnects after a clean close",
        "clean close",
        (
            (
                "                await self.stream(ws)\n",
                "                await self.stream(ws)\n                return\n",
            ),
            (
                """\
        while True:
            async with asyncio.timeout(SILENCE):
                message = json.loads(await ws.recv())""",
                """\
        async for raw in ws:
            message = json.loads(raw)""",
            ),
        ),
    ),
    Mistake(
        "no silence detection",
        "notices a silent connection",
        "dead connection",
        (
            (
                """\
            async with asyncio.timeout(SILENCE):
                message = json.loads(await ws.recv())""",
                """\
            message = json.loads(await ws.recv())""",
            ),
        ),
    ),
    Mistake(
        "failed attempts not logged",
        "logs every change of connection state",
        "'disconnected'",
        (
            (
                '            except Exception:\n                self.log_state("disconnected")\n',
                "            except Exception:\n",
            ),
        ),
    ),
    Mistake(
        "the raw text passed on",
        "connects and passes prices on",
        "json.loads",
        (("self.on_price(message)", "self.on_price(json.dumps(message))"),),
    ),
]


def test_the_reference_solution_gets_full_marks() -> None:
    report = grade("task1", namespace(REFERENCE))
    assert report.points == report.max_points == 12, str(report)


@pytest.mark.parametrize("seed", range(8))
def test_a_jittered_differently_built_solution_gets_full_marks_on_any_seed(seed: int) -> None:
    report = grade("task1", namespace(source("task1_alternative")), seed=seed)
    assert report.points == report.max_points, str(report)


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_each_mistake_loses_points_with_a_message_that_names_it(mistake: Mistake) -> None:
    assert_named(mistake, grade("task1", namespace(mistake.code(REFERENCE))))
